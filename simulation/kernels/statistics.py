"""The step's statistics, compiled: the counts behind the year's shares, and its means.

The NumPy paths are simulation.step.tally (a count_nonzero per event and two bincounts), whose
integer counts are exact, and simulation.step.averages, whose means the kernel sums in NumPy's
pairwise order (simulation.kernels.reductions), so both give the same numbers.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from simulation import formulas as f
from simulation.accountability import Review
from simulation.kernels.jit import kernel
from simulation.kernels.reductions import mean, pairwise_sum
from simulation.outcomes import Outcomes
from simulation.population import CadreArrays
from simulation.promotion import Tournament
from simulation.step import TALLIED

N_ACTIONS, N_RUNGS = len(f.ACTIONS), len(f.RUNGS)
#: The events at the head of simulation.step.TALLIED (actions and rungs follow them).
N_EVENTS = len(TALLIED) - N_ACTIONS - N_RUNGS


def tally(
    action: NDArray[np.int8],
    out: Outcomes,
    rev: Review,
    tour: Tournament,
    retiring: NDArray[np.bool_],
    removed: NDArray[np.bool_],
) -> NDArray[np.int64]:
    """As simulation.step.tally: cadres counted for each entry of TALLIED."""
    return _tally(
        action, out.bold_success, out.bold_failure, rev.failure_tolerated, rev.failure_punished,
        rev.violation_exposed, rev.violation_shielded, rev.caught_idle, rev.caught_formal,
        rev.accused, rev.accusation_upheld, rev.wrongful, rev.leader_sanctioned, rev.sanctioned,
        rev.probation_failed, tour.promoted, tour.self_recommended, retiring, removed, rev.rung,
    )


def averages(cadres: CadreArrays, out: Outcomes) -> NDArray[np.float64]:
    """As simulation.step.averages: means over cadres, then meritocracy."""
    return _averages(out.real, out.measured, cadres.motivation, cadres.ability,
                     cadres.belief_punish, cadres.belief_detect, cadres.belief_promote,
                     cadres.belief_accuse, cadres.rank)


@kernel
def _averages(real, measured, motivation, ability, belief_punish, belief_detect, belief_promote,
              belief_accuse, rank):  # pragma: no cover - compiled
    """The eight means, then the rank-ability correlation."""
    return np.array([
        mean(real), mean(measured), mean(motivation), mean(ability), mean(belief_punish),
        mean(belief_detect), mean(belief_promote), mean(belief_accuse),
        rank_ability_correlation(rank, ability),
    ])


@kernel
def rank_ability_correlation(rank, ability):  # pragma: no cover - compiled
    """formulas.rank_ability_correlation, with its temporaries and sums in NumPy's order."""
    n = rank.size
    rank_centred = np.empty(n)
    for i in range(n):
        rank_centred[i] = rank[i]
    rank_mean = mean(rank_centred)
    ability_mean = mean(ability)
    ability_centred = np.empty(n)
    for i in range(n):
        rank_centred[i] -= rank_mean
        ability_centred[i] = ability[i] - ability_mean
    squares_rank = rank_centred * rank_centred
    squares_ability = ability_centred * ability_centred
    products = rank_centred * ability_centred
    denom = np.sqrt(pairwise_sum(squares_rank, 0, n) * pairwise_sum(squares_ability, 0, n))
    return pairwise_sum(products, 0, n) / denom if denom > 0 else 0.0


@kernel
def _count(mask, other, how):  # pragma: no cover - compiled
    """Cadres in ``mask`` alone (how 0), ``mask | other`` (1) or ``mask & ~other`` (2).

    One tight loop per count, which LLVM vectorises (a loop over all counts at once does not).
    """
    count = 0
    if how == 0:
        for i in range(mask.size):
            count += mask[i]
    elif how == 1:
        for i in range(mask.size):
            count += mask[i] | other[i]
    else:
        for i in range(mask.size):
            count += mask[i] & ~other[i]
    return count


@kernel
def _tally(action, bold_success, bold_failure, failure_tolerated, failure_punished,
           violation_exposed, violation_shielded, caught_idle, caught_formal, accused,
           accusation_upheld, wrongful, leader_sanctioned, sanctioned, probation_failed, promoted,
           self_recommended, retiring, removed, rung):  # pragma: no cover - compiled
    """Counts in TALLIED's order: the events, then actions, then sanctions by rung."""
    counts = np.zeros(N_EVENTS + N_ACTIONS + N_RUNGS, dtype=np.int64)
    alone = (bold_success, bold_failure, failure_tolerated, failure_punished, violation_exposed,
             violation_shielded)
    for k in range(len(alone)):
        counts[k] = _count(alone[k], alone[k], 0)
    counts[6] = _count(caught_idle, caught_formal, 1)
    counts[7] = _count(accused, accused, 0)
    counts[8] = _count(accused, accusation_upheld, 2)
    later = (wrongful, leader_sanctioned, sanctioned, probation_failed, promoted,
             self_recommended, retiring)
    for k in range(len(later)):
        counts[9 + k] = _count(later[k], later[k], 0)
    counts[16] = _count(retiring, removed, 1)
    for i in range(action.size):
        counts[N_EVENTS + action[i]] += 1
        if sanctioned[i]:
            counts[N_EVENTS + N_ACTIONS + rung[i]] += 1
    return counts
