"""Statistics on a saved results folder.

Means with confidence intervals, regime comparisons, Sobol and Morris sensitivity indices. Takes
:class:`experiments.analysis.results.Results`, never the model.

Choices (also stated in the written tables):

- Means: per point, over replicates, of each run's kept metric; 95% t-intervals
  (mean ± t(0.975, n-1) s / sqrt(n)); no interval with a single replicate.
- Regime comparisons: every pair of regimes (or every regime against a chosen reference) at the
  same parameter values (each design row, or the whole experiment without a design), for every
  kept metric that policy can move: the difference B minus A (A first in the spec, or the
  reference) in the metric's units with a 95% interval (paired on replicate when the arms share
  random numbers, Welch otherwise, BCa bootstrap for rare-event outputs), Hedges' g, and where
  the interval lies relative to the smallest effect of interest; p-values only on request,
  adjusted by statsmodels (rules in :mod:`experiments.analysis.differences`). Sampled designs
  (lhs, sobol, morris) get no point-by-point comparisons.
- Precision: for a spec with ``replications: {precision: ...}``, each point's half-width of
  each named metric against its target.
- Sobol: SALib's estimator on the per-point means in point order, per regime; first-order and
  total indices with bootstrap 95% intervals (half-widths, as SALib reports them).
"""

from __future__ import annotations

import itertools
import math
import textwrap
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from experiments.analysis.differences import (
    adjust,
    compare_arms,
    is_policy,
    smallest_effect,
    test_p_value,
)
from experiments.analysis.labels import (
    axis_label,
    format_value,
    metric_label,
    parameter_label,
    regime_label,
    setting_text,
    shown_columns,
    stored_unit,
)
from experiments.analysis.results import SAMPLED_DESIGNS, Results
from experiments.engine.design import salib_problem as bounds_problem
from simulation.outputs import EVENT_UNIT

LEVEL = 0.95
ALPHA = 0.05
#: Seed of SALib's bootstrap, so the written intervals do not change between calls.
BOOTSTRAP_SEED = 20261122
#: Metrics shown on the terminal (all kept metrics go to the files).
#: What `cadresim analyze` prints first: the headline, its three forms, its three causes, bold.
HEADLINE: tuple[str, ...] = (
    "inaction", "lying_flat", "formalism", "avoidance", "unwilling", "unable", "afraid", "bold",
)
MAX_PRINTED_ROWS = 40
#: The columns of each analysis table that are in the metric's unit, scaled as figures show
#: them in the Markdown tables and on the terminal (the CSVs keep the stored values).
ESTIMATE_COLUMNS = ("mean", "sd", "ci_low", "ci_high")
DIFFERENCE_COLUMNS = ("mean_a", "mean_b", "difference", "diff_ci_low", "diff_ci_high",
                      "smallest_effect")
MORRIS_COLUMNS = ("mu_star", "mu_star_conf", "mu", "sigma")
SHOWN_NOTE = f"event rates {EVENT_UNIT}, as in the figures; the CSV files keep them as " \
    "shares, the spec's smallest_effect too"


# --------------------------------------------------------------------------------------------
# Point labels
# --------------------------------------------------------------------------------------------


def point_labels(results: Results) -> dict[int, str]:
    """A readable label per point.

    The regime (if several or nothing else varies) and the values of the parameters that vary.
    """
    varying = results.varying_parameters()
    several = len(results.regimes) > 1
    labels = {}
    for data in results.points.to_dict("records"):
        parts = [regime_label(data["regime"])] if several or not varying else []
        parts += [setting_text(p, data[p]) for p in varying]
        labels[int(data["point"])] = ", ".join(parts)
    return labels


def setting_label(parameters: list[str], values: tuple[Any, ...]) -> str:
    """A design row's parameter values as words (empty without parameters)."""
    return ", ".join(setting_text(p, v) for p, v in zip(parameters, values, strict=True))


# --------------------------------------------------------------------------------------------
# Means with confidence intervals
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Regime comparisons
# --------------------------------------------------------------------------------------------


