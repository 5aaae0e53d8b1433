"""Phase 3, accountability: detection of inaction, fault-tolerance review, false accusations,
the sanction ladder, dual investigations and the probation check."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from simulation import formulas as f
from simulation import streams as s
from simulation.cadres import CadreArrays
from simulation.config import Accountability, ModelConfig, Regime
from simulation.positions import move_down
from simulation.records import Outcomes, Review
from simulation.streams import Streams

#: Everything but the demotions (``judge`` or its compiled twin), with ``judge``'s arguments.
Judge = Callable[..., Review]


def unit_leaders(cadres: CadreArrays, unit_size: int) -> NDArray[np.intp]:
    """Slot of each unit's leader: its highest-ranked member, the best record breaking ties."""
    n = cadres.n
    n_units = f.unit_count(n, unit_size)
    key = np.full(n_units * unit_size, -np.inf)
    key[:n] = cadres.rank * 1e6 + cadres.record
    local = key.reshape(n_units, unit_size).argmax(axis=1)
    return np.arange(n_units) * unit_size + local


def review(
    cadres: CadreArrays,
    action: NDArray[np.int8],
    out: Outcomes,
    config: ModelConfig,
    regime: Regime,
    capacities: NDArray[np.int64],
    streams: Streams,
    year: int,
    judged: Judge | None = None,
) -> Review:
    """Apply this year's accountability to the cadres in place and report what happened.

    In order: detection of inaction and formalism, the fault-tolerance review, accusations,
    dual investigations of unit leaders, the sanction ladder, probation checks and the
    demotions they bring. Each slot has eight uniforms a year whatever the regime
    (``streams.REVIEW``): seven for the findings, one that orders the demotions. ``judged``
    finds and sanctions (default ``judge``, the NumPy reference; the phase table passes the
    compiled twin).
    """
    acc = regime.accountability
    draw = s.uniform_rows(streams.words(year, s.REVIEW, cadres.n))
    # Unit leaders matter only when they answer for their units (dual investigation).
    answerable = acc.dual_investigation > 0
    leaders = unit_leaders(cadres, config.organisation.unit_size) if answerable else None
    p_detect = detection_chance(action, config, regime, leaders)
    rev = (judged or judge)(cadres, action, out, config, regime, leaders, p_detect, draw[:7])
    demote = np.flatnonzero((rev.rung == f.DEMOTION) | rev.probation_failed)
    moved = move_down(cadres.rank, demote, capacities, draw[7])
    cadres.years_in_rank[moved] = 0
    return rev


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
    """Everything but the demotions: who is caught, reviewed, accused and sanctioned.

    Updates strikes, sanction years and probation in place. ``leaders`` are the unit leaders'
    slots (None when leaders do not answer for their units); ``p_detect`` the chance that
    lying flat is caught (``detection_chance``); ``draw`` the (7, n) uniforms.
    """
    acc, sup = regime.accountability, regime.supervision
    idle = action == f.IDLE
    active = ~idle
    caught_idle, caught_formal = _detect_inaction(cadres, action, regime, leaders, p_detect,
                                                  draw)
    (failure_tolerated, failure_punished, violation_exposed, violation_shielded,
     routine_punished) = _fault_tolerance_review(
        cadres, action, out, config, regime, draw
    )
    # False accusations fall on those who act, most on those who stir interests (bold work).
    exposure = np.where(action == f.BOLD, 1.0, config.behaviour.safe_work_accusation_ratio)
    accused = active & (
        draw[4] < sup.false_accusation_rate * (1.0 - sup.accuser_deterrence) * exposure
    )
    cleared = accused & (draw[5] < sup.clarification)
    accusation_upheld = accused & ~cleared
    leader_sanctioned = _dual_investigation(cadres, caught_idle, leaders, acc, draw[6])

    deserved = caught_idle | caught_formal | (violation_exposed & ~violation_shielded)
    wrongful_grounds = failure_punished | routine_punished | accusation_upheld
    own = deserved | wrongful_grounds
    sanctioned = own | leader_sanctioned
    # A violation-prone cadre's punished bold failure is not counted as wrongful: the review
    # did not see the violation, but the cadre was not the honest actor tolerance protects.
    disguised = cadres.violation_prone & (action == f.BOLD)
    honest_failure_punished = failure_punished & ~disguised
    wrongful = (honest_failure_punished | routine_punished | accusation_upheld) & ~deserved

    rung = _climb_ladder(cadres, own, sanctioned, leader_sanctioned, acc)
    probation_failed = _check_probation(cadres, out, regime, sanctioned, failure_tolerated)
    return Review(
        caught_idle=caught_idle,
        caught_formal=caught_formal,
        failure_punished=failure_punished,
        failure_tolerated=failure_tolerated,
        violation_exposed=violation_exposed,
        violation_shielded=violation_shielded,
        routine_punished=routine_punished,
        accused=accused,
        accusation_upheld=accusation_upheld,
        leader_sanctioned=leader_sanctioned,
        sanctioned=sanctioned,
        wrongful=wrongful,
        rung=rung,
        probation_failed=probation_failed,
    )


