"""PRIM, the Patient Rule Induction Method (Friedman and Fisher 1999), for scenario discovery.

Finds boxes (a range per input) where a condition on the outputs holds far more often than
overall. Peeling shrinks the box by the alpha share of its points along the one side that
raises the share of cases inside (its density) most per point removed (a tied value, such as a
level of an integer input, can only be peeled whole: Friedman and Fisher's rule for unequal
peels), down to a minimum support; every box on the way is kept, so the researcher sees the
trade-off between coverage (the share of all cases the box holds) and density. Pasting then
widens the chosen box again wherever that raises its density. Covering repeats the search on the
points no earlier box holds. Each restriction of a box gets a quasi-p-value (Bryant and Lempert
2010): how likely the box's cases would be if that restriction were lifted, so that edges
peeled on noise can be told from those that matter.

Written here rather than taken from the EMA Workbench: its ``analysis.prim`` imports the whole
workbench (about 1 700 modules, seconds of start-up, statsmodels, SALib, multiprocess) and
adds seaborn and platypus-opt, for about a hundred lines of algorithm.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

#: Friedman and Fisher's peeling share: small alpha makes the search patient.
ALPHA = 0.05
#: Peeling stops when the box holds less than this share of all points.
MIN_SUPPORT = 0.05
#: The box chosen from a trajectory: the most coverage with at least this density.
THRESHOLD = 0.8


@dataclass
class Box:
    """A box: limits per input, and what it holds."""

    limits: dict[str, tuple[float, float]]
    coverage: float
    density: float
    support: float
    #: The inputs whose limits are narrower than the data's range.
    restricted: list[str] = field(default_factory=list)
    #: Per restricted input: the chance of at least the box's cases among its points if they
    #: held at the density of the box with that restriction lifted (small: the limit matters).
    quasi_p: dict[str, float] = field(default_factory=dict)


@dataclass
class Discovery:
    """One covering step: the peeling trajectory and the box chosen from it (pasted)."""

    trajectory: pd.DataFrame
    box: Box
    chosen: int


def box_mask(x: pd.DataFrame, limits: dict[str, tuple[float, float]]) -> np.ndarray:
    """Which rows of ``x`` lie inside the limits (both ends included)."""
    inside = np.ones(len(x), bool)
    for name, (low, high) in limits.items():
        values = x[name].to_numpy(float)
        inside &= (values >= low) & (values <= high)
    return inside


def _peel_candidates(x: pd.DataFrame, inside: np.ndarray, limits: dict,
                     alpha: float) -> list[tuple[str, int, float, np.ndarray]]:
    """Every one-sided peel of the alpha share of the box's points: (input, side, bound, mask)."""
    peels = []
    for name in x.columns:
        values = x[name].to_numpy(float)
        held = values[inside]
        for side, q in ((0, alpha), (1, 1 - alpha)):
            bound = float(np.quantile(held, q, method="linear"))
            keep = inside & ((values >= bound) if side == 0 else (values <= bound))
            if keep.sum() == inside.sum():  # a tied value: remove the whole tie
                ties = values[inside] == (held.min() if side == 0 else held.max())
                if ties.all():
                    continue
                bound = float(held[~ties].min() if side == 0 else held[~ties].max())
                keep = inside & ((values >= bound) if side == 0 else (values <= bound))
            peels.append((name, side, bound, keep))
    return peels


def peel(x: pd.DataFrame, y: np.ndarray, alpha: float = ALPHA,
         min_support: float = MIN_SUPPORT) -> pd.DataFrame:
    """The peeling trajectory: one row per box (coverage, density, support, limits)."""
    limits = {c: (float(x[c].min()), float(x[c].max())) for c in x.columns}
    inside = np.ones(len(x), bool)
    total = max(int(y.sum()), 1)
    rows = [_row(limits, inside, y, total)]
    while inside.mean() > min_support:
        best = None
        density, held = y[inside].mean(), inside.sum()
        for name, side, bound, keep in _peel_candidates(x, inside, limits, alpha):
            if keep.sum() == 0:
                continue
            gain = (y[keep].mean() - density) / (held - keep.sum())  # per point peeled
            if best is None or gain > best[0]:
                best = (gain, name, side, bound, keep)
        if best is None:
            break
        _, name, side, bound, inside = best
        low, high = limits[name]
        limits = {**limits, name: (bound, high) if side == 0 else (low, bound)}
        rows.append(_row(limits, inside, y, total))
    return pd.DataFrame(rows)


