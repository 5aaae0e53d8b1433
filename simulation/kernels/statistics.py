"""The step's statistics, compiled: the counts behind the year's shares, and its means.

The NumPy paths are simulation.statistics.tally (a count_nonzero per event and two bincounts),
whose integer counts are exact, and simulation.statistics.averages, whose means the kernel sums
in NumPy's pairwise order (simulation.kernels.reductions), so both give the same numbers.
"""

from __future__ import annotations

from typing import NamedTuple

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


class Event(NamedTuple):
    """Which cadres one event counts, as two masks and how they combine (ALONE, ...)."""

    mask: NDArray[np.bool_]
    other: NDArray[np.bool_]
    how: int


def events(
    out: Outcomes,
    rev: Review,
    tour: Tournament,
    retiring: NDArray[np.bool_],
    removed: NDArray[np.bool_],
) -> tuple[Event, ...]:
    """The year's events, in EVENTS order: what simulation.statistics.tally counts of each."""

    def alone(mask: NDArray[np.bool_]) -> Event:
        return Event(mask, mask, ALONE)

    by_name = {
        "bold_success": alone(out.bold_success),
        "bold_failure": alone(out.bold_failure),
        "tolerated_failures": alone(rev.failure_tolerated),
        "punished_failures": alone(rev.failure_punished),
        "violations_exposed": alone(rev.violation_exposed),
        "shielded_violations": alone(rev.violation_shielded),
        "caught_inaction": Event(rev.caught_idle, rev.caught_formal, EITHER),
        "false_accusations": alone(rev.accused),
        "cleared_accusations": Event(rev.accused, rev.accusation_upheld, BUT_NOT),
        "wrongful_sanctions": alone(rev.wrongful),
        "leader_sanctions": alone(rev.leader_sanctioned),
        "sanctions": alone(rev.sanctioned),
        "probation_failures": alone(rev.probation_failed),
        "promotions": alone(tour.promoted),
        "self_recommendations": alone(tour.self_recommended),
        "retirements": alone(retiring),
        "turnover": Event(retiring, removed, EITHER),
    }
    return tuple(by_name[name] for name in EVENTS)


def tally(
    action: NDArray[np.int8],
    out: Outcomes,
    rev: Review,
    tour: Tournament,
    retiring: NDArray[np.bool_],
    removed: NDArray[np.bool_],
) -> NDArray[np.int64]:
    """As simulation.statistics.tally: cadres counted for each entry of records.TALLIED."""
    return _tally(events(out, rev, tour, retiring, removed), action, rev.sanctioned, rev.rung)


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
def _tally(events, action, sanctioned, rung):  # pragma: no cover - compiled
    """Counts in TALLIED's order: the ``events``, then actions, then sanctions by rung."""
    counts = np.zeros(N_EVENTS + N_ACTIONS + N_RUNGS, dtype=np.int64)
    for k in range(N_EVENTS):
        event = events[k]
        counts[k] = _count(event.mask, event.other, event.how)
    for i in range(action.size):
        counts[N_EVENTS + action[i]] += 1
        if sanctioned[i]:
            counts[N_EVENTS + N_ACTIONS + rung[i]] += 1
    return counts