def _detect_inaction(
    cadres: CadreArrays,
    action: NDArray[np.int8],
    regime: Regime,
    leaders: NDArray[np.intp] | None,
    p_detect: float | NDArray[np.float64],
    draw: NDArray[np.float64],
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Who is caught lying flat and who doing formal work (``draw[0]``)."""
    if leaders is not None:
        p_detect = p_detect[cadres.unit]
    caught_idle = (action == f.IDLE) & (draw[0] < p_detect)
    caught_formal = (
        (action == f.FORMAL) & (draw[0] < p_detect * regime.evaluation.formalism_detection)
    )
    return caught_idle, caught_formal


def detection_chance(
    action: NDArray[np.int8], config: ModelConfig, regime: Regime,
    leaders: NDArray[np.intp] | None,
) -> float | NDArray[np.float64]:
    """Chance that lying flat is caught: one number, or one per unit when leaders answer for
    their units (then a leader who works watches the unit too)."""
    acc, sup = regime.accountability, regime.supervision
    p_detect = f.detection_probability(
        acc.annual_evaluation, sup.public_clues, sup.media_exposure
    )
    if leaders is not None:
        # Leaders answerable for their unit watch it, if they themselves work (seed 000).
        leader_action = action[leaders]
        watching = (leader_action == f.ROUTINE) | (leader_action == f.BOLD)
        watch = acc.dual_investigation * config.behaviour.leader_monitoring
        p_detect = f.detection_probability(p_detect, watch * watching)
    return p_detect


def _fault_tolerance_review(
    cadres: CadreArrays,
    action: NDArray[np.int8],
    out: Outcomes,
    config: ModelConfig,
    regime: Regime,
    draw: NDArray[np.float64],
) -> tuple[NDArray[np.bool_], ...]:
    """The "three distinctions" review of bold and routine work.

    The "three distinctions" review: honest failures may be tolerated, disguised violations may be
    shielded by mistake, routine failures punished under generalised accountability.

    Returns (failure_tolerated, failure_punished, violation_exposed, violation_shielded,
    routine_punished), from ``draw[1:4]``.
    """
    acc, ft = regime.accountability, regime.fault_tolerance
    failure_tolerated = out.bold_failure & (draw[1] < ft.tolerance)
    failure_punished = out.bold_failure & ~failure_tolerated
    violation_exposed = (action == f.BOLD) & cadres.violation_prone & (
        draw[2] < config.behaviour.violation_exposure
    )
    violation_shielded = violation_exposed & (
        draw[3] < f.shield_probability(ft.tolerance, ft.precision)
    )
    routine_punished = out.routine_failure & (draw[1] < acc.generalised_accountability)
    return (failure_tolerated, failure_punished, violation_exposed, violation_shielded,
            routine_punished)


def _dual_investigation(
    cadres: CadreArrays,
    caught_idle: NDArray[np.bool_],
    leaders: NDArray[np.intp] | None,
    acc: Accountability,
    uniform: NDArray[np.float64],
) -> NDArray[np.bool_]:
    """Leaders warned for their units: each member caught lying flat may bring a warning
    (when the member's ``uniform`` draw falls below the dual-investigation level)."""
    leader_sanctioned = np.zeros(cadres.n, dtype=np.bool_)
    if leaders is not None and caught_idle.any():
        hit = np.flatnonzero(caught_idle & (uniform < acc.dual_investigation))
        leader_sanctioned[leaders[cadres.unit[hit]]] = True
    return leader_sanctioned


def _climb_ladder(
    cadres: CadreArrays,
    own: NDArray[np.bool_],
    sanctioned: NDArray[np.bool_],
    leader_sanctioned: NDArray[np.bool_],
    acc: Accountability,
) -> NDArray[np.int8]:
    """Each sanctioned cadre's rung (-1: none), updating strikes and sanction years in place.

    Own misconduct (or a wrongful finding) climbs the ladder; a leader's warning for the unit
    does not. Every sanction bars promotion for ``sanction_years``.
    """
    rung = np.full(cadres.n, -1, dtype=np.int8)
    rung[leader_sanctioned] = f.WARNING
    who = np.flatnonzero(own)
    rung[who] = np.minimum(cadres.strikes[who], f.REMOVAL)
    cadres.strikes[who] = np.minimum(cadres.strikes[who] + 1, 100)
    cadres.years_since_sanction[who] = 0
    cadres.sanction_years[sanctioned] = acc.sanction_years
    return rung


def _check_probation(
    cadres: CadreArrays,
    out: Outcomes,
    regime: Regime,
    sanctioned: NDArray[np.bool_],
    failure_tolerated: NDArray[np.bool_],
) -> NDArray[np.bool_]:
    """Who fails probation this year (each year of it is checked once), updated in place.

    Poor measured work fails it, unless the work was a tolerated failure or a success (even
    one a policy reversal scrapped); so does a sanction.
    """
    on_probation = cadres.probation_years > 0
    poor = out.measured < regime.promotion.probation_min_performance
    poor &= ~failure_tolerated & ~out.bold_success
    probation_failed = on_probation & (sanctioned | poor)
    cadres.probation_years[on_probation] -= 1
    cadres.probation_years[probation_failed] = 0
    return probation_failed