def comparison_sets(results: Results) -> tuple[list[tuple[str, dict[str, int]]], str]:
    """Design rows that exist under two or more regimes: (setting label, {regime: point}).

    The second item says why there are none, when there are none.
    """
    if len(results.regimes) < 2:
        return [], "one regime only"
    kind = results.design_kind
    if kind in SAMPLED_DESIGNS:
        return [], f"{kind} design: regimes are compared through its indices, not point by point"
    params = results.parameters
    table = results.points
    sets = []
    keys = table[params].astype(object).where(table[params].notna(), None) if params else None
    groups: dict[tuple[Any, ...], dict[str, int]] = {}
    for i, row in enumerate(table.to_dict("records")):
        key = tuple(keys.iloc[i]) if keys is not None else ()
        groups.setdefault(key, {}).setdefault(str(row["regime"]), int(row["point"]))
    for key, by_regime in groups.items():
        if len(by_regime) >= 2:
            sets.append((setting_label(params, key), by_regime))
    if not sets:
        return [], "no design row was run under two regimes"
    return sets, ""


def paired_arms(results: Results) -> bool:
    """Whether points share random numbers, replicate by replicate.

    The manifest's spec says ``common_random_numbers: true``; results written before that field
    count as independent.
    """
    return results.spec.get("common_random_numbers") is True


def regime_comparisons(results: Results, metrics: list[str] | None = None, *,
                       reference: str | None = None, tests: bool = False,
                       adjust_method: str = "holm",
                       level: float = LEVEL) -> tuple[pd.DataFrame, str]:
    """Regime differences per design row and metric.

    B minus A with a 95% interval, Hedges' g, and where the interval lies relative to the metric's
    smallest effect of interest (:mod:`experiments.analysis.differences`).

    Args: results: the results folder. metrics: the metrics compared (default: every kept metric
    that policy can move). reference: compare every regime with this one (A = reference); default:
    every pair. tests: add p-values (``p_value``, ``p_adjusted``), adjusted over the whole table.
    adjust_method: statsmodels' multipletests method, ``holm`` or ``fdr_bh``. level: the intervals'
    confidence level.

    Returns the table (empty if not applicable) and the reason when it is empty.
    """
    sets, reason = comparison_sets(results)
    if not sets:
        return pd.DataFrame(), reason
    if reference is not None and reference not in results.regimes:
        raise ValueError(f"reference regime {reference!r} is not in this experiment; "
                         f"regimes: {', '.join(results.regimes)}")
    metrics = [m for m in (metrics or results.metrics) if is_policy(m)]
    paired = paired_arms(results)
    order = {r: i for i, r in enumerate(results.regimes)}
    by_point = {p: g.set_index("replicate") for p, g in results.runs.groupby("point")}
    empty = results.runs.iloc[0:0].set_index("replicate")
    rows = []
    for metric in metrics:
        lab = metric_label(metric)
        sesoi = smallest_effect(metric, results.spec)
        for setting, by_regime in sets:
            regimes = sorted(by_regime, key=order.__getitem__)
            if reference is None:
                pairs = list(itertools.combinations(regimes, 2))
            else:
                pairs = [(reference, r) for r in regimes if r != reference and
                         reference in by_regime]
            for ra, rb in pairs:
                pa, pb = by_regime[ra], by_regime[rb]
                a = by_point.get(pa, empty)[metric].to_dict()
                b = by_point.get(pb, empty)[metric].to_dict()
                row = {"metric": metric, "metric_name": lab.name, "unit": stored_unit(metric),
                       "setting": setting, "regime_a": ra, "regime_b": rb,
                       "point_a": pa, "point_b": pb,
                       **compare_arms(a, b, paired=paired, metric=metric, sesoi=sesoi,
                                      level=level)}
                if tests:
                    row["p_value"] = test_p_value(a, b, paired)
                rows.append(row)
    table = pd.DataFrame(rows)
    first = ["metric", "metric_name", "unit", "setting", "regime_a", "regime_b", "point_a",
             "point_b", "n_a", "n_b", "mean_a", "mean_b", "difference", "diff_ci_low",
             "diff_ci_high", "method", "effect_size", "smallest_effect", "relevance"]
    if tests:
        table["p_adjusted"] = adjust(table["p_value"].to_numpy(), adjust_method)
        table["adjustment"] = adjust_method
        first += ["p_value", "p_adjusted", "adjustment"]
    return table[first], ""


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


# --------------------------------------------------------------------------------------------
# Sensitivity indices
# --------------------------------------------------------------------------------------------


