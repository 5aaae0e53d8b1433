"""What the phases of a step hand each other, shared by the NumPy path and the compiled kernels.

Records of a year (the decision's inputs, inaction, outcomes, the review, the tournament) and the
names of the step's counts and means. Both paths build and read them; this module imports no
phase and no kernel, so neither path imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from simulation import formulas as f

# --------------------------------------------------------------------------------------------
# Phase 1, choose
# --------------------------------------------------------------------------------------------

#: Forms of inaction: per-cadre codes of ``Inaction.form`` (ACTIVE for a cadre that acts).
#: False action is ``FORMALISM``, as its output is named; ``FALSE_ACTION``, its earlier name,
#: is kept as an alias for code that still uses it.
LYING_FLAT, FORMALISM, AVOIDANCE, ACTIVE = 0, 1, 2, -1
FALSE_ACTION = FORMALISM
#: Coalition bits of the three counterfactual changes, in ``decision.CAUSES`` order.
RAISE_MOTIVATION, RAISE_ABILITY, REMOVE_FEAR = 1, 2, 4


@dataclass(frozen=True)
class DecisionInputs:
    """Per-cadre inputs of the utility (arrays of one length); counterfactuals swap fields.

    The arrays are copies taken at the start of the step, so inputs kept past a step do not
    change with the model's state.
    """

    motivation: NDArray[np.float64]
    ability: NDArray[np.float64]
    risk_aversion: NDArray[np.float64]
    violation_prone: NDArray[np.bool_]
    visibility: NDArray[np.float64]  # the post's multiplier of how visible hollow work is
    career: NDArray[np.float64]  # weight of the promotion prize: eligibility x waiting discount
    # The perceived regime (docs/ODD.md 7.1.4): what the cadre believes of each rule.
    belief_punish: NDArray[np.float64]  # P(an honest failed bold action is punished)
    belief_detect: NDArray[np.float64]  # P(lying flat is caught)
    belief_promote: NDArray[np.float64]  # responsiveness of promotion to measured output
    belief_accuse: NDArray[np.float64]  # P(bold work falsely accused and the charge upheld)
    belief_detect_formal: NDArray[np.float64]  # P(formal work is caught as inaction)
    belief_punish_routine: NDArray[np.float64]  # P(a routine mishap is punished)
    sanction_cost: NDArray[np.float64]  # the next sanction: perceived rung cost + career stake
    fear: float = 1.0  # 1 = acting carries its perceived sanction risk; 0 = that risk removed

    def subset(self, index: NDArray[np.intp]) -> DecisionInputs:
        """The same inputs restricted to some cadres."""
        picked = {
            name: (value[index] if isinstance(value, np.ndarray) else value)
            for name, value in self.__dict__.items()
        }
        return DecisionInputs(**picked)

    def with_(self, **changes) -> DecisionInputs:
        """A copy with some fields replaced (a counterfactual)."""
        return replace(self, **changes)


@dataclass(frozen=True)
class Inaction:
    """This year's inaction: per-cadre form, and counts of causes and reasons over cadres."""

    form: NDArray[np.int8]  # LYING_FLAT, FORMALISM, AVOIDANCE or ACTIVE per cadre
    causes: NDArray[np.float64]  # (3,) inactive cadres attributed to CAUSES (sum = inactive)
    reasons: NDArray[np.float64]  # (3,) inactive cadres naming each of CAUSES as main reason
    fear_only: int = 0  # routine workers who would take on the hard task were fear alone lifted
    #: (3,) inactive cadres naming each of CAUSES among their reasons (``named_causes``): a
    #: multi-response answer, so the three may sum to more than the inactive.
    named: NDArray[np.float64] = field(default_factory=lambda: np.zeros(3))
    #: False when no counterfactual was asked (``unaccounted``): forms mark only lying flat and
    #: formal work, and avoidance, causes, reasons and fear_only are unknown.
    accounted: bool = True
    #: The survey's answers (``survey.survey_answers``) when the phase asked them alongside the
    #: counterfactuals (the compiled path does, in the same pass); None: the step asks them.
    answers: dict[str, float] | None = None
    #: Cadres in each form, when the phase counted them as it set the forms (the compiled path
    #: does); None: ``counts`` counts them.
    form_counts: NDArray[np.int64] | None = None

    def counts(self) -> NDArray[np.int64]:
        """Cadres in each form, in ``decision.FORMS`` order."""
        if self.form_counts is not None:
            return self.form_counts
        return np.bincount(self.form[self.form >= 0], minlength=3)


def unaccounted(form: NDArray[np.int8], form_counts: NDArray[np.int64] | None = None
                ) -> Inaction:
    """The inaction of a year whose accounting was skipped: only the forms read off actions."""
    unknown = np.full(3, np.nan)
    return Inaction(form=form, causes=unknown, reasons=unknown.copy(), named=unknown.copy(),
                    accounted=False, form_counts=form_counts)


#: A cause an inactive cadre names among its reasons: its Shapley share of the cadre's inaction
#: is at least a third (shares of three causes come in sixths: 1/6 is a cause that matters only
#: beside two others, 1/3 one that counts as much as an equal split; 0.25 lies between).
NAMED_SHARE = 0.25


def named_causes(shares: NDArray[np.float64]) -> NDArray[np.float64]:
    """How many inactive cadres name each cause, from their cause shares (m, 3) (multi-response).

    A cadre names every cause whose share reaches ``NAMED_SHARE``: one that alone holds it back
    (share 1), each of two that hold it back jointly or each alone (1/2), or all three where any
    one or only all three lifted would end its inaction (1/3 each).
    """
    return np.count_nonzero(shares >= NAMED_SHARE, axis=0).astype(np.float64)


