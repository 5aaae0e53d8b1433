"""Phase 3, accountability, compiled: detection, review, accusations, ladder and probation.

The NumPy path is simulation.accountability.judge; both take the same (7, n) uniforms and
chances of detection, drawn and worked out in simulation.accountability.review, which also finds
the unit leaders and applies the demotions (their order is a draw) on either path. A first pass
decides each cadre's findings and marks the leaders warned for their units; a second applies the
sanctions and probation.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from simulation import formulas as f
from simulation.cadres import CadreArrays
from simulation.config import ModelConfig, Regime
from simulation.kernels.jit import kernel, plain
from simulation.records import Outcomes, Review

IDLE, FORMAL, BOLD = f.IDLE, f.FORMAL, f.BOLD
WARNING, REMOVAL = f.WARNING, f.REMOVAL
MAX_STRIKES = 100  # strikes are capped where the NumPy path caps them (_climb_ladder)


class Year(NamedTuple):
    """What the review reads of each cadre's year: its action, draws, unit and outcomes."""

    action: NDArray[np.int8]
    draw: NDArray[np.float64]  # (7, n) uniforms
    unit: NDArray[np.int32]
    violation_prone: NDArray[np.bool_]
    bold_failure: NDArray[np.bool_]
    bold_success: NDArray[np.bool_]
    routine_failure: NDArray[np.bool_]
    measured: NDArray[np.float64]


class Ladder(NamedTuple):
    """The cadres' standing on the sanction ladder and in probation, updated in place."""

    strikes: NDArray[np.int8]
    years_since_sanction: NDArray[np.int16]
    sanction_years: NDArray[np.int16]
    probation_years: NDArray[np.int8]


class Rules(NamedTuple):
    """The review's scalars, from the config and the regime in force."""

    formalism_detection: float
    tolerance: float
    violation_exposure: float
    shield: float  # chance a disguised violation is shielded by mistake
    generalised_accountability: float
    accusation_rate: float  # false accusations per bold cadre, after deterrence
    safe_work_accusation_ratio: float
    clarification: float
    dual_investigation: float
    sanction_term: int  # years a sanction bars promotion
    probation_min_performance: float


def judge(
    cadres: CadreArrays,
    action: NDArray[np.int8],
    out: Outcomes,
    config: ModelConfig,
    regime: Regime,
    leaders: NDArray[np.intp] | None,
    p_detect: float | NDArray[np.float64],
    draw: NDArray[np.float64],
) -> Review:
    """As simulation.accountability.judge: the year's findings; updates the ladder in place."""
    acc, sup, ft = regime.accountability, regime.supervision, regime.fault_tolerance
    b = config.behaviour
    if leaders is None:  # one chance for all, and no leader answers for a unit
        p_detect, leaders = np.full(1, p_detect), np.empty(0, dtype=np.intp)
    year = Year(action=action, draw=draw, unit=cadres.unit,
                violation_prone=cadres.violation_prone, bold_failure=out.bold_failure,
                bold_success=out.bold_success, routine_failure=out.routine_failure,
                measured=out.measured)
    ladder = Ladder(strikes=cadres.strikes, years_since_sanction=cadres.years_since_sanction,
                    sanction_years=cadres.sanction_years, probation_years=cadres.probation_years)
    rules = Rules(
        formalism_detection=regime.evaluation.formalism_detection,
        tolerance=ft.tolerance,
        violation_exposure=b.violation_exposure,
        shield=f.shield_probability(ft.tolerance, ft.precision),
        generalised_accountability=acc.generalised_accountability,
        accusation_rate=sup.false_accusation_rate * (1.0 - sup.accuser_deterrence),
        safe_work_accusation_ratio=b.safe_work_accusation_ratio,
        clarification=sup.clarification,
        dual_investigation=acc.dual_investigation,
        sanction_term=acc.sanction_years,
        probation_min_performance=regime.promotion.probation_min_performance,
    )
    findings = _judge_plain(plain(year), plain(ladder), p_detect, leaders, plain(rules))
    return Review(*findings)  # the kernel returns them in Review's field order


@kernel
def _judge_plain(year, ladder, p_detect, leaders, r):  # pragma: no cover - compiled
    """``_judge`` of the records as plain tuples (``jit.plain``)."""
    return _judge(Year(*year), Ladder(*ladder), p_detect, leaders, Rules(*r))


