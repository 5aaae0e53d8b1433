"""One annual cycle over all cadres at once, and the aggregates it reports.

``advance`` is the model's whole step: a function of the arrays, the config, the regime in force
and the model's random generator. Decisions read start-of-step state (synchronous updating).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from simulation import formulas as f
from simulation import kernels
from simulation.accountability import Review, review
from simulation.config import ModelConfig, Regime
from simulation.decision import Inaction, decide, decision_inputs
from simulation.demography import age_one_year, renew
from simulation.learning import (
    commend,
    observe,
    update_ability,
    update_beliefs,
    update_motivation,
)
from simulation.outcomes import Outcomes, produce
from simulation.outputs import STEP_COLUMNS  # the per-step outputs, in order
from simulation.population import CadreArrays
from simulation.positions import vacancies
from simulation.promotion import Tournament, hold_tournament
from simulation.streams import Streams
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
) -> tuple[dict[str, float], int]:
    """Run one year in place; returns (the year's aggregates, next unused person id).

    Each phase draws from its own stream of ``streams`` for ``year`` (common random numbers).
    ``clock``, if given, is charged the time of each phase (for benchmarks). ``observer``, if
    given, is called with the year's Tournament right after promotion, while the cadres'
    arrays still hold the state the tournament scored (for validation probes).
    """
    n = cadres.n
    if clock:
        clock.start()
    # 1. Choose.
    inputs = decision_inputs(cadres, config, regime)
    taste = streams.generator(year, "decide").gumbel(size=(n, len(f.ACTIONS)))
    action, inaction = decide(inputs, config, regime, taste)
    cadres.action[:] = action
    if clock:
        clock.lap("decide")
    # 2. Outcomes.
    out = produce(cadres, action, config, regime, streams.generator(year, "outcomes"))
    if clock:
        clock.lap("outcomes")
    # 3. Accountability.
    rev = review(cadres, action, out, config, regime, capacities,
                 streams.generator(year, "accountability"))
    if clock:
        clock.lap("accountability")
    # 4. Promotion.
    removed = rev.rung == f.REMOVAL
    tour = hold_tournament(cadres, config, regime, capacities,
                           streams.generator(year, "promotion"), leaving=removed)
    if observer is not None:
        observer(tour)
    if clock:
        clock.lap("promotion")
    # 5. Learning.
    learn(cadres, action, out, rev, tour, config, regime)
    if clock:
        clock.lap("learning")
    # 6. Demography.
    rng = streams.generator(year, "demography")
    retiring = age_one_year(cadres, config, regime, rng)
    next_person = renew(cadres, retiring | removed, config, rng, next_person)
    if clock:
        clock.lap("demography")
    stats = aggregates(cadres, capacities, action, inaction, out, rev, tour, retiring, removed)
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
) -> None:
    """Phase 5: beliefs, motivation and ability move with what each cadre saw this year."""
    commended = commend(out, regime.support.commendation)
    if kernels.compiled():
        from simulation.kernels.learning import learn as learn_compiled

        learn_compiled(cadres, action, rev, tour, commended, config, regime)
        return
    own, peers = observe(cadres, action, rev, commended, config, regime)
    update_beliefs(cadres, own, peers, tour, config.learning)
    update_motivation(cadres, peers, rev, tour, commended, config, regime)
    update_ability(cadres, action, config, regime)


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
) -> dict[str, float]:
    """The year's per-step outputs.

    The year's per-step outputs (``STEP_COLUMNS`` of ``simulation.outputs``), from the phases'
    results and the end-of-year state.
    """
    n = cadres.n
    if kernels.compiled():
        from simulation.kernels.statistics import averages as averages_compiled
        from simulation.kernels.statistics import tally as tally_compiled

        counts = tally_compiled(action, out, rev, tour, retiring, removed)
        means = averages_compiled(cadres, out)
    else:
        counts = tally(action, out, rev, tour, retiring, removed)
        means = averages(cadres, out)
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
        "unwilling": inaction.causes[0] / n,
        "unable": inaction.causes[1] / n,
        "afraid": inaction.causes[2] / n,
        "reason_unwilling": inaction.reasons[0] / n,
        "reason_unable": inaction.reasons[1] / n,
        "reason_afraid": inaction.reasons[2] / n,
        "senior_vacancy_rate": vacancies(cadres.rank, capacities).sum() / senior if senior else 0.0,
        "policy_reversal": float(out.reversal),
    }
    return {k: float(stats[k]) for k in STEP_COLUMNS}


#: What ``tally`` counts, in order (named as the step's outputs where they are one): cadres
#: with each of the year's events, then cadres taking each action (ACTIONS), then sanctions on
#: each rung (RUNGS).
TALLIED: tuple[str, ...] = (
    "bold_success", "bold_failure", "tolerated_failures", "punished_failures",
    "violations_exposed", "shielded_violations", "caught_inaction", "false_accusations",
    "cleared_accusations", "wrongful_sanctions", "leader_sanctions", "sanctions",
    "probation_failures", "promotions", "self_recommendations", "retirements", "turnover",
    *f.ACTIONS, "warnings", "demotions", "removals",
)


def tally(
    action: NDArray[np.int8],
    out: Outcomes,
    rev: Review,
    tour: Tournament,
    retiring: NDArray[np.bool_],
    removed: NDArray[np.bool_],
) -> NDArray[np.int64]:
    """Cadres counted for each entry of TALLIED this year (the numerators of the shares)."""
    events = (
        out.bold_success, out.bold_failure, rev.failure_tolerated, rev.failure_punished,
        rev.violation_exposed, rev.violation_shielded, rev.caught_idle | rev.caught_formal,
        rev.accused, rev.accused & ~rev.accusation_upheld, rev.wrongful, rev.leader_sanctioned,
        rev.sanctioned, rev.probation_failed, tour.promoted, tour.self_recommended, retiring,
        retiring | removed,
    )
    return np.concatenate([
        [np.count_nonzero(mask) for mask in events],
        np.bincount(action, minlength=len(f.ACTIONS)),
        np.bincount(rev.rung[rev.sanctioned], minlength=len(f.RUNGS)),
    ])


#: What ``averages`` returns, in order: means over cadres, then meritocracy.
AVERAGED: tuple[str, ...] = (
    "real_output", "measured_output", "mean_motivation", "mean_ability", "belief_punish",
    "belief_detect", "belief_promote", "belief_accuse", "meritocracy",
)


def averages(cadres: CadreArrays, out: Outcomes) -> list[float]:
    """The year's means over cadres and the rank-ability correlation, in AVERAGED order."""
    return [
        out.real.mean(), out.measured.mean(), cadres.motivation.mean(), cadres.ability.mean(),
        cadres.belief_punish.mean(), cadres.belief_detect.mean(), cadres.belief_promote.mean(),
        cadres.belief_accuse.mean(), f.rank_ability_correlation(cadres.rank, cadres.ability),
    ]
