"""The step's statistics, compiled: every count behind the year's shares in one pass.

The NumPy path is simulation.step.tally (a count_nonzero per event and two bincounts); integer
counts are exact, so both give the same numbers. Means stay in NumPy (pairwise summation).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from simulation import formulas as f
from simulation.accountability import Review
from simulation.outcomes import Outcomes
from simulation.promotion import Tournament

N_EVENTS = 17  # the events at the head of simulation.step.TALLIED
N_ACTIONS, N_RUNGS = len(f.ACTIONS), len(f.RUNGS)


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


@njit(cache=True)
def _tally(action, bold_success, bold_failure, failure_tolerated, failure_punished,
           violation_exposed, violation_shielded, caught_idle, caught_formal, accused,
           accusation_upheld, wrongful, leader_sanctioned, sanctioned, probation_failed, promoted,
           self_recommended, retiring, removed, rung):  # pragma: no cover - compiled
    """Counts in TALLIED's order: the events, then actions, then sanctions by rung."""
    counts = np.zeros(N_EVENTS + N_ACTIONS + N_RUNGS, dtype=np.int64)
    for i in range(action.size):
        events = (
            bold_success[i], bold_failure[i], failure_tolerated[i], failure_punished[i],
            violation_exposed[i], violation_shielded[i], caught_idle[i] or caught_formal[i],
            accused[i], accused[i] and not accusation_upheld[i], wrongful[i],
            leader_sanctioned[i], sanctioned[i], probation_failed[i], promoted[i],
            self_recommended[i], retiring[i], retiring[i] or removed[i],
        )
        for k in range(N_EVENTS):
            if events[k]:
                counts[k] += 1
        counts[N_EVENTS + action[i]] += 1
        if sanctioned[i]:
            counts[N_EVENTS + N_ACTIONS + rung[i]] += 1
    return counts
