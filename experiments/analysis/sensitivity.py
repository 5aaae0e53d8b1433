"""Sensitivity indices of a sampled design: Sobol and Morris, by SALib, per regime and metric.

Sobol: SALib's estimator on the per-point means in point order, per regime; first-order and
total indices with bootstrap 95% intervals (half-widths, as SALib reports them). Morris: the
mean absolute elementary effect with its bootstrap interval, the mean effect and the spread.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from experiments.analysis.intervals import LEVEL
from experiments.analysis.labels import (
    metric_label,
    parameter_label,
)
from experiments.analysis.results import Results
from experiments.engine.design import salib_problem as bounds_problem

#: Seed of SALib's bootstrap, so the written intervals do not change between calls.
BOOTSTRAP_SEED = 20261122


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

