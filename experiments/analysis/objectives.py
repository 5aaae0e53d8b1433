"""Regimes judged on several objectives: dominance, and the share of posterior draws on the front.

The objectives are the spec's ``objectives`` (default: inaction, real output, welfare, wrongful
sanctions), each better lower or higher as the output registry says (``Output.better``). One rule
decides dominance everywhere (:func:`dominates`): regime X dominates regime Y when X is no worse
than Y on every objective and better on at least one, both by more than that objective's
smallest effect of interest (``differences.smallest_effect``; 0 for an objective without one):

* in the **dominance table**, on the 95% intervals of the paired differences: X's gain over Y
  on an objective is the lower bound of the interval of (X - Y), oriented so that a positive
  gain is better, so "no worse" and "better" are both established at 95% on each objective;
* under a **posterior**, on the values of each draw (replicate r of every regime ran in the same
  plausible world): the share of draws in which a regime is on the Pareto front, that is
  dominated by no other regime in that draw.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from experiments.analysis.comparisons import comparison_sets, regime_comparisons
from experiments.analysis.differences import smallest_effect
from experiments.analysis.intervals import LEVEL
from experiments.analysis.results import Results
from experiments.analysis.robustness import lower_is_better
from experiments.engine.spec import default_objectives


def objectives_of(results: Results) -> list[str]:
    """The objectives of a results folder: its spec's, else the defaults, among kept metrics."""
    chosen = results.spec.get("objectives")
    if isinstance(chosen, list) and chosen:
        return [m for m in chosen if m in results.metrics]
    return default_objectives(results.metrics)


def orientation(metric: str) -> float:
    """+1 where higher is better, -1 where lower is (so that a positive gain is better)."""
    return -1.0 if lower_is_better(metric) else 1.0


def sesoi_of(metrics: Sequence[str], spec: dict) -> np.ndarray:
    """Each objective's smallest effect of interest (0 where it has none)."""
    values = np.array([smallest_effect(m, spec) for m in metrics], dtype=float)
    return np.where(np.isfinite(values), values, 0.0)


def dominates(gain: np.ndarray, sesoi: np.ndarray) -> np.ndarray:
    """Whether X dominates Y, from X's gains over Y (last axis: objectives; positive is better).

    No worse than ``-sesoi`` on every objective and better than ``+sesoi`` on at least one.
    Broadcasts over leading axes (draws, pairs).
    """
    gain = np.asarray(gain, dtype=float)
    return np.all(gain >= -sesoi, axis=-1) & np.any(gain > sesoi, axis=-1)


def front(values: np.ndarray, sesoi: np.ndarray) -> np.ndarray:
    """Which regimes no other dominates: ``values`` are (..., regimes, objectives), oriented.

    Returns (..., regimes) booleans.
    """
    gain = values[..., :, None, :] - values[..., None, :, :]  # [x, y]: x's gain over y
    dominated = dominates(gain, sesoi).any(axis=-2)  # any x dominates y
    return ~dominated


def dominance_table(results: Results, objectives: Sequence[str], level: float = LEVEL,
                    pairs: pd.DataFrame | None = None) -> tuple[pd.DataFrame, str]:
    """Per design row and regime: which regimes it dominates and which dominate it.

    On the paired differences' intervals (module docstring). Columns: ``setting``, ``regime``,
    ``on_front`` (no regime dominates it), ``dominates``, ``dominated_by`` (regime names joined
    by ``; ``), ``objectives`` and ``smallest_effects``. ``pairs``: the comparisons of every
    pair already computed (``regime_comparisons`` without a reference), else computed here.
    Returns an empty table and the reason when there is nothing to compare.
    """
    objectives = list(objectives)
    if not objectives:
        return pd.DataFrame(), "no objective is kept by the runs"
    reason = ""
    if pairs is None or pairs.empty or not set(objectives) <= set(pairs["metric"]):
        pairs, reason = regime_comparisons(results, objectives, level=level)
    if pairs.empty:
        return pd.DataFrame(), reason
    sesoi = sesoi_of(objectives, results.spec)
    sets, _ = comparison_sets(results)
    keyed = pairs.set_index(["setting", "regime_a", "regime_b", "metric"])
    rows = []
    for setting, by_regime in sets:
        regimes = [r for r in results.regimes if r in by_regime]
        wins: dict[str, list[str]] = {r: [] for r in regimes}
        losses: dict[str, list[str]] = {r: [] for r in regimes}
        for i, a in enumerate(regimes):
            for b in regimes[i + 1:]:
                gain_b = np.array([_lower_gain(keyed, setting, a, b, m, +1) for m in objectives])
                gain_a = np.array([_lower_gain(keyed, setting, a, b, m, -1) for m in objectives])
                for winner, loser, gain in ((b, a, gain_b), (a, b, gain_a)):
                    if dominates(gain, sesoi):
                        wins[winner].append(loser)
                        losses[loser].append(winner)
        for r in regimes:
            rows.append({"setting": setting, "regime": r, "on_front": not losses[r],
                         "dominates": "; ".join(wins[r]), "dominated_by": "; ".join(losses[r]),
                         "objectives": "; ".join(objectives),
                         "smallest_effects": "; ".join(f"{s:g}" for s in sesoi)})
    return pd.DataFrame(rows), ""


def _lower_gain(keyed: pd.DataFrame, setting: str, a: str, b: str, metric: str,
                towards: int) -> float:
    """The lower 95% bound of the gain of B over A (``towards`` +1) or of A over B (-1).

    NaN (no interval) counts as no established gain.
    """
    row = keyed.loc[(setting, a, b, metric)]
    sign = orientation(metric) * towards
    bounds = sign * np.array([row["diff_ci_low"], row["diff_ci_high"]], dtype=float)
    low = float(np.min(bounds))
    return low if math.isfinite(low) else -math.inf


def pareto_shares(results: Results, objectives: Sequence[str]) -> pd.DataFrame:
    """Per design row and regime, the share of posterior draws in which it is on the front.

    Draws are replicates every regime of the row finished; empty without a posterior or with
    fewer than two regimes. Columns: ``setting``, ``regime``, ``share_front``, ``draws``,
    ``objectives``.
    """
    objectives = list(objectives)
    if "posterior" not in results.manifest or not objectives:
        return pd.DataFrame()
    sets, _ = comparison_sets(results)
    sesoi = sesoi_of(objectives, results.spec)
    signs = np.array([orientation(m) for m in objectives])
    frames = []
    for setting, by_regime in sets:
        part = results.runs[results.runs["point"].isin(list(by_regime.values()))]
        wide = part.pivot(index="replicate", columns="regime", values=objectives).dropna()
        regimes = [r for r in results.regimes if r in by_regime]
        # draws x regimes x objectives, oriented so that higher is better
        values = np.stack([wide[m][regimes].to_numpy(float) for m in objectives], axis=-1)
        on_front = front(values * signs, sesoi)
        frames.append(pd.DataFrame({
            "setting": setting, "regime": regimes, "share_front": on_front.mean(axis=0),
            "draws": len(wide), "objectives": "; ".join(objectives)}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
