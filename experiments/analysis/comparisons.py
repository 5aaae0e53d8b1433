"""Regime comparisons: differences between regimes at the same parameter values.

Every pair of regimes (or every regime against a chosen reference) at the same parameter values
(each design row, or the whole experiment without a design), for every kept metric that policy
can move: the difference B minus A (A first in the spec, or the reference) in the metric's units
with a 95% interval (paired on replicate when the arms share random numbers, Welch otherwise,
BCa bootstrap for rare-event outputs), Hedges' g, and where the interval lies relative to the
smallest effect of interest; p-values only on request, adjusted by statsmodels (rules in
:mod:`experiments.analysis.differences`). Sampled designs (lhs, sobol, morris) get no
point-by-point comparisons.
"""

from __future__ import annotations

import itertools
from typing import Any

import pandas as pd

from experiments.analysis.differences import (
    adjust,
    compare_arms,
    is_policy,
    smallest_effect,
    test_p_value,
)
from experiments.analysis.intervals import LEVEL
from experiments.analysis.labels import (
    metric_label,
    setting_label,
    stored_unit,
)
from experiments.analysis.results import SAMPLED_DESIGNS, Results


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