def salib_problem(results: Results) -> dict[str, Any]:
    """The SALib problem: the manifest's, else built from the design's parameter bounds."""
    design = results.design
    problem = design.get("problem")
    if isinstance(problem, dict) and problem.get("names") and problem.get("bounds"):
        return bounds_problem(dict(zip(problem["names"], problem["bounds"], strict=True)))
    params = design.get("parameters")
    if isinstance(params, dict) and params:
        return bounds_problem(params)
    raise ValueError("the manifest gives neither design.problem nor design.parameters bounds")


def _is_saltelli(x: np.ndarray, block: int, d: int) -> bool:
    """Whether the rows of ``x`` form Saltelli blocks of ``block`` rows.

    A block is (A, AB_1..AB_d, [BA_1..BA_d,] B): AB_i equals A except in column i, where it
    equals B.
    """
    if len(x) % block or not np.isfinite(x).all():
        return False
    for start in range(0, len(x), block):
        a, b = x[start], x[start + block - 1]
        for i in range(d):
            ab = x[start + 1 + i]
            others = np.arange(d) != i
            if not (np.array_equal(ab[others], a[others]) and ab[i] == b[i]):
                return False
    return True


def second_order_layout(results: Results, x: np.ndarray, d: int) -> bool:
    """Whether the Saltelli sample includes second-order rows (block 2D+2 rather than D+2)."""
    for source in (results.design, results.spec.get("design") or {}):
        for key in ("second_order", "calc_second_order"):
            if isinstance(source, dict) and isinstance(source.get(key), bool):
                return source[key]
    n = len(x)
    if _is_saltelli(x, d + 2, d):
        return False
    if _is_saltelli(x, 2 * d + 2, d):
        return True
    if n % (d + 2) == 0:
        return False  # the contract's layout: samples x (D + 2)
    if n % (2 * d + 2) == 0:
        return True
    raise ValueError(f"{n} points do not fit a Saltelli sample of {d} parameters "
                     f"(a multiple of {d + 2} or {2 * d + 2})")


def _design_blocks(results: Results) -> list[tuple[str, pd.DataFrame]]:
    """Per regime, its points in point order (each regime runs the whole design)."""
    table = results.points.sort_values("point")
    return [(regime, table[table["regime"] == regime]) for regime in results.regimes]


def _means_by_point(results: Results, metric: str) -> pd.Series:
    return results.runs.groupby("point")[metric].mean()