def _row(limits: dict, inside: np.ndarray, y: np.ndarray, total: int) -> dict:
    """A trajectory row: the box's statistics and its limits."""
    held = int(inside.sum())
    return {"coverage": float(y[inside].sum()) / total,
            "density": float(y[inside].mean()) if held else 0.0,
            "support": held / len(y), "points": held, "limits": dict(limits)}


def paste(x: pd.DataFrame, y: np.ndarray, limits: dict, alpha: float = ALPHA,
          within: np.ndarray | None = None) -> dict:
    """Widen the box side by side, alpha of its points at a time, while density rises."""
    pool = np.ones(len(x), bool) if within is None else within
    full = {c: (float(x.loc[pool, c].min()), float(x.loc[pool, c].max())) for c in x.columns}
    while True:
        inside = box_mask(x, limits) & pool
        density = y[inside].mean() if inside.any() else 0.0
        step = max(1, int(np.ceil(alpha * inside.sum())))
        best = None
        for name in x.columns:
            values = x[name].to_numpy(float)
            low, high = limits[name]
            below = np.sort(values[pool & (values < low)])[::-1][:step]
            above = np.sort(values[pool & (values > high)])[:step]
            for wider in ((below[-1], high) if below.size else None,
                          (low, above[-1]) if above.size else None):
                if wider is None:
                    continue
                trial = {**limits, name: (float(wider[0]), float(wider[1]))}
                mask = box_mask(x, trial) & pool
                gain = y[mask].mean()
                if gain > density and (best is None or gain > best[0]):
                    best = (gain, trial)
        if best is None:
            return {c: (max(lo, full[c][0]), min(hi, full[c][1]))
                    for c, (lo, hi) in limits.items()}
        limits = best[1]


def choose(trajectory: pd.DataFrame, threshold: float = THRESHOLD) -> int:
    """The box of most coverage with density at least ``threshold``, else the densest.

    Of boxes equal in coverage, the denser one (the last peel that lost no case).
    """
    dense = trajectory[trajectory["density"] >= threshold]
    if len(dense):
        return int(dense.sort_values(["coverage", "density"], ascending=False,
                                     kind="stable").index[0])
    return int(trajectory["density"].idxmax())


def discover(x: pd.DataFrame, y: np.ndarray, boxes: int = 1, alpha: float = ALPHA,
             min_support: float = MIN_SUPPORT, threshold: float = THRESHOLD) -> list[Discovery]:
    """Up to ``boxes`` boxes by covering: each found among the points no earlier box holds.

    Coverage is over all cases (Friedman and Fisher's covering); a later box below the
    density ``threshold`` is not reported (the first always is).
    """
    y = np.asarray(y, bool)
    x = x.reset_index(drop=True)
    total = max(int(y.sum()), 1)
    free = np.ones(len(x), bool)
    found = []
    for _ in range(boxes):
        if not y[free].any():
            break
        trajectory = peel(x[free].reset_index(drop=True), y[free], alpha, min_support)
        chosen = choose(trajectory, threshold)
        limits = paste(x, y, trajectory.loc[chosen, "limits"], alpha, within=free)
        inside = box_mask(x, limits) & free
        density = float(y[inside].mean()) if inside.any() else 0.0
        if found and density < threshold:
            break
        ranges = {c: (float(x[c].min()), float(x[c].max())) for c in x.columns}
        restricted = [c for c, (lo, hi) in limits.items() if (lo, hi) != ranges[c]]
        quasi_p = {c: quasi_p_value(x, y, limits, inside, c, ranges[c], free)
                   for c in restricted}
        box = Box(limits, float(y[inside].sum()) / total, density, float(inside.mean()),
                  restricted, quasi_p)
        found.append(Discovery(trajectory, box, chosen))
        free &= ~inside
    return found


def quasi_p_value(x: pd.DataFrame, y: np.ndarray, limits: dict, inside: np.ndarray, name: str,
                  full: tuple[float, float], pool: np.ndarray) -> float:
    """The quasi-p-value of one restriction of a box (Bryant and Lempert 2010).

    P(at least the box's cases among its points) if they held at the density of the box with
    ``name``'s restriction lifted (one-sided binomial).
    """
    lifted = box_mask(x, {**limits, name: full}) & pool
    cases, points = int(y[inside].sum()), int(inside.sum())
    return float(stats.binom.sf(cases - 1, points, y[lifted].mean()))
