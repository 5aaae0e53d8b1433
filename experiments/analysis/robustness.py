"""How robust a regime ranking is to the parameter uncertainty of a calibration.

In a sweep under a posterior (the spec's ``posterior``), replicate r of every regime ran on the
same posterior particle and seed, so ``reference - regime`` in replicate r is the regime's
improvement in one plausible world. In the spirit of robust decision-making, each regime is
summarised by the share of posterior draws in which it beats the reference by more than the
smallest effect of interest, the share in which it is worse by as much, and the share in which
it is best of all; a verdict says *robustly better* (or *worse*) when that share is at least
:data:`ROBUST_SHARE`. Which way is better is the output registry's (``Output.better``): lower
for the metric ranked by default (inaction); an output better neither way cannot be ranked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from experiments.analysis.results import Results
from simulation.loading import STATUS_QUO
from simulation.outputs import OUTPUTS

#: Share of draws at which a regime is called robustly better (or worse) than the reference.
ROBUST_SHARE = 0.9
#: The metric ranked by default: the headline, lower is better.
RANKED = "inaction"


def lower_is_better(metric: str) -> bool:
    """Whether a lower ``metric`` is better (the registry's direction; unknown names: lower).

    Raises:
        ValueError: the registry says neither way is better, so regimes cannot be ranked on it.
    """
    better = OUTPUTS[metric].better if metric in OUTPUTS else "lower"
    if better == "neither":
        raise ValueError(f"{metric!r} is better neither lower nor higher: regimes cannot be "
                         "ranked on it")
    return better == "lower"


def robustness(runs: pd.DataFrame, baseline: str, metric: str = RANKED,
               smallest_effect: float = 0.01) -> pd.DataFrame:
    """For each regime, paired differences from the baseline across replicates (posterior draws).

    ``improvement = baseline - regime`` per replicate where lower ``metric`` is better
    (``regime - baseline`` where higher is); replicates that some regime lacks (a failed run)
    are left out. Columns: the median improvement and its 90% interval, ``share_better``
    (improvement > smallest_effect), ``share_worse`` (< -smallest_effect), ``share_best`` (best
    of all regimes in that draw), ``draws`` and the verdict. Sorted by median improvement, best
    first.

    Raises:
        ValueError: the baseline is not among the runs' regimes, or ``metric`` is better
            neither way.
    """
    lower = lower_is_better(metric)
    wide = runs.pivot(index="replicate", columns="regime", values=metric).dropna()
    if baseline not in wide:
        raise ValueError(f"baseline {baseline!r} is not among the compared regimes; allowed: "
                         f"{', '.join(map(str, wide.columns))}")
    best = wide.idxmin(axis=1) if lower else wide.idxmax(axis=1)
    rows = []
    for regime in wide.columns:
        gain = (wide[baseline] - wide[regime] if lower else
                wide[regime] - wide[baseline]).to_numpy(float)
        better = float(np.mean(gain > smallest_effect))
        worse = float(np.mean(gain < -smallest_effect))
        rows.append({
            "regime": regime, "metric": metric, "median_improvement": float(np.median(gain)),
            "improvement_low": float(np.quantile(gain, 0.05)),
            "improvement_high": float(np.quantile(gain, 0.95)),
            "share_better": better, "share_worse": worse,
            "share_best": float(np.mean(best == regime)), "draws": len(gain),
            "smallest_effect": smallest_effect,
            "verdict": verdict(regime == baseline, better, worse),
        })
    table = pd.DataFrame(rows)
    return table.sort_values("median_improvement", ascending=False, ignore_index=True)


def verdict(is_baseline: bool, better: float, worse: float) -> str:
    """``baseline``, ``robustly better``/``worse`` (share >= ROBUST_SHARE), else it depends."""
    if is_baseline:
        return "baseline"
    if better >= ROBUST_SHARE:
        return "robustly better"
    if worse >= ROBUST_SHARE:
        return "robustly worse"
    return "depends on the parameters"


def default_reference(regimes: list[str]) -> str | None:
    """The regime others are compared with when none is named.

    The status quo (``simulation.loading.STATUS_QUO``) if it was run, else the first in spec
    order.
    """
    return STATUS_QUO if STATUS_QUO in regimes else (regimes[0] if regimes else None)


def robustness_table(results: Results, sets: list[tuple[str, dict[str, int]]],
                     reference: str | None, smallest_effect: float,
                     metric: str = RANKED) -> pd.DataFrame:
    """:func:`robustness` at each design row run under several regimes (``setting`` column).

    ``sets`` are the design rows (``statistics.comparison_sets``); the reference is
    ``reference``, else the status quo (``simulation.loading.STATUS_QUO``) where the row runs
    it, else the row's first regime in spec order.
    """
    frames = []
    for setting, by_regime in sets:
        base = reference if reference is not None else default_reference(list(by_regime))
        if base not in by_regime or metric not in results.runs:
            continue
        part = results.runs[results.runs["point"].isin(list(by_regime.values()))]
        frames.append(robustness(part, base, metric, smallest_effect)
                      .assign(setting=setting, reference=base))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