def sobol_indices(results: Results, metrics: list[str] | None = None,
                  level: float = LEVEL) -> tuple[pd.DataFrame, list[str]]:
    """SALib Sobol indices per regime, metric and parameter, from per-point means.

    Returns the table and notes on what was skipped and why.
    """
    from SALib.analyze import sobol

    d = len(salib_problem(results)["names"])

    def analyse(problem: dict[str, Any], x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
        return sobol.analyze(problem, y, calc_second_order=second_order_layout(results, x, d),
                             conf_level=level, print_to_console=False, seed=BOOTSTRAP_SEED)

    return _sensitivity(
        results, metrics, "Sobol", analyse, ("S1", "S1_conf", "ST", "ST_conf"),
        lambda missing: f"{missing} point(s) without a finished run; every point of the sample "
        "is needed",
    )


def morris_indices(results: Results, metrics: list[str] | None = None,
                   level: float = LEVEL) -> tuple[pd.DataFrame, list[str]]:
    """SALib Morris elementary-effect indices per regime, metric and parameter."""
    from SALib.analyze import morris

    levels = int(results.design.get("num_levels") or results.design.get("levels") or 4)

    def analyse(problem: dict[str, Any], x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
        return morris.analyze(problem, x, y, conf_level=level, num_levels=levels,
                              seed=BOOTSTRAP_SEED)

    return _sensitivity(
        results, metrics, "Morris", analyse, ("mu", "mu_star", "mu_star_conf", "sigma"),
        lambda missing: "points without a finished run",
    )


def _sensitivity(
    results: Results,
    metrics: list[str] | None,
    method: str,
    analyse: Callable[[dict[str, Any], np.ndarray, np.ndarray], dict[str, Any]],
    columns: tuple[str, ...],
    missing_note: Callable[[int], str],
) -> tuple[pd.DataFrame, list[str]]:
    """Indices of one SALib method per regime, metric and parameter.

    From per-point means in design order; a metric with points missing or without variation is left
    out with a note.
    """
    problem = salib_problem(results)
    names = problem["names"]
    metrics = metrics or results.metrics
    rows, notes = [], []
    for regime, block in _design_blocks(results):
        x = block[names].to_numpy(dtype=float)
        for metric in metrics:
            y = _means_by_point(results, metric).reindex(block["point"]).to_numpy(dtype=float)
            missing = int(np.isnan(y).sum())
            if missing:
                notes.append(f"{method}, {regime}, {metric}: {missing_note(missing)}")
                continue
            if np.ptp(y) == 0:
                notes.append(f"{method}, {regime}, {metric}: does not vary, no indices")
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                res = analyse(problem, x, y)
            lab = metric_label(metric)
            for i, name in enumerate(names):
                rows.append({
                    "regime": regime, "metric": metric, "metric_name": lab.name,
                    "parameter": name, "parameter_name": parameter_label(name).name,
                    **{column: float(res[column][i]) for column in columns},
                })
    return pd.DataFrame(rows), notes


# --------------------------------------------------------------------------------------------
# The whole analysis, its files and its printout
# --------------------------------------------------------------------------------------------


@dataclass
class Analysis:
    """Everything ``cadresim analyze`` computes for one results folder."""

    means: pd.DataFrame
    comparisons: pd.DataFrame
    sobol: pd.DataFrame
    morris: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    precision: pd.DataFrame = field(default_factory=pd.DataFrame)
    reference: str | None = None
    #: Under a posterior: each regime's share of draws better than the reference (robustness.py).
    robustness: pd.DataFrame = field(default_factory=pd.DataFrame)


def analyze(results: Results, alpha: float = ALPHA, level: float = LEVEL, *,
            reference: str | None = None, tests: bool = False,
            adjust_method: str = "holm") -> Analysis:
    """The whole analysis of a results folder.

    Means for every point and metric, plus regime differences and sensitivity indices where the
    design supports them; ``notes`` say what was left out and why. ``alpha`` is kept for
    callers of the earlier signature; the intervals' level is ``level``.
    """
    del alpha
    notes = list(results.notes)
    means = point_means(results, level=level)
    comparisons, reason = regime_comparisons(results, reference=reference, tests=tests,
                                             adjust_method=adjust_method, level=level)
    if reason:
        notes.append(f"no regime comparisons: {reason}")
    skipped = [m for m in results.metrics if not is_policy(m)]
    if skipped and not comparisons.empty:
        notes.append(f"not compared (no policy lever moves them): {', '.join(skipped)}")
    sobol_table = morris_table = pd.DataFrame()
    kind = results.design_kind
    for wanted, fn in (("sobol", sobol_indices), ("morris", morris_indices)):
        if kind != wanted:
            continue
        try:
            table, more = fn(results, level=level)
        except ValueError as exc:
            notes.append(f"no {wanted.capitalize()} indices: {exc}")
            continue
        notes += more
        if wanted == "sobol":
            sobol_table = table
        else:
            morris_table = table
    if kind not in ("sobol", "morris"):
        notes.append("sensitivity indices need a sobol (or morris) design; this one is "
                     + (f"'{kind}'" if kind else "absent"))
    return Analysis(means, comparisons, sobol_table, morris_table, notes,
                    precision_table(results, level), reference, posterior_robustness(
                        results, reference))


def posterior_robustness(results: Results, reference: str | None) -> pd.DataFrame:
    """The robustness of the regime ranking across posterior draws (empty without a posterior)."""
    if "posterior" not in results.manifest:
        return pd.DataFrame()
    from experiments.analysis.robustness import RANKED, robustness_table

    sets, _ = comparison_sets(results)
    return robustness_table(results, sets, reference, smallest_effect(RANKED, results.spec))


def _decimals(half_width: float) -> int:
    """Decimals that show a half-width to two significant digits (2 to 8)."""
    if not math.isfinite(half_width) or half_width <= 0:
        return -1
    return int(min(8, max(2, 1 - math.floor(math.log10(half_width)))))


def metric_decimals(table: pd.DataFrame) -> int:
    """Decimals for one metric's column: enough for the median CI half-width (-1: none)."""
    half = ((table["ci_high"] - table["ci_low"]) / 2).to_numpy(dtype=float)
    half = half[np.isfinite(half) & (half > 0)]
    return _decimals(float(np.median(half))) if half.size else -1


def format_estimate(mean: float, low: float, high: float, style: str = "pm",
                    decimals: int | None = None) -> str:
    """An estimate with its interval, as text.

    ``0.312 ± 0.011`` (style pm) or ``0.312 [0.301, 0.323]`` (style ci); ``decimals`` defaults to
    what the half-width needs.
    """
    if not math.isfinite(mean):
        return "n/a"
    half = (high - low) / 2 if math.isfinite(low) and math.isfinite(high) else math.nan
    dec = _decimals(half) if decimals is None else decimals
    if dec < 0 or not math.isfinite(half):
        return f"{mean:.4g}" if dec < 0 else f"{mean:.{dec}f}"
    if style == "pm":
        return f"{mean:.{dec}f} ± {half:.{dec}f}"
    return f"{mean:.{dec}f} [{low:.{dec}f}, {high:.{dec}f}]"


def _p(p: float) -> str:
    if not math.isfinite(p):
        return "n/a"
    return "<0.0001" if p < 1e-4 else f"{p:.4f}"


def _row_decimals(*values: float) -> int:
    """Decimals that give the largest of ``values`` four significant digits (2 to 8)."""
    big = max((abs(v) for v in values if math.isfinite(v)), default=0.0)
    if big == 0:
        return 4
    return int(min(8, max(2, 3 - math.floor(math.log10(big)))))


def _num(x: float, decimals: int = 4, signed: bool = False) -> str:
    if not math.isfinite(x):
        return "n/a"
    return f"{x:{'+' if signed else ''}.{decimals}f}"


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    """A GitHub-flavoured Markdown table (pipes in cells escaped)."""
    def cell(text: str) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in headers) + " |",
             "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def text_table(headers: list[str], rows: list[list[str]]) -> str:
    """Columns aligned for a terminal; the first column left, the rest right."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]

    def line(r: list[str]) -> str:
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                         for i, (c, w) in enumerate(zip(r, widths, strict=True)))

    return "\n".join([line(headers), "  ".join("-" * w for w in widths),
                      *(line(r) for r in rows)])


def _means_markdown(results: Results, analysis: Analysis, level: float) -> str:
    varying = results.varying_parameters()
    several = len(results.regimes) > 1
    out = [f"# {results.name}: means over replicates",
           "",
           f"Each run's value is its mean over the steps after a burn-in of {results.burn_in}; "
           f"the table gives the mean over replicates and its {level:.0%} t-interval, in the "
           f"unit of each heading ({SHOWN_NOTE}).",
           ""]
    means = shown_columns(analysis.means, ESTIMATE_COLUMNS)
    for metric, table in means.groupby("metric", sort=False):
        dec = metric_decimals(table)
        out += [f"## {axis_label(metric)}", ""]
        headers = ["Point", *(["Regime"] if several else []),
                   *(axis_label(p) for p in varying), "n", "Mean", f"{level:.0%} CI"]
        rows = []
        for d in table.to_dict("records"):
            est = format_estimate(d["mean"], d["ci_low"], d["ci_high"], "ci", dec)
            mean_text, _, ci_text = est.partition(" ")
            rows.append([str(d["point"]), *([regime_label(d["regime"])] if several else []),
                         *(format_value(d[p]) for p in varying), str(d["n"]), mean_text,
                         ci_text or "n/a"])
        out += [markdown_table(headers, rows), ""]
    return "\n".join(out)


def comparison_method_text(results: Results, table: pd.DataFrame) -> str:
    """One paragraph: how the differences and their intervals were computed."""
    pairing = ("the arms share random numbers (common_random_numbers), so intervals are paired "
               "on replicate" if paired_arms(results) else
               "the arms do not share random numbers, so intervals are Welch t-intervals")
    text = (f"Difference = regime B minus regime A with its 95% interval; {pairing}; "
            "rare-event outputs get a BCa bootstrap interval (20 runs or more per arm). Effect: "
            "Hedges' g (difference over the pooled between-run sd). SESOI: the smallest effect "
            "of interest (spec's smallest_effect, else 0.01 for shares of cadres); relevance: "
            "beyond = the interval lies beyond +-SESOI, within = inside it, inconclusive = it "
            "straddles a bound.")
    if "p_adjusted" in table:
        n = int(table["p_value"].notna().sum())
        text += (f" p: t-test matching the interval (paired or Welch), adjusted "
                 f"({table['adjustment'].iloc[0]}, statsmodels) over the {n} tests in this "
                 "table; with enough replications every difference is 'significant', so read "
                 "the intervals first.")
    return text


def _difference_text(r: dict[str, Any]) -> str:
    dec = _row_decimals(r["mean_a"], r["mean_b"])
    diff = _num(r["difference"], dec, signed=True)
    if math.isfinite(r["diff_ci_low"]):
        diff += f" [{_num(r['diff_ci_low'], dec, signed=True)}, " \
                f"{_num(r['diff_ci_high'], dec, signed=True)}]"
    return diff


def _comparisons_markdown(results: Results, table: pd.DataFrame) -> str:
    out = [f"# {results.name}: regime differences", "", comparison_method_text(results, table),
           "", f"Means, differences and SESOI are in the unit of each heading ({SHOWN_NOTE}).",
           ""]
    table = shown_columns(table, DIFFERENCE_COLUMNS)
    has_setting = table["setting"].astype(bool).any()
    tests = "p_adjusted" in table
    for metric, part in table.groupby("metric", sort=False):
        out += [f"## {axis_label(metric)}", ""]
        headers = [*(["Setting"] if has_setting else []), "Regime A", "Regime B", "n", "Mean A",
                   "Mean B", "Difference [95% CI]", "Method", "Hedges g", "SESOI", "Relevance",
                   *(["p", "p (adjusted)"] if tests else [])]
        rows = []
        for r in part.to_dict("records"):
            dec = _row_decimals(r["mean_a"], r["mean_b"])
            rows.append([*([r["setting"]] if has_setting else []), regime_label(r["regime_a"]),
                         regime_label(r["regime_b"]), f"{r['n_a']}/{r['n_b']}",
                         _num(r["mean_a"], dec), _num(r["mean_b"], dec), _difference_text(r),
                         r["method"], _num(r["effect_size"], 2, signed=True),
                         _num(r["smallest_effect"], dec), r["relevance"] or "n/a",
                         *([_p(r["p_value"]), _p(r["p_adjusted"])] if tests else [])])
        out += [markdown_table(headers, rows), ""]
    return "\n".join(out)


def _precision_markdown(results: Results, table: pd.DataFrame) -> str:
    out = [f"# {results.name}: precision reached", "",
           "Replications by precision: each point ran until every named metric's 95% "
           "half-width was at most its target, or the spec's max was reached.", ""]
    table = shown_columns(table, ("half_width", "target"))
    rows = [[r["label"], metric_label(r["metric"]).short, metric_label(r["metric"]).unit,
             str(r["n"]), _num(r["half_width"], 5), _num(r["target"], 5),
             "yes" if r["reached"] else "no"]
            for r in table.to_dict("records")]
    out += [markdown_table(["Point", "Metric", "Unit", "n", "Half-width", "Target", "Reached"],
                           rows), ""]
    return "\n".join(out)


def _sensitivity_markdown(results: Results, table: pd.DataFrame, kind: str) -> str:
    out = [f"# {results.name}: {kind} sensitivity indices", ""]
    if kind == "Sobol":
        out += ["First-order (S1) and total (ST) indices on per-point means over replicates, "
                "with bootstrap 95% intervals (±).", ""]
    else:
        out += ["Morris mean absolute elementary effect (mu*) with its bootstrap 95% interval, "
                "mean effect (mu) and spread (sigma), on per-point means.", ""]
    several = table["regime"].nunique() > 1
    table = shown_columns(table, MORRIS_COLUMNS)
    for (regime, metric), part in table.groupby(["regime", "metric"], sort=False):
        title = axis_label(metric) + (f" — {regime_label(regime)}" if several else "")
        out += [f"## {title}", ""]
        if kind == "Sobol":
            headers = ["Parameter", "S1", "±", "ST", "±"]
            rows = [[r["parameter_name"], f"{r['S1']:.3f}", f"{r['S1_conf']:.3f}",
                     f"{r['ST']:.3f}", f"{r['ST_conf']:.3f}"] for r in part.to_dict("records")]
        else:
            headers = ["Parameter", "mu*", "±", "mu", "sigma"]
            rows = [[r["parameter_name"], f"{r['mu_star']:.4g}", f"{r['mu_star_conf']:.2g}",
                     f"{r['mu']:.4g}", f"{r['sigma']:.4g}"] for r in part.to_dict("records")]
        out += [markdown_table(headers, rows), ""]
    return "\n".join(out)


def write_analysis(results: Results, analysis: Analysis, alpha: float = ALPHA,
                   level: float = LEVEL) -> list[Path]:
    """Write the tables as CSV and Markdown into ``RESULTS/analysis/``; returns the files."""
    del alpha  # kept for callers of the earlier signature
    folder = results.path / "analysis"
    folder.mkdir(exist_ok=True)
    written = []

    def put(name: str, text: str) -> None:
        path = folder / name
        path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        written.append(path)

    analysis.means.to_csv(folder / "means.csv", index=False)
    written.append(folder / "means.csv")
    put("means.md", _means_markdown(results, analysis, level))
    if not analysis.comparisons.empty:
        analysis.comparisons.to_csv(folder / "comparisons.csv", index=False)
        written.append(folder / "comparisons.csv")
        put("comparisons.md", _comparisons_markdown(results, analysis.comparisons))
    if not analysis.precision.empty:
        analysis.precision.to_csv(folder / "precision.csv", index=False)
        written.append(folder / "precision.csv")
        put("precision.md", _precision_markdown(results, analysis.precision))
    if not analysis.robustness.empty:
        from experiments.analysis.robustness import robustness_markdown

        analysis.robustness.to_csv(folder / "robustness.csv", index=False)
        written.append(folder / "robustness.csv")
        put("robustness.md", robustness_markdown(analysis.robustness))
    for kind, table in (("Sobol", analysis.sobol), ("Morris", analysis.morris)):
        if not table.empty:
            table.to_csv(folder / f"{kind.lower()}.csv", index=False)
            written.append(folder / f"{kind.lower()}.csv")
            put(f"{kind.lower()}.md", _sensitivity_markdown(results, table, kind))
    return written


def _point_lines(results: Results, analysis: Analysis, shown: list[str],
                 level: float) -> list[str]:
    """One row per point: mean ± CI half-width of the headline metrics."""
    lines = [f"Means over replicates ± half-width of the {level:.0%} t-interval "
             f"(burn-in {results.burn_in} steps):"]
    wide = shown_columns(analysis.means[analysis.means["metric"].isin(shown)], ESTIMATE_COLUMNS)
    decimals = {m: metric_decimals(t) for m, t in wide.groupby("metric")}
    rows = []
    for _point, part in wide.groupby("point", sort=True):
        by_metric = part.set_index("metric")
        rows.append([part["label"].iloc[0]] + [
            format_estimate(by_metric.at[m, "mean"], by_metric.at[m, "ci_low"],
                            by_metric.at[m, "ci_high"], decimals=decimals[m]) for m in shown])
    headers = ["Point", *(metric_label(m).short for m in shown)]
    return [*lines, text_table(headers, rows)]


def _spread_lines(results: Results, analysis: Analysis, shown: list[str]) -> list[str]:
    """For many points: per regime, the median and range of the per-point means."""
    lines = [f"Per-point means over replicates (burn-in {results.burn_in} steps), their median "
             "[min, max] over the points of each regime; every point is in analysis/means.md:"]
    wide = shown_columns(analysis.means[analysis.means["metric"].isin(shown)], ("mean",))
    rows = []
    for regime in results.regimes:
        part = wide[wide["regime"] == regime]
        row = [regime_label(regime)]
        for m in shown:
            v = part.loc[part["metric"] == m, "mean"].dropna()
            dec = _row_decimals(*v.to_numpy()) - 1 if len(v) else 3
            row.append(f"{v.median():.{dec}f} [{v.min():.{dec}f}, {v.max():.{dec}f}]"
                       if len(v) else "n/a")
        rows.append(row)
    headers = ["Regime", *(metric_label(m).short for m in shown)]
    return [*lines, text_table(headers, rows)]


def _comparison_lines(results: Results, analysis: Analysis, shown: list[str]) -> list[str]:
    """The headline metrics' differences with intervals, effect sizes and relevance."""
    table = analysis.comparisons
    if table.empty:
        return []
    against = (f"each regime minus {regime_label(analysis.reference)}" if analysis.reference
               else "B minus A")
    counts = table["relevance"].value_counts()
    without = int((table["relevance"] == "").sum())
    lines = ["", f"Regime differences ({against}) with 95% intervals:",
             *textwrap.wrap(comparison_method_text(results, table), 100),
             f"Over all {len(table)} differences: {counts.get('beyond', 0)} beyond the SESOI, "
             f"{counts.get('within', 0)} within it, {counts.get('inconclusive', 0)} "
             "inconclusive" + (f", {without} without a SESOI or an interval" if without else "")
             + ". Headline metrics:"]
    part = shown_columns(table[table["metric"].isin(shown)], DIFFERENCE_COLUMNS)
    has_setting = part["setting"].astype(bool).any()
    tests = "p_adjusted" in part
    rows = [[metric_label(r["metric"]).short, *([r["setting"]] if has_setting else []),
             f"{regime_label(r['regime_b'])} - {regime_label(r['regime_a'])}",
             _difference_text(r), r["method"], _num(r["effect_size"], 2, signed=True),
             r["relevance"] or "n/a", *([_p(r["p_adjusted"])] if tests else [])]
            for r in part.to_dict("records")]
    headers = ["Metric", *(["Setting"] if has_setting else []), "Comparison",
               "Difference [95% CI]", "Method", "g", "vs SESOI",
               *(["p (adj.)"] if tests else [])]
    lines.append(text_table(headers, rows[:MAX_PRINTED_ROWS]))
    if len(rows) > MAX_PRINTED_ROWS:
        lines.append(f"... {len(rows) - MAX_PRINTED_ROWS} more rows in analysis/comparisons.md")
    return lines


def _precision_lines(analysis: Analysis) -> list[str]:
    """Which points reached their precision targets."""
    table = analysis.precision
    if table.empty:
        return []
    by_point = table.groupby("label", sort=False)["reached"].all()
    missed = [label for label, ok in by_point.items() if not ok]
    lines = ["", f"Precision targets: {int(by_point.sum())} of {len(by_point)} points reached "
                 "every target (analysis/precision.md)."]
    if missed:
        lines.append("not reached (max replications): " + "; ".join(missed[:10])
                     + (" ..." if len(missed) > 10 else ""))
    return lines


def format_report(results: Results, analysis: Analysis, level: float = LEVEL) -> str:
    """What ``cadresim analyze`` prints: headline means, differences with intervals, indices."""
    n_points = results.points["point"].nunique()
    reps = results.runs.groupby("point").size()
    rep_text = (f"{reps.iloc[0]} replicates" if reps.nunique() == 1
                else f"{reps.min()}-{reps.max()} replicates")
    lines = [f"{results.name}: {n_points} point(s) x {rep_text}; {len(results.runs)} runs ok, "
             f"{results.n_failed} failed; design: {results.design_kind or 'none'}", ""]
    shown = [m for m in HEADLINE if m in results.metrics]
    if results.design_kind in SAMPLED_DESIGNS or n_points > MAX_PRINTED_ROWS:
        lines += _spread_lines(results, analysis, shown)
    else:
        lines += _point_lines(results, analysis, shown, level)
    lines += _comparison_lines(results, analysis, shown)
    if not analysis.robustness.empty:
        from experiments.analysis.robustness import robustness_lines

        lines += robustness_lines(analysis.robustness)
    lines += _precision_lines(analysis)
    if not analysis.sobol.empty:
        metric = "inaction" if "inaction" in set(analysis.sobol["metric"]) else \
            analysis.sobol["metric"].iloc[0]
        for regime, part in analysis.sobol[analysis.sobol["metric"] == metric].groupby(
                "regime", sort=False):
            lines += ["", f"Sobol indices of {metric_label(metric).name}"
                          + (f" — {regime_label(regime)}" if len(results.regimes) > 1 else "")
                          + " (95% bootstrap ±):"]
            lines.append(text_table(
                ["Parameter", "S1", "ST"],
                [[r["parameter_name"], f"{r['S1']:.3f} ± {r['S1_conf']:.3f}",
                  f"{r['ST']:.3f} ± {r['ST_conf']:.3f}"] for r in part.to_dict("records")]))
    if not analysis.morris.empty:
        metric = "inaction" if "inaction" in set(analysis.morris["metric"]) else \
            analysis.morris["metric"].iloc[0]
        part = shown_columns(analysis.morris[analysis.morris["metric"] == metric],
                             MORRIS_COLUMNS)
        lines += ["", f"Morris mu* of {axis_label(metric)}:"]
        lines.append(text_table(
            ["Regime", "Parameter", "mu*", "sigma"],
            [[regime_label(r["regime"]), r["parameter_name"],
              f"{r['mu_star']:.4g} ± {r['mu_star_conf']:.2g}", f"{r['sigma']:.4g}"]
             for r in part.to_dict("records")]))
    if analysis.notes:
        lines += ["", *(f"note: {n}" for n in analysis.notes)]
    return "\n".join(lines)
