"""The step's statistics, compiled: the counts behind the year's shares, and its means.

The NumPy paths are simulation.statistics.tally (a count_nonzero per event and two bincounts),
whose integer counts are exact, and simulation.statistics.averages, whose means the kernel sums
in NumPy's pairwise order (simulation.kernels.reductions), so both give the same numbers.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from simulation import formulas as f
from simulation.cadres import CadreArrays
from simulation.kernels.jit import kernel
from simulation.kernels.reductions import mean, pairwise_sum
from simulation.records import EVENTS, Outcomes, Review, Tournament

N_EVENTS, N_ACTIONS, N_RUNGS = len(EVENTS), len(f.ACTIONS), len(f.RUNGS)
#: How an event's cadres are counted from two masks: ``mask`` alone, ``mask | other``, or
#: ``mask & ~other``.
ALONE, EITHER, BUT_NOT = range(3)


#: The masks the year's events are counted from, in this order in ``masks``' tuple: the
#: outcome's, the review's, the tournament's, then retiring and removed.
MASKS: tuple[str, ...] = (
    "bold_success", "bold_failure", "failure_tolerated", "failure_punished",
    "violation_exposed", "violation_shielded", "caught_idle", "caught_formal", "accused",
    "accusation_upheld", "wrongful", "leader_sanctioned", "sanctioned", "probation_failed",
    "promoted", "self_recommended", "retiring", "removed",
)
_AT = {name: k for k, name in enumerate(MASKS)}


def _alone(mask: str) -> tuple[int, int, int]:
    return _AT[mask], _AT[mask], ALONE


#: Which cadres each event counts, in EVENTS order: (mask, other mask, how) as indices into
#: MASKS and ALONE / EITHER / BUT_NOT (what simulation.statistics.tally counts of each).
PLAN: NDArray[np.int64] = np.array([{
    "bold_success": _alone("bold_success"),
    "bold_failure": _alone("bold_failure"),
    "tolerated_failures": _alone("failure_tolerated"),
    "punished_failures": _alone("failure_punished"),
    "violations_exposed": _alone("violation_exposed"),
    "shielded_violations": _alone("violation_shielded"),
    "caught_inaction": (_AT["caught_idle"], _AT["caught_formal"], EITHER),
    "false_accusations": _alone("accused"),
    "cleared_accusations": (_AT["accused"], _AT["accusation_upheld"], BUT_NOT),
    "wrongful_sanctions": _alone("wrongful"),
    "leader_sanctions": _alone("leader_sanctioned"),
    "sanctions": _alone("sanctioned"),
    "probation_failures": _alone("probation_failed"),
    "promotions": _alone("promoted"),
    "self_recommendations": _alone("self_recommended"),
    "retirements": _alone("retiring"),
    "turnover": (_AT["retiring"], _AT["removed"], EITHER),
}[name] for name in EVENTS], dtype=np.int64)


def masks(
    out: Outcomes,
    rev: Review,
    tour: Tournament,
    retiring: NDArray[np.bool_],
    removed: NDArray[np.bool_],
) -> tuple[NDArray[np.bool_], ...]:
    """The year's masks in MASKS order: one plain tuple, cheap to hand a kernel."""
    return (out.bold_success, out.bold_failure, rev.failure_tolerated, rev.failure_punished,
            rev.violation_exposed, rev.violation_shielded, rev.caught_idle, rev.caught_formal,
            rev.accused, rev.accusation_upheld, rev.wrongful, rev.leader_sanctioned,
            rev.sanctioned, rev.probation_failed, tour.promoted, tour.self_recommended,
            retiring, removed)


def tally(
    action: NDArray[np.int8],
    out: Outcomes,
    rev: Review,
    tour: Tournament,
    retiring: NDArray[np.bool_],
    removed: NDArray[np.bool_],
) -> NDArray[np.int64]:
    """As simulation.statistics.tally: cadres counted for each entry of records.TALLIED."""
    return _tally(masks(out, rev, tour, retiring, removed), PLAN, action, rev.sanctioned,
                  rev.rung)


def averages(cadres: CadreArrays, out: Outcomes) -> NDArray[np.float64]:
    """As simulation.statistics.averages: means over cadres, then meritocracy."""
    c = cadres
    means = (out.real, out.measured, c.motivation, c.ability, c.belief_punish, c.belief_detect,
             c.belief_promote)
    perceived = (c.belief_detect_formal, c.belief_punish_routine, c.belief_accused,
                 c.belief_upheld, c.belief_warning_cost, c.belief_demotion_cost,
                 c.belief_removal_cost)
    return _averages(means, c.belief_accused, c.belief_upheld, perceived, c.rank, c.ability)


@kernel
def _averages(means, accused, upheld, perceived, rank, ability):  # pragma: no cover - compiled
    """The means in records.AVERAGED order.

    Those of ``means``, of accused x upheld, of ``perceived``, then the rank-ability correlation.
    """
    values = np.empty(len(means) + 1 + len(perceived) + 1)
    k = 0
    for array in means:
        values[k] = mean(array)
        k += 1
    values[k] = mean(accused * upheld)
    k += 1
    for array in perceived:
        values[k] = mean(array)
        k += 1
    values[k] = rank_ability_correlation(rank, ability)
    return values


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
    """Cadres in ``mask`` alone (ALONE), ``mask | other`` (EITHER) or ``mask & ~other``.

    One tight loop per count, which LLVM vectorises (a loop over all counts at once does not).
    """
    count = 0
    if how == ALONE:
        for i in range(mask.size):
            count += mask[i]
    elif how == EITHER:
        for i in range(mask.size):
            count += mask[i] | other[i]
    else:
        for i in range(mask.size):
            count += mask[i] & ~other[i]
    return count


@kernel
def _tally(masks, plan, action, sanctioned, rung):  # pragma: no cover - compiled
    """Counts in TALLIED's order: events (``plan`` over ``masks``), actions, sanctions by rung."""
    counts = np.zeros(N_EVENTS + N_ACTIONS + N_RUNGS, dtype=np.int64)
    for k in range(N_EVENTS):
        counts[k] = _count(masks[plan[k, 0]], masks[plan[k, 1]], plan[k, 2])
    for i in range(action.size):
        counts[N_EVENTS + action[i]] += 1
        if sanctioned[i]:
            counts[N_EVENTS + N_ACTIONS + rung[i]] += 1
    return counts