@kernel
def _judge(year, ladder, p_detect, leaders, r):  # pragma: no cover - compiled
    """The Review's fields, in its order; the ``Ladder`` in place.

    ``year`` is the ``Year``, ``r`` the ``Rules``. ``p_detect`` is the chance of detection per
    unit when ``leaders`` (one per unit) answer for their units, else a single chance for all.
    """
    action, draw, unit, violation_prone = year.action, year.draw, year.unit, year.violation_prone
    bold_failure, bold_success = year.bold_failure, year.bold_success
    routine_failure, measured = year.routine_failure, year.measured
    strikes, years_since_sanction, sanction_years, probation_years = ladder
    n = action.size
    caught_idle = np.empty(n, dtype=np.bool_)
    caught_formal = np.empty(n, dtype=np.bool_)
    failure_punished = np.empty(n, dtype=np.bool_)
    failure_tolerated = np.empty(n, dtype=np.bool_)
    violation_exposed = np.empty(n, dtype=np.bool_)
    violation_shielded = np.empty(n, dtype=np.bool_)
    routine_punished = np.empty(n, dtype=np.bool_)
    accused = np.empty(n, dtype=np.bool_)
    accusation_upheld = np.empty(n, dtype=np.bool_)
    leader_sanctioned = np.zeros(n, dtype=np.bool_)
    sanctioned = np.empty(n, dtype=np.bool_)
    wrongful = np.empty(n, dtype=np.bool_)
    rung = np.empty(n, dtype=np.int8)
    probation_failed = np.empty(n, dtype=np.bool_)
    own = np.empty(n, dtype=np.bool_)
    answerable = leaders.size > 0
    # Bitwise & and | on booleans, not `and`/`or`: short-circuits on random draws would be
    # unpredictable branches; these compile to straight-line, vectorisable code.
    for i in range(n):
        a = action[i]
        idle, bold = a == IDLE, a == BOLD
        p = p_detect[unit[i]] if answerable else p_detect[0]
        ci = idle & (draw[0, i] < p)
        cf = (a == FORMAL) & (draw[0, i] < p * r.formalism_detection)
        tolerated = bold_failure[i] & (draw[1, i] < r.tolerance)
        punished = bold_failure[i] & (not tolerated)
        exposed = bold & violation_prone[i] & (draw[2, i] < r.violation_exposure)
        shielded = exposed & (draw[3, i] < r.shield)
        routine = routine_failure[i] & (draw[1, i] < r.generalised_accountability)
        exposure = 1.0 if bold else r.safe_work_accusation_ratio
        accuse = (not idle) & (draw[4, i] < r.accusation_rate * exposure)
        upheld = accuse & (not draw[5, i] < r.clarification)
        deserved = ci | cf | (exposed & (not shielded))
        own[i] = deserved | punished | routine | upheld
        honest_failure_punished = punished & (not (violation_prone[i] & bold))
        wrongful[i] = (honest_failure_punished | routine | upheld) & (not deserved)
        caught_idle[i], caught_formal[i] = ci, cf
        failure_tolerated[i], failure_punished[i] = tolerated, punished
        violation_exposed[i], violation_shielded[i] = exposed, shielded
        routine_punished[i], accused[i], accusation_upheld[i] = routine, accuse, upheld
    if answerable:  # apart, so that the loop above has no scattered store and vectorises
        for i in range(n):
            if caught_idle[i] and draw[6, i] < r.dual_investigation:
                leader_sanctioned[leaders[unit[i]]] = True
    for i in range(n):
        sanctioned[i] = own[i] | leader_sanctioned[i]
        rung[i] = WARNING if leader_sanctioned[i] else -1
        if own[i]:
            rung[i] = min(strikes[i], REMOVAL)
            strikes[i] = min(strikes[i] + 1, MAX_STRIKES)
            years_since_sanction[i] = 0
        if sanctioned[i]:
            sanction_years[i] = r.sanction_term
        on_probation = probation_years[i] > 0
        poor = ((measured[i] < r.probation_min_performance) & (not failure_tolerated[i])
                & (not bold_success[i]))
        probation_failed[i] = on_probation & (sanctioned[i] | poor)
        if on_probation:
            probation_years[i] -= 1
        if probation_failed[i]:
            probation_years[i] = 0
    return (caught_idle, caught_formal, failure_punished, failure_tolerated, violation_exposed,
            violation_shielded, routine_punished, accused, accusation_upheld, leader_sanctioned,
            sanctioned, wrongful, rung, probation_failed)
