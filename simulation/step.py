"""One annual cycle over all cadres at once, and the aggregates it reports.

``advance`` is the model's whole step: a function of the arrays, the config, the regime in force
and the run's random streams. Decisions read start-of-step state (synchronous updating).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from simulation import formulas as f
from simulation.accountability import review
from simulation.accounting import ACCOUNTED
from simulation.cadres import CadreArrays
from simulation.config import ModelConfig, Regime
from simulation.decision import decision_inputs
from simulation.demography import age_one_year, renew
from simulation.learning import commend
from simulation.outcomes import produce
from simulation.outputs import STEP_COLUMNS  # the per-step outputs, in order
from simulation.perceived import RuleBook, credited_view, written
from simulation.phases import Phases, in_force
from simulation.positions import vacancies
from simulation.promotion import hold_tournament
from simulation.records import AVERAGED, TALLIED, Inaction, Outcomes, Review, Tournament
from simulation.streams import Streams
from simulation.survey import survey_answers
from simulation.timing import PhaseClock


def advance(
    cadres: CadreArrays,
    config: ModelConfig,
    regime: Regime,
    capacities: NDArray[np.int64],
    streams: Streams,
    year: int,
    next_person: int,
    clock: PhaseClock | None = None,
    observer: Callable[[Tournament], None] | None = None,
    phases: Phases | None = None,
    account: bool = True,
    rules: RuleBook | None = None,
    seen: NDArray[np.float64] | None = None,
) -> tuple[dict[str, float], int]:
    """Run one year in place; returns (the year's aggregates, next unused person id).

    Each phase draws its slots' own numbers of ``year`` from ``streams`` (common random
    numbers: ``simulation.streams``).
    ``clock``, if given, is charged the time of each phase (for benchmarks). ``observer``, if
    given, is called with the year's Tournament right after promotion, while the cadres'
    arrays still hold the state the tournament scored (for validation probes). ``phases`` is
    the backend's table of functions (``simulation.phases``; default: the backend in force).
    Without ``account`` the inaction accounting is skipped (``simulation.accounting``): its
    columns are NaN and every other output is the same. ``rules`` is the run's rule book (the
    rules as announced and credited, ``simulation.perceived``); without one, the rules in force
    are taken as fully credited. ``seen`` is the run's record of promotions seen in each unit
    (``promotion.no_promotions_seen``, updated in place); without one, the promotion statistic
    is this year's alone.
    """
    n = cadres.n
    p = phases or in_force()
    if clock:
        clock.start()
    # 1. Choose.
    # Read, not copied: nothing changes the state before decide and effort are done with it.
    inputs = decision_inputs(cadres, config, regime, p.career_weights, copy=False,
                             price_sanctions=p.sanctions_at)
    taste = streams.taste(year, n)
    action, inaction = p.decide(inputs, config, regime, taste, account)
    effort = float(p.effort_costs(inputs.ability, action, config.behaviour, regime).mean())
    sanction_cost = float(inputs.sanction_cost.mean())
    answers = ({} if not account else inaction.answers if inaction.answers is not None
               else survey_answers(inputs, action, taste, config.behaviour, regime))
    cadres.action[:] = action
    if clock:
        clock.lap("decide")
    # 2. Outcomes.
    out = produce(cadres, action, config, regime, streams, year, p.realise)
    if clock:
        clock.lap("outcomes")
    # 3. Accountability.
    rev = review(cadres, action, out, config, regime, capacities, streams, year, p.judge)
    if clock:
        clock.lap("accountability")
    # 4. Promotion.
    removed = rev.rung == f.REMOVAL
    tour = hold_tournament(cadres, config, regime, capacities, streams, year, removed,
                           p.form_pool, p.publish, p.fill, p.fast_track, seen)
    if observer is not None:
        observer(tour)
    if clock:
        clock.lap("promotion")
    # 5. Learning.
    learn(cadres, action, out, rev, tour, config, regime, p, rules)
    if clock:
        clock.lap("learning")
    # 6. Demography.
    retiring = age_one_year(cadres, config, regime, streams, year, p.grow_older)
    next_person = renew(cadres, retiring | removed, config, streams, year, next_person,
                        p.start_careers, p.slot_words)
    if clock:
        clock.lap("demography")
    stats = aggregates(cadres, capacities, action, inaction, out, rev, tour, retiring, removed,
                       p, (effort, sanction_cost), config, regime, answers)
    if clock:
        clock.lap("statistics")
    return stats, next_person


def learn(
    cadres: CadreArrays,
    action: NDArray[np.int8],
    out: Outcomes,
    rev: Review,
    tour: Tournament,
    config: ModelConfig,
    regime: Regime,
    phases: Phases,
    rules: RuleBook | None = None,
) -> None:
    """Phase 5: beliefs, motivation and ability move with what each cadre saw this year.

    The organisation's cases this year are published as far as the regime publishes them, and
    added to the rule book's record of how its rules are applied.
    """
    commended = commend(out, regime.support.commendation)
    cases = phases.organisation_cases(action, out, rev,
                                      config.behaviour.safe_work_accusation_ratio)
    credited = credited_view(written(regime) if rules is None else rules.credited, regime, cases,
                             regime.fault_tolerance.publicity, config.learning.published_reach,
                             cadres.n)
    phases.learn(cadres, action, out, rev, tour, commended, config, regime, credited)
    if rules is not None:
        rules.record(cases)


def aggregates(
    cadres: CadreArrays,
    capacities: NDArray[np.int64],
    action: NDArray[np.int8],
    inaction: Inaction,
    out: Outcomes,
    rev: Review,
    tour: Tournament,
    retiring: NDArray[np.bool_],
    removed: NDArray[np.bool_],
    phases: Phases,
    felt: tuple[float, float],
    config: ModelConfig,
    regime: Regime,
    answers: dict[str, float] | None = None,
) -> dict[str, float]:
    """The year's per-step outputs.

    The year's per-step outputs (``STEP_COLUMNS`` of ``simulation.outputs``), from the phases'
    results and the end-of-year state: ``phases.tally`` counts, ``phases.averages`` averages;
    ``felt`` holds the mean effort cost cadres bore for their choices and the mean cost they
    expected of their next sanction (both at the start of the year); ``regime`` (the one in
    force this year) prices the year's policy cost; ``answers`` are the cadres' survey answers
    (``survey.survey_answers``; absent when the accounting was skipped).
    """
    effort, sanction_cost = felt
    n = cadres.n
    counts = phases.tally(action, out, rev, tour, retiring, removed)
    means = phases.averages(cadres, out)
    # Shares of cadres (bold_success, ..., routine, bold, warnings, ...), means, and the rest.
    stats = {name: count / n for name, count in zip(TALLIED, counts.tolist(), strict=True)}
    stats |= zip(AVERAGED, means, strict=True)
    forms = inaction.counts() / n
    senior = capacities[1:].sum()
    stats |= {
        "inaction": forms.sum(),
        "lying_flat": forms[0],
        "formalism": forms[1],
        "avoidance": forms[2],
        "avoidance_fear": inaction.fear_only / n,
        "unwilling": inaction.causes[0] / n,
        "unable": inaction.causes[1] / n,
        "afraid": inaction.causes[2] / n,
        "reason_unwilling": inaction.reasons[0] / n,
        "reason_unable": inaction.reasons[1] / n,
        "reason_afraid": inaction.reasons[2] / n,
        "names_unwilling": inaction.named[0] / n,
        "names_unable": inaction.named[1] / n,
        "names_afraid": inaction.named[2] / n,
        "senior_vacancy_rate": vacancies(cadres.rank, capacities).sum() / senior if senior else 0.0,
        "policy_reversal": float(out.reversal),
        "effort_cost": effort,
        "sanction_cost": sanction_cost,
    }
    w = config.welfare
    stats["welfare"] = f.welfare(stats["real_output"], effort, stats["wrongful_sanctions"],
                                 stats["shielded_violations"], w.effort_weight,
                                 w.wrongful_sanction_harm, w.shielded_violation_harm)
    stats["policy_cost"] = f.policy_cost(regime, config.policy_cost.levers())
    stats |= answers or {}
    if not inaction.accounted:
        stats |= dict.fromkeys(ACCOUNTED, np.nan)
    return {k: float(stats[k]) for k in STEP_COLUMNS}
