"""Welfare over the band of its weights, recomputed from a results folder's stored outputs.

Welfare (docs/ODD.md 9.1) is linear in four stored outputs (real output, effort cost, wrongful
sanctions, shielded violations), so a run's mean welfare at any weights is the same combination
of the run's means after the burn-in: the band over the weights needs no rerun. Per point, the
band is the lowest and highest mean welfare over the grid of weights :data:`WEIGHT_BAND` (each
weight at its low, default and high value), and where regimes are compared, the best and worst
rank each regime takes over that grid.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from experiments.analysis.comparisons import comparison_sets
from experiments.analysis.intervals import LEVEL, t_interval
from experiments.analysis.labels import point_labels
from experiments.analysis.results import Results
from simulation.config import Welfare
from simulation.formulas import welfare

#: The stored outputs welfare is made of, in ``formulas.welfare``'s order.
COMPONENTS: tuple[str, ...] = ("real_output", "effort_cost", "wrongful_sanctions",
                               "shielded_violations")
#: The weights (fields of the config's ``welfare`` section), in ``formulas.welfare``'s order.
WEIGHTS: tuple[str, ...] = ("effort_weight", "wrongful_sanction_harm", "shielded_violation_harm")
#: Each weight's band (docs/ODD.md 9.1): low, default, high.
WEIGHT_BAND: dict[str, tuple[float, float, float]] = {
    "effort_weight": (0.5, 1.0, 1.5),
    "wrongful_sanction_harm": (0.5, 2.0, 8.0),
    "shielded_violation_harm": (1.0, 4.0, 16.0),
}


def welfare_at(outputs: Mapping[str, Any], weights: Mapping[str, float]) -> Any:
    """Welfare from the four outputs (run values or means, scalars or arrays) at ``weights``."""
    return welfare(*(outputs[c] for c in COMPONENTS), *(float(weights[w]) for w in WEIGHTS))


def weight_grid() -> list[dict[str, float]]:
    """Every combination of the weights' band values (27: low, default, high each)."""
    return [dict(zip(WEIGHTS, values, strict=True))
            for values in itertools.product(*(WEIGHT_BAND[w] for w in WEIGHTS))]


def config_weights(results: Results, point: int) -> dict[str, float]:
    """The welfare weights a point ran with.

    Its design values, else the spec's ``set``, else the config defaults (a base config that
    sets them is not read: the stored ``welfare`` is, where kept).
    """
    defaults = Welfare()
    fixed = results.spec.get("set") or {}
    row = results.points.set_index("point").loc[point]
    weights = {}
    for w in WEIGHTS:
        path = f"welfare.{w}"
        value = row.get(path) if path in results.parameters else None
        if value is None or pd.isna(value):
            value = fixed.get(path, getattr(defaults, w))
        weights[w] = float(value)
    return weights


def welfare_band(results: Results, level: float = LEVEL) -> tuple[pd.DataFrame, str]:
    """Per point: welfare at the config's weights with its interval, and its band.

    Columns: ``point``, ``regime``, ``label``, ``n``, ``welfare`` (the stored mean, else
    recomputed at :func:`config_weights`), ``ci_low``, ``ci_high``, ``band_low``, ``band_high``
    (lowest and highest mean over :func:`weight_grid`), and where regimes share a design row,
    ``rank`` (1 = highest welfare at the config's weights), ``rank_best`` and ``rank_worst``
    over the grid. Returns an empty table and the reason when the runs lack a component.
    """
    missing = [c for c in COMPONENTS if c not in results.metrics]
    if missing:
        return pd.DataFrame(), f"the runs do not keep {', '.join(missing)}"
    grid = weight_grid()
    labels = point_labels(results)
    rows = []
    for point, runs in results.runs.groupby("point", sort=True):
        parts = {c: runs[c].to_numpy(float) for c in COMPONENTS}
        at_config = (runs["welfare"].to_numpy(float) if "welfare" in runs
                     else welfare_at(parts, config_weights(results, int(point))))
        n, mean, _, low, high = t_interval(at_config, level)
        means = np.array([np.nanmean(welfare_at(parts, w)) for w in grid])
        rows.append({"point": int(point), "regime": str(runs["regime"].iloc[0]),
                     "label": labels.get(int(point), str(point)), "n": n, "welfare": mean,
                     "ci_low": low, "ci_high": high, "band_low": float(means.min()),
                     "band_high": float(means.max()), "_grid": means})
    table = pd.DataFrame(rows)
    table[["rank", "rank_best", "rank_worst"]] = np.nan
    sets, _ = comparison_sets(results)
    by_point = table.set_index("point")
    for _, by_regime in sets:
        points = [p for p in by_regime.values() if p in by_point.index]
        at_config = by_point.loc[points, "welfare"].to_numpy(float)
        grid_means = np.vstack(by_point.loc[points, "_grid"].to_list())  # points x weights
        rank = _ranks(at_config[:, None])[:, 0]
        ranks = _ranks(grid_means)
        for i, p in enumerate(points):
            table.loc[table["point"] == p, ["rank", "rank_best", "rank_worst"]] = (
                rank[i], ranks[i].min(), ranks[i].max())
    return table.drop(columns="_grid"), ""


def _ranks(values: np.ndarray) -> np.ndarray:
    """Rank of each row within each column, 1 for the highest (ties share the best rank)."""
    return (values[None, :, :] > values[:, None, :]).sum(axis=1) + 1