# --------------------------------------------------------------------------------------------
# Phase 2, outcomes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcomes:
    """What this year's actions produced."""

    real: NDArray[np.float64]  # real output per cadre
    measured: NDArray[np.float64]  # what evaluation sees
    bold_success: NDArray[np.bool_]
    bold_failure: NDArray[np.bool_]  # honest failure of a bold task (goes to review)
    routine_failure: NDArray[np.bool_]  # routine work gone wrong through no fault
    reversal: bool  # a policy reversal scrapped this year's bold projects


@dataclass(frozen=True)
class OutcomeDraws:
    """The phase's random draws, all made before any outcome is worked out."""

    success: NDArray[np.float64]  # uniform per cadre: a bold task succeeds below its chance
    reversal: bool  # a policy reversal scraps this year's bold projects
    noise: NDArray[np.float64]  # evaluation noise per cadre
    routine: NDArray[np.float64]  # uniform per cadre: routine work fails below the failure rate


# --------------------------------------------------------------------------------------------
# Phase 3, accountability
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Review:
    """Who was caught, reviewed, cleared or sanctioned this year, and why."""

    caught_idle: NDArray[np.bool_]
    caught_formal: NDArray[np.bool_]
    failure_punished: NDArray[np.bool_]  # failed bold action not tolerated (wrongful unless
    # the cadre is violation-prone)
    failure_tolerated: NDArray[np.bool_]
    violation_exposed: NDArray[np.bool_]
    violation_shielded: NDArray[np.bool_]
    routine_punished: NDArray[np.bool_]  # generalised accountability (wrongful)
    accused: NDArray[np.bool_]  # falsely accused
    accusation_upheld: NDArray[np.bool_]  # false accusation not cleared (wrongful)
    leader_sanctioned: NDArray[np.bool_]  # warned under dual investigation of unit leaders
    sanctioned: NDArray[np.bool_]  # any sanction this year (one per cadre)
    wrongful: NDArray[np.bool_]  # honest failure punished, routine mishap punished, or false
    # accusation upheld, for a cadre not also caught shirking or violating
    rung: NDArray[np.int8]  # rung applied (-1 if none)
    probation_failed: NDArray[np.bool_]


# --------------------------------------------------------------------------------------------
# Phase 4, promotion
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tournament:
    """This year's promotions and what cadres could observe about them."""

    promoted: NDArray[np.bool_]
    pool: NDArray[np.bool_]  # the candidates: eligible or self-recommended
    competed_rank: NDArray[np.int8]  # each cadre's rank before this year's promotions
    seniority: NDArray[np.int16]  # years in rank as scored (before promotions reset them)
    passed_over: NDArray[np.bool_]  # top-third record among candidates, not promoted
    # Seen in each unit over the years remembered (promotion.remember): P(promoted | top-half
    # record in its rank) - P(.. | bottom half).
    responsiveness: NDArray[np.float64]
    # Candidates behind each unit's statistic: the smaller of its top and bottom halves
    # (discounted counts).
    responsiveness_size: NDArray[np.float64]
    self_recommended: NDArray[np.bool_]


class Pool(NamedTuple):
    """This year's candidates, grouped by the rank they compete from."""

    mask: NDArray[np.bool_]  # per cadre: a candidate (eligible or self-recommended)
    self_recommended: NDArray[np.bool_]  # per cadre
    members: NDArray[np.intp]  # candidates' slots, by rank, in slot order within a rank
    starts: NDArray[np.intp]  # members[starts[r]:starts[r + 1]] compete from rank r
    record: NDArray[np.float64]  # per member
    score: NDArray[np.float64]  # per member: the tournament score within its rank
    front_line: NDArray[np.bool_]  # per member


# --------------------------------------------------------------------------------------------
# The step's statistics
# --------------------------------------------------------------------------------------------

#: The year's events whose cadres ``tally`` counts, in order (named as the step's outputs).
EVENTS: tuple[str, ...] = (
    "bold_success", "bold_failure", "tolerated_failures", "punished_failures",
    "violations_exposed", "shielded_violations", "caught_inaction", "false_accusations",
    "cleared_accusations", "wrongful_sanctions", "leader_sanctions", "sanctions",
    "probation_failures", "promotions", "self_recommendations", "retirements", "turnover",
)
#: Sanctions counted by the rung they reached, in ``formulas.RUNGS`` order.
SANCTIONS_BY_RUNG: tuple[str, ...] = ("warnings", "demotions", "removals")
#: What ``tally`` counts, in order: cadres with each of the year's EVENTS, then cadres taking
#: each action (``formulas.ACTIONS``), then sanctions on each rung (SANCTIONS_BY_RUNG).
TALLIED: tuple[str, ...] = (*EVENTS, *f.ACTIONS, *SANCTIONS_BY_RUNG)
#: What ``averages`` returns, in order: means over cadres, then meritocracy.
AVERAGED: tuple[str, ...] = (
    "real_output", "measured_output", "mean_motivation", "mean_ability", "belief_punish",
    "belief_detect", "belief_promote", "belief_accuse", "belief_detect_formal",
    "belief_punish_routine", "belief_accused", "belief_upheld", "belief_warning_cost",
    "belief_demotion_cost", "belief_removal_cost", "meritocracy",
)
