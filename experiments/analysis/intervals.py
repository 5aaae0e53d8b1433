"""Means with confidence intervals: of a sample, of a pooled rate, of every point and metric.

Per point, over replicates, of each run's kept metric: 95% t-intervals
(mean ± t(0.975, n-1) s / sqrt(n)); no interval with a single replicate. For a spec with
``replications: {precision: ...}``, each point's half-width against its target.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from experiments.analysis.labels import (
    metric_label,
    point_labels,
    stored_unit,
)
from experiments.analysis.results import Results

LEVEL = 0.95


def t_interval(values: np.ndarray, level: float = LEVEL) -> tuple[int, float, float, float, float]:
    """(n, mean, sd, low, high): the t-based confidence interval of a mean; NaNs are dropped.

    With one value the sd and the interval are NaN.
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    if n == 0:
        return 0, math.nan, math.nan, math.nan, math.nan
    mean = float(x.mean())
    if n == 1:
        return 1, mean, math.nan, math.nan, math.nan
    sd = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return n, mean, sd, mean - half, mean + half


def ratio_interval(events: np.ndarray, exposures: np.ndarray,
                   level: float = LEVEL) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ratio, low, high): a pooled rate over independent replicates with its t-interval.

    ``events`` and ``exposures`` hold one row per replicate (a seed) and one column per
    cell (an age, a quintile): the rate is sum(events) / sum(exposures) over the replicates,
    as a pooled figure is reported, and its standard error is the ratio estimator's,
    linearised over the replicates (Cochran 1977, section 6.4): the s.d. of
    (events - rate exposures) / mean(exposures), over sqrt(n); t with n - 1 degrees of
    freedom. Cells without exposure, or with fewer than two replicates, get NaN.
    """
    y = np.atleast_2d(np.asarray(events, dtype=float))
    x = np.atleast_2d(np.asarray(exposures, dtype=float))
    if y.shape != x.shape:
        raise ValueError(f"events {y.shape} and exposures {x.shape} differ in shape")
    n = y.shape[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = y.sum(axis=0) / x.sum(axis=0)
        residual = (y - ratio * x) / x.mean(axis=0)
        half = (stats.t.ppf(0.5 + level / 2, n - 1) * residual.std(axis=0, ddof=1) / math.sqrt(n)
                if n > 1 else np.full(ratio.shape, np.nan))
    return ratio, ratio - half, ratio + half


def point_means(results: Results, metrics: list[str] | None = None,
                level: float = LEVEL) -> pd.DataFrame:
    """Means with t-intervals of every point and metric (long table).

    Long table: one row per (point, metric) with n, mean, sd and the t-interval (the same numbers as
    :func:`t_interval`, computed for all points at once).
    """
    metrics = metrics or results.metrics
    long = results.runs.melt(id_vars="point", value_vars=metrics, var_name="metric")
    stats_ = (long.dropna(subset=["value"])
              .groupby(["point", "metric"], sort=False)["value"]
              .agg(n="count", mean="mean", sd="std")
              .reset_index())
    n = stats_["n"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(n > 1, stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1)), np.nan)
        half = t * stats_["sd"].to_numpy(dtype=float) / np.sqrt(n)
    stats_["ci_low"] = stats_["mean"] - half
    stats_["ci_high"] = stats_["mean"] + half
    stats_.loc[stats_["n"] < 2, "sd"] = np.nan
    # every (point, metric) with a finished run, in point order and metric order
    frame = pd.MultiIndex.from_product(
        [sorted(results.runs["point"].unique()), metrics], names=["point", "metric"]
    ).to_frame(index=False)
    table = frame.merge(stats_, on=["point", "metric"], how="left")
    table["n"] = table["n"].fillna(0).astype(int)
    info = results.points.set_index("point")
    labels = point_labels(results)
    table.insert(1, "regime", table["point"].map(info["regime"]))
    for i, p in enumerate(results.parameters):
        table.insert(2 + i, p, table["point"].map(info[p]))
    table.insert(2 + len(results.parameters), "label",
                 table["point"].map(lambda q: labels.get(int(q), str(q))))
    at = table.columns.get_loc("metric") + 1
    table.insert(at, "metric_name", table["metric"].map(lambda m: metric_label(m).name))
    table.insert(at + 1, "unit", table["metric"].map(stored_unit))
    return table



def precision_table(results: Results, level: float = LEVEL) -> pd.DataFrame:
    """Per point and named metric of a spec with ``replications.

    {precision: ...}``: n, the 95% half-width, the target and whether it is reached (empty for fixed
    replications).
    """
    targets = (results.spec.get("replications") or {})
    targets = targets.get("precision") if isinstance(targets, dict) else None
    if not targets:
        return pd.DataFrame()
    means = point_means(results, [m for m in targets if m in results.metrics], level=level)
    table = means[["point", "label", "metric", "n"]].copy()
    table["half_width"] = (means["ci_high"] - means["ci_low"]) / 2
    table["target"] = table["metric"].map(targets)
    table["reached"] = table["half_width"] <= table["target"]
    return table

