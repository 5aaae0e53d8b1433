"""The step's statistics: the counts behind the year's shares, and its means over cadres.

The NumPy reference of ``simulation.kernels.statistics``; ``step.aggregates`` turns both into
the year's outputs. What is counted and averaged, in order, is ``records.TALLIED`` and
``records.AVERAGED``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from simulation import formulas as f
from simulation.cadres import CadreArrays
from simulation.records import EVENTS, Outcomes, Review, Tournament


def tally(
    action: NDArray[np.int8],
    out: Outcomes,
    rev: Review,
    tour: Tournament,
    retiring: NDArray[np.bool_],
    removed: NDArray[np.bool_],
) -> NDArray[np.int64]:
    """Cadres counted for each entry of TALLIED this year (the numerators of the shares)."""
    events = {
        "bold_success": out.bold_success,
        "bold_failure": out.bold_failure,
        "tolerated_failures": rev.failure_tolerated,
        "punished_failures": rev.failure_punished,
        "violations_exposed": rev.violation_exposed,
        "shielded_violations": rev.violation_shielded,
        "caught_inaction": rev.caught_idle | rev.caught_formal,
        "false_accusations": rev.accused,
        "cleared_accusations": rev.accused & ~rev.accusation_upheld,
        "wrongful_sanctions": rev.wrongful,
        "leader_sanctions": rev.leader_sanctioned,
        "sanctions": rev.sanctioned,
        "probation_failures": rev.probation_failed,
        "promotions": tour.promoted,
        "self_recommendations": tour.self_recommended,
        "retirements": retiring,
        "turnover": retiring | removed,
    }
    return np.concatenate([
        [np.count_nonzero(events[name]) for name in EVENTS],
        np.bincount(action, minlength=len(f.ACTIONS)),
        np.bincount(rev.rung[rev.sanctioned], minlength=len(f.RUNGS)),
    ])


def averages(cadres: CadreArrays, out: Outcomes) -> list[float]:
    """The year's means over cadres and the rank-ability correlation, in AVERAGED order."""
    c = cadres
    return [
        out.real.mean(), out.measured.mean(), c.motivation.mean(), c.ability.mean(),
        c.belief_punish.mean(), c.belief_detect.mean(), c.belief_promote.mean(),
        (c.belief_accused * c.belief_upheld).mean(), c.belief_detect_formal.mean(),
        c.belief_punish_routine.mean(), c.belief_accused.mean(), c.belief_upheld.mean(),
        c.belief_warning_cost.mean(), c.belief_demotion_cost.mean(),
        c.belief_removal_cost.mean(), f.rank_ability_correlation(c.rank, c.ability),
    ]
