"""What the written rules imply for each belief cadres learn, beside the belief learnt from cases.

Each learnt belief (an output of group ``belief``, ``simulation.outputs``) is paired with the
value the regime in force implies for it, computed with the model's own formulas
(``simulation.formulas``); a belief without a written counterpart says why. The app draws each
mean belief beside its written value (``simulation.viz.app.beliefs_figure``). A new belief is
one ``BeliefRule`` in ``BELIEF_RULES``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from simulation import formulas as f
from simulation.config import ModelConfig, Regime
from simulation.outputs import (
    BLUE,
    BLUISH_GREEN,
    GREY,
    ORANGE,
    OUTPUTS,
    REDDISH_PURPLE,
    SKY_BLUE,
    VERMILLION,
    YELLOW,
)
from simulation.perceived import INDEX, written
from simulation.schedule import regime_in_force

#: The written value of a belief under a regime (the config gives the behaviour it may need).
Written = Callable[[ModelConfig, Regime], float]


@dataclass(frozen=True)
class BeliefRule:
    """A learnt belief and what the written rules say about the same quantity.

    Attributes:
        belief: the output holding the mean belief (``belief_punish``).
        written: the written value under a regime, or None when the rules define none.
        meaning: what the written value is, or why there is none (shown on the page).
        colour: the colour the belief and its written value are drawn in.
    """

    belief: str
    written: Written | None
    meaning: str
    colour: str


def punished_failure(config: ModelConfig, regime: Regime) -> float:
    """P(a failed bold task is punished) under the written fault-tolerance rule."""
    return f.failure_punishment_probability(regime.fault_tolerance.tolerance)


def detected_idleness(config: ModelConfig, regime: Regime) -> float:
    """P(lying flat is caught) by the written channels: evaluation, public clues, media."""
    acc, sup = regime.accountability, regime.supervision
    return float(f.detection_probability(acc.annual_evaluation, sup.public_clues,
                                         sup.media_exposure))


def upheld_accusation(config: ModelConfig, regime: Regime) -> float:
    """P(bold work is falsely accused and not cleared) under the written rules."""
    sup = regime.supervision
    return f.upheld_accusation_probability(sup.false_accusation_rate, sup.accuser_deterrence,
                                           sup.clarification)


def perceived_rule(quantity: str) -> Written:
    """The written value of one perceived rule (``simulation.perceived.written`` says each)."""
    index = INDEX[quantity]

    def value(config: ModelConfig, regime: Regime) -> float:
        return float(written(regime)[index])

    value.__doc__ = f"The written value of the perceived rule {quantity!r}."
    return value


#: Every learnt belief beside its written counterpart, in the order the page draws them.
BELIEF_RULES: tuple[BeliefRule, ...] = (
    BeliefRule("belief_punish", punished_failure,
               "1 - fault tolerance: the share of failed bold tasks the review punishes",
               VERMILLION),
    BeliefRule("belief_detect", detected_idleness,
               "the chance that annual evaluation, public clues or the media catch lying flat "
               "(a working unit leader's watch under dual investigation adds to it)", BLUE),
    BeliefRule("belief_accuse", upheld_accusation,
               "false-accusation rate x (1 - accusers deterred) x (1 - clarification)",
               REDDISH_PURPLE),
    BeliefRule("belief_promote", None,
               "no written counterpart: how much promotion responds to performance depends on "
               "vacancies and rivals' records, not on the performance weight alone; cadres "
               "learn it from the published promotion statistic", ORANGE),
    BeliefRule("belief_detect_formal", perceived_rule("detect_formal"),
               "detection x formalism detection: formal work caught as inaction", SKY_BLUE),
    BeliefRule("belief_punish_routine", perceived_rule("punish_routine"),
               "generalised accountability: a routine mishap punished", GREY),
    BeliefRule("belief_accused", perceived_rule("accused"),
               "false-accusation rate x (1 - accusers deterred): bold work accused", YELLOW),
    BeliefRule("belief_upheld", perceived_rule("upheld"),
               "1 - clarification: a false accusation upheld", BLUISH_GREEN),
    BeliefRule("belief_warning_cost", perceived_rule("warning_cost"),
               "the warning rung's cost as written (before the career stake)", BLUISH_GREEN),
    BeliefRule("belief_demotion_cost", perceived_rule("demotion_cost"),
               "the demotion rung's cost as written (before the career stake)", ORANGE),
    BeliefRule("belief_removal_cost", perceived_rule("removal_cost"),
               "the removal rung's cost as written (before the career stake)", VERMILLION),
    BeliefRule("sanction_cost", None,
               "no single written value: the next rung depends on each cadre's strikes and its "
               "stake on its rank and prospects (docs/ODD.md 7.1.5)", GREY),
)


def is_cost(rule: BeliefRule) -> bool:
    """Whether the belief is a cost in utility (drawn on its own chart, apart from chances)."""
    return OUTPUTS[rule.belief].unit.startswith("utility")


def written_path(config: ModelConfig, rule: BeliefRule, years: int) -> np.ndarray:
    """The written value in each year 1..``years`` (the regime in force, a switch included).

    NaN throughout for a belief without a written counterpart.
    """
    if rule.written is None:
        return np.full(years, np.nan)
    return np.array([rule.written(config, regime_in_force(config, year)[0])
                     for year in range(1, years + 1)])

