"""The model's configuration: one validated, documented data object used everywhere.

Every parameter is a pydantic field with a default, an allowed range, a unit and a one-line
meaning. The ODD protocol's parameter table, the CLI's error messages and the plots' axis labels
are all read from these fields, so they cannot drift apart. A regime (the policy settings) is
data: presets in ``configs/regimes/`` set only the fields they change.
"""

from __future__ import annotations

import sys
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


def param(
    default: Any,
    ge: float | None = None,
    le: float | None = None,
    *,
    title: str,
    doc: str,
    unit: str = "",
    seed: str = "",
    gt: float | None = None,
    lt: float | None = None,
) -> Any:
    """A documented config field: default, range, axis title, unit and source clause."""
    extra = {"unit": unit}
    if seed:
        extra["seed"] = seed
    return Field(
        default, ge=ge, le=le, gt=gt, lt=lt, title=title, description=doc, json_schema_extra=extra
    )


def plain_scalar(value: Any) -> Any:
    """The Python scalar a NumPy (or pandas) scalar holds, taken exactly; anything else as is.

    ``np.int64(500)`` becomes ``500`` and ``np.bool_(True)`` becomes ``True``, which the strict
    fields then judge like plain Python values: ``np.float64(2.5)`` is still no integer.
    """
    np = sys.modules.get("numpy")  # no NumPy scalar exists before NumPy is imported, so the
    if np is None:  # schema need not import it (``cadresim regimes`` stays quick)
        return value
    if isinstance(value, np.generic) or (isinstance(value, np.ndarray) and value.ndim == 0):
        return value.item()
    return value


def config_value(config: BaseModel, path: str) -> Any:
    """The value of a dotted field such as ``regime.promotion.min_tenure`` in a config.

    Works on a section too; None below a section that is unset (``switch.step`` without a
    switch).
    """
    value: Any = config
    for part in path.split("."):
        value = getattr(value, part, None)
    return value


#: Assignments to a field of any config section so far (``Section.__setattr__``): a value
#: computed from configs while this has not moved was computed from the configs as they are
#: (``simulation.per_regime``), and only when it has moved need their fields be compared.
_ASSIGNED = [0]


def assignments() -> int:
    """How many times a field of a config section has been assigned since the start."""
    return _ASSIGNED[0]


class Section(BaseModel):
    """Base of every config section: unknown keys and wrong types are errors, never coerced.

    NumPy and pandas scalars are accepted as the exact Python value they hold (see
    :func:`plain_scalar`), so values from arrays, DataFrames or samplers can be used directly.
    """

    model_config = ConfigDict(extra="forbid", strict=True, validate_assignment=True)

    def __setattr__(self, name: str, value: Any) -> None:
        """Assign (validated) and count the assignment (:func:`assignments`)."""
        super().__setattr__(name, value)
        _ASSIGNED[0] += 1

    @field_validator("*", mode="before")
    @classmethod
    def _plain_scalars(cls, value: Any) -> Any:
        return plain_scalar(value)


# --------------------------------------------------------------------------------------------
# The organisation and the people in it (not policy: the world a regime acts on)
# --------------------------------------------------------------------------------------------


class Organisation(Section):
    """Ranks, positions, units and the peer network."""

    n_cadres: int = param(
        1000, 20, 10_000_000, title="Number of cadres", unit="cadres",
        doc="Population size; constant, because every departure is refilled by an entrant. The "
        "limit covers China's whole civil service at 1:1 (7.2 million in 2015).",
    )
    n_ranks: int = param(
        4, 2, 8, title="Number of ranks", unit="ranks",
        doc="Ranks 0 (staff) to n_ranks-1 (top leadership).",
    )
    pyramid_ratio: float = param(
        0.35, gt=0.0, lt=1.0, title="Pyramid ratio", unit="positions per lower position",
        doc="Positions at rank r+1 per position at rank r; positions at ranks >= 1 are scarce.",
    )
    initial_fill: float = param(
        0.9, 0.5, 1.0, title="Initial fill of senior positions", unit="share",
        doc="Share of positions at ranks >= 1 occupied at the start; the rest are vacancies.",
    )
    unit_size: int = param(
        20, 2, 1000, title="Unit size", unit="cadres",
        doc="Cadres per work unit; a unit's highest-ranked member is its leader.",
    )
    front_line_share: float = param(
        0.5, 0.0, 1.0, title="Front-line share", unit="share of units", seed="003",
        doc="Share of units that are front-line (grassroots) posts, for promotion quotas.",
    )
    peers_in_unit: int = param(
        6, 0, 50, title="Peers in unit", unit="ties",
        doc="Network ties each cadre has to colleagues in its own unit.",
    )
    peers_cross_unit: int = param(
        2, 0, 50, title="Cross-unit peers", unit="ties",
        doc="Network ties each cadre has to cadres in other units.",
    )
    post_visibility_sd: float = param(
        1.0, 0.0, 5.0, title="Spread of post visibility", unit="multiplier s.d.", seed="000, 001",
        doc="Units differ in how visible hollow work is (image projects, paperwork): each unit's "
        "multiplier of behaviour.formal_visibility is gamma with mean 1 and this s.d.",
    )

    @model_validator(mode="after")
    def _network_fits(self) -> Organisation:
        if self.peers_in_unit >= self.unit_size:
            raise ValueError(
                f"peers_in_unit ({self.peers_in_unit}) must be smaller than unit_size "
                f"({self.unit_size})"
            )
        if self.peers_in_unit + self.peers_cross_unit < 1:
            raise ValueError("peers_in_unit + peers_cross_unit must be at least 1")
        if self.unit_size > self.n_cadres:
            raise ValueError(
                f"unit_size ({self.unit_size}) must not exceed n_cadres ({self.n_cadres})"
            )
        return self


class Population(Section):
    """Traits of cadres at the start and of new entrants; ageing and retirement."""

    ability_mean: float = param(
        0.602, 0.01, 0.99, title="Mean ability", unit="0-1",
        doc="Mean of the Beta distribution of ability of initial cadres and entrants.",
    )
    motivation_mean: float = param(
        0.685, 0.01, 0.99, title="Mean motivation", unit="0-1",
        doc="Mean of the Beta distribution of intrinsic motivation.",
    )
    trait_concentration: float = param(
        12.0, 1.0, 1000.0, title="Trait concentration", unit="Beta a+b",
        doc="Concentration (a+b) of the ability and motivation Beta draws; higher is tighter.",
    )
    risk_aversion_mean: float = param(
        0.736, 0.0, 10.0, title="Mean risk aversion", unit="multiplier",
        doc="Mean of the gamma-distributed risk aversion rho (expected sanctions weigh 1+rho).",
    )
    risk_aversion_sd: float = param(
        0.5, 0.0, 10.0, title="Risk aversion s.d.", unit="multiplier",
        doc="Standard deviation of risk aversion; 0 gives everyone the mean.",
    )
    violation_prone_share: float = param(
        0.05, 0.0, 1.0, title="Violation-prone share", unit="share", seed="002",
        doc="Share of cadres whose 'bold' work is a self-serving violation disguised as "
        "initiative.",
    )
    entry_age_min: int = param(
        22, 18, 40, title="Youngest entry age", unit="years", doc="Youngest age of an entrant."
    )
    entry_age_max: int = param(
        30, 18, 50, title="Oldest entry age", unit="years", doc="Oldest age of an entrant."
    )
    retirement_age: int = param(
        60, 45, 75, title="Retirement age", unit="years", doc="Cadres retire at this age."
    )

    @model_validator(mode="after")
    def _ages_ordered(self) -> Population:
        if not self.entry_age_min <= self.entry_age_max < self.retirement_age:
            raise ValueError(
                "need entry_age_min <= entry_age_max < retirement_age, got "
                f"{self.entry_age_min}, {self.entry_age_max}, {self.retirement_age}"
            )
        return self


class Behaviour(Section):
    """The decision rule and what each action produces (not policy: how cadres are)."""

    temperature: float = param(
        0.342, 0.0, 10.0, title="Choice temperature", unit="utility",
        doc="Logit temperature; 0 is a best response, larger values add idiosyncratic taste.",
    )
    effort_formal: float = param(
        0.35, 0.0, 1.0, title="Effort of formal work", unit="0-1",
        doc="Effort level of the 'formal' action (superficial, visible activity).",
    )
    effort_routine: float = param(
        0.6, 0.0, 1.0, title="Effort of routine work", unit="0-1",
        doc="Effort level of the 'routine' action (substantive, safe work).",
    )
    effort_bold: float = param(
        1.0, 0.0, 1.0, title="Effort of bold work", unit="0-1",
        doc="Effort level of the 'bold' action (taking on a hard task that may fail).",
    )
    output_formal: float = param(
        0.1, 0.0, 5.0, title="Real output of formal work", unit="output units",
        doc="Real output of formal work ('paper documents').",
    )
    output_routine: float = param(
        0.6, 0.0, 5.0, title="Real output of routine work", unit="output units",
        doc="Real output of routine work.",
    )
    output_bold: float = param(
        1.8, 0.0, 10.0, title="Real output of successful bold work", unit="output units",
        doc="Real output of a bold action that succeeds (a failure yields nothing).",
    )
    formal_visibility: float = param(
        0.4, 0.0, 5.0, title="Visibility of formalism", unit="output units", seed="001",
        doc="Measured output that formal work adds under a fully imprecise evaluator, in a "
        "post of average visibility.",
    )
    bold_difficulty: float = param(
        0.5, 0.0, 1.0, title="Bold-task difficulty", unit="ability",
        doc="Ability at which a bold task succeeds half the time.",
    )
    bold_spread: float = param(
        0.12, 0.01, 1.0, title="Bold-task spread", unit="ability",
        doc="Logistic scale of bold success in ability; smaller is a sharper threshold.",
    )
    routine_failure_rate: float = param(
        0.05, 0.0, 0.5, title="Routine failure rate", unit="probability per year", seed="002",
        doc="Chance that routine work goes wrong anyway; punished only under generalised "
        "accountability.",
    )
    intrinsic_value: float = param(
        1.0, 0.0, 10.0, title="Intrinsic value of output", unit="utility per output unit",
        doc="Utility a fully motivated cadre gets per unit of real output.",
    )
    promotion_prize: float = param(
        7.84, 0.0, 20.0, title="Promotion prize", unit="utility",
        doc="Utility of a promotion (pay, status, scope).",
    )
    effort_cost: float = param(
        0.152, 0.0, 10.0, title="Effort cost", unit="utility at full effort",
        doc="Cost of full effort for a fully able cadre with no burden (grows with effort "
        "squared).",
    )
    ability_cost_slope: float = param(
        1.5, 0.0, 20.0, title="Ability cost slope", unit="multiplier", seed="000",
        doc="Effort cost is multiplied by 1 + slope*(1 - ability): hard for the unable.",
    )
    future_discount: float = param(
        0.8, 0.0, 1.0, title="Future discount", unit="per year",
        doc="Discount on a promotion that is still years of tenure away.",
    )
    violation_gain: float = param(
        0.8, 0.0, 10.0, title="Gain from a violation", unit="utility", seed="002",
        doc="Private gain a violation-prone cadre gets from disguised self-serving 'initiative'.",
    )
    violation_exposure: float = param(
        0.5, 0.0, 1.0, title="Violation exposure", unit="probability",
        doc="Chance that a disguised violation surfaces and goes to fault-tolerance review.",
    )
    leader_monitoring: float = param(
        0.5, 0.0, 1.0, title="Leader monitoring", unit="share of missed inaction", seed="000",
        doc="Under dual investigation, the share of otherwise missed inaction that a working "
        "unit leader catches (times the dual-investigation level).",
    )
    care_cost_relief: float = param(
        0.25, 0.0, 1.0, title="Care cost relief", unit="share of cost", seed="003",
        doc="Share of effort cost removed at full care (pay, health, leave).",
    )

    safe_work_accusation_ratio: float = param(
        0.25, 0.0, 1.0, title="Accusations against safe work", unit="relative rate",
        seed="002, 003",
        doc="False accusations against formal and routine work, relative to bold work: they "
        "fall on those who act and stir interests.",
    )

    motivated_enough_cover: float = param(
        1.0, 0.1, 5.0, title="Motivated enough (cost covered)", unit="share of effort cost",
        doc="Reference level of the 'unwilling' counterfactual: the motivation at which the "
        "intrinsic value of routine work covers this share of its effort cost (for a cadre able "
        "enough, without burden or care): willing to do the post's work for its own sake.",
    )
    able_enough_success: float = param(
        0.5, 0.01, 0.99, title="Able enough (bold success)", unit="probability",
        doc="Reference level of the 'unable' counterfactual: the ability at which a bold task "
        "succeeds with this probability (0.5: as likely to succeed as to fail).",
    )

    @model_validator(mode="after")
    def _effort_ordered(self) -> Behaviour:
        if not self.effort_formal <= self.effort_routine <= self.effort_bold:
            raise ValueError(
                "efforts must be ordered effort_formal <= effort_routine <= effort_bold, got "
                f"{self.effort_formal}, {self.effort_routine}, {self.effort_bold}"
            )
        return self


class Learning(Section):
    """How beliefs, motivation and ability move from year to year."""

    belief_rate: float = param(
        0.377, 0.0, 1.0, title="Promotion-belief learning rate", unit="per year",
        doc="Weight of this year's published promotion statistic in the belief that "
        "performance is promoted (exponential smoothing).",
    )
    own_weight: float = param(
        3.0, 0.0, 100.0, title="Weight of own experience", unit="peers",
        doc="What happens to the cadre itself counts as much as this many peers.",
    )
    memory: float = param(
        0.8, 0.0, 1.0, title="Memory of cases", unit="per year",
        doc="Share of its past case evidence a cadre keeps each year (fading memory). 0.8 keeps "
        "80% of last year's cases: the chilling effect of inspections lasts at least 12 months "
        "(Chen, Nan and Zhong 2020).",
    )
    rule_weight: float = param(
        4.0, 0.0, 1000.0, title="Weight of the rules as credited", unit="cases",
        doc="How many cases' worth the written rules, as far as they are credited, carry in "
        "each belief about the regime; case evidence adds to it.",
    )
    credibility_tightening: float = param(
        0.6, 0.0, 1.0, title="Credibility of a tightening", unit="share of the change",
        doc="Share of an announced rise in a sanction risk or cost that cadres credit at once "
        "(and of their past cases they set aside as describing the old rules).",
    )
    credibility_relief: float = param(
        0.25, 0.0, 1.0, title="Credibility of a relief", unit="share of the change",
        doc="The same for an announced fall in a sanction risk or cost (more tolerance, less "
        "detection, a milder ladder): rules of relief adopted widely but implemented weakly "
        "are discounted, and fear lingers.",
    )
    reversal_penalty: float = param(
        0.5, 0.0, 1.0, title="Credibility lost per reversal", unit="share of credibility",
        doc="A switch that undoes an earlier change of a rule (flipping pancakes) costs the "
        "regime this share of the credibility of every later announcement. (seed 001)",
        seed="001",
    )
    published_reach: float = param(
        2000.0, 0.0, 100_000.0, title="Reach of published cases", unit="cadres",
        doc="A fully public case collection (publicity 1) shows each cadre the review cases of "
        "this many cadres, as if they were its peers': at 2-5 failed initiatives per 1000 "
        "cadres a year, a few dozen cases in memory, the order of Guilin's 51 typical cases.",
        seed="003",
    )
    prior_promote: float = param(
        0.1, -1.0, 1.0, title="Prior: performance promoted", unit="responsiveness",
        doc="Initial belief in the responsiveness of promotion to measured performance "
        "(P(promoted | top half) - P(promoted | bottom half)).",
    )
    promotion_memory: float = param(
        0.8, 0.0, 1.0, title="Memory of promotions", unit="per year",
        doc="Share of its past promotion cases (who was a candidate, who rose) a unit keeps each "
        "year; the promotion statistic is read from these discounted counts. 0.8, as for the "
        "cases of the regime, keeps about five years' worth; 0 reads this year's alone.",
    )
    published_promotions: float = param(
        1.0, 0.0, 100.0, title="Weight of published promotions", unit="units", seed="001",
        doc="Promotions are announced before appointment and read as the organisation's "
        "'personnel orientation', so each unit's promotion record adds the average unit's this "
        "many times (docs/ODD.md 7.5.2). 1 weighs the organisation's list as much as the unit's "
        "own cases; 0 reads the unit's own alone.",
    )
    statistic_pseudocount: float = param(
        0.0, 0.0, 10_000.0, title="Weight of the prior belief", unit="candidates",
        doc="The promotion statistic a cadre sees in its unit, from m candidates, moves its "
        "belief with weight m / (m + this); 0, a full step, as the other beliefs take whenever "
        "something is seen (a statistic is never clipped).",
    )
    motivation_reversion: float = param(
        0.1, 0.0, 1.0, title="Motivation reversion", unit="per year",
        doc="Pull of motivation back toward the cadre's innate level.",
    )
    care_motivation_lift: float = param(
        0.3, 0.0, 1.0, title="Care motivation lift", unit="share of motivation gap", seed="003",
        doc="At full care, the level motivation reverts to rises this share of the way to 1.",
    )
    recognition_boost: float = param(
        0.08, 0.0, 1.0, title="Recognition boost", unit="motivation",
        doc="Motivation gained on promotion or commendation.",
    )
    unfairness_penalty: float = param(
        0.15, 0.0, 1.0, title="Unfairness penalty", unit="motivation", seed="002",
        doc="Motivation lost after a wrongful sanction.",
    )
    passed_over_penalty: float = param(
        0.04, 0.0, 1.0, title="Passed-over penalty", unit="motivation",
        doc="Motivation lost by a top-third performer passed over for promotion.",
    )
    conformity: float = param(
        0.1, 0.0, 1.0, title="Conformity", unit="per year", seed="004",
        doc="Pull of motivation toward the peers' mean motivation (the unit's attitude).",
    )
    role_model_boost: float = param(
        0.03, 0.0, 1.0, title="Role-model boost", unit="motivation", seed="003",
        doc="Motivation a cadre gains per commended peer.",
    )
    experience_gain: float = param(
        0.02, 0.0, 1.0, title="Experience gain", unit="ability per bold year",
        doc="Ability gained (times 1 - ability) from a year of bold work.",
    )
    skill_decay: float = param(
        0.01, 0.0, 1.0, title="Skill decay", unit="ability per idle year", seed="001",
        doc="Ability lost (times ability) in a year lying flat: new knowledge is not learnt.",
    )


# --------------------------------------------------------------------------------------------
# The regime: policy settings, the levers the seed texts propose
# --------------------------------------------------------------------------------------------


class Promotion(Section):
    """Who is promoted: the tournament's score, eligibility rules and checks."""

    performance_weight: float = param(
        0.3, 0.0, 1.0, title="Performance weight in promotion", unit="share of score",
        seed="000",
        doc="Weight of the performance record in the promotion score; the rest is seniority.",
    )
    score_noise: float = param(
        0.5, 0.0, 10.0, title="Promotion noise", unit="score s.d.",
        doc="Noise (favouritism, luck) in the promotion score, relative to the standardised parts.",
    )
    record_memory: float = param(
        0.6, 0.0, 0.99, title="Record memory", unit="per year", seed="001",
        doc="Weight of the past in the performance record (a 'performance list'); 0 keeps "
        "this year only.",
    )
    min_tenure: int = param(
        4, 0, 20, title="Minimum tenure", unit="years in rank", seed="000, 004",
        doc="Years in rank before a cadre is eligible for promotion.",
    )
    fast_track_share: float = param(
        0.0, 0.0, 0.5, title="Fast-track share", unit="share of rank", seed="000, 004",
        doc="Top share of performers in a rank who bypass minimum tenure and the age ceiling.",
    )
    age_ceiling: int = param(
        0, 0, 75, title="Age ceiling", unit="years (0 = none)", seed="000, 004",
        doc="Cadres at or above this age are not promoted; 0 switches the ceiling off.",
    )
    self_recommendation: float = param(
        0.0, 0.0, 1.0, title="Self-recommendation", unit="probability", seed="004",
        doc="Chance that an able cadre barred by tenure or age puts itself forward anyway.",
    )
    self_recommendation_ability: float = param(
        0.6, 0.0, 1.0, title="Self-recommendation ability", unit="ability", seed="004",
        doc="Ability a cadre must have to think itself competent enough to self-recommend.",
    )
    front_line_quota: float = param(
        0.0, 0.0, 1.0, title="Front-line quota", unit="share of promotions", seed="003",
        doc="Minimum share of each rank's promotions reserved for front-line cadres.",
    )
    probation_years: int = param(
        0, 0, 5, title="Probation", unit="years", seed="004",
        doc="Years after promotion, each checked once: a sanction or poor measured work (a "
        "tolerated failure or a bold success excepted) reverts the promotion.",
    )
    probation_min_performance: float = param(
        0.3, 0.0, 5.0, title="Probation threshold", unit="output units", seed="004",
        doc="Measured output below which a cadre on probation fails the check.",
    )


class Accountability(Section):
    """Detection of inaction and the sanction ladder."""

    annual_evaluation: float = param(
        0.1, 0.0, 1.0, title="Annual-evaluation detection", unit="probability", seed="000",
        doc="Chance that annual evaluation catches a cadre who lay flat this year.",
    )
    warning_cost: float = param(
        0.4, 0.0, 20.0, title="Cost of a warning", unit="utility", seed="004",
        doc="Utility cost of the first rung of the sanction ladder (warning, criticism).",
    )
    demotion_cost: float = param(
        1.5, 0.0, 20.0, title="Cost of adjustment", unit="utility", seed="000",
        doc="Utility cost of the second rung (adjustment of post, demotion by one rank).",
    )
    removal_cost: float = param(
        4.0, 0.0, 50.0, title="Cost of removal", unit="utility", seed="000",
        doc="Utility cost of the third rung (removal from the service).",
    )
    strike_expiry: int = param(
        4, 1, 40, title="Strike expiry", unit="years",
        doc="Clean years (without a new sanction) after which the ladder resets to its first "
        "rung.",
    )
    sanction_years: int = param(
        2, 0, 20, title="Sanction duration", unit="years", seed="002, 003",
        doc="Years a sanctioned cadre is barred from promotion.",
    )
    dual_investigation: float = param(
        0.0, 0.0, 1.0, title="Dual investigation", unit="probability", seed="000",
        doc="Chance that a unit leader is warned for each member caught lying flat; answerable "
        "leaders who work also watch their unit (see behaviour.leader_monitoring).",
    )
    generalised_accountability: float = param(
        0.3, 0.0, 1.0, title="Generalised accountability", unit="probability", seed="002",
        doc="Chance that a routine failure (not the cadre's fault) is punished too.",
    )


class FaultTolerance(Section):
    """Review of failed initiative: the 'three distinctions'."""

    tolerance: float = param(
        0.0, 0.0, 1.0, title="Fault tolerance", unit="probability", seed="001, 002, 003",
        doc="Chance that an honest failed bold action is tolerated (not sanctioned).",
    )
    precision: float = param(
        0.8, 0.0, 1.0, title="Fault-tolerance precision", unit="0-1", seed="002, 003",
        doc="How well review tells honest error from disguised violation; a violation is "
        "shielded with probability tolerance * (1 - precision).",
    )
    reuse_disciplined: float = param(
        0.0, 0.0, 1.0, title="Reuse of disciplined cadres", unit="probability per year",
        seed="002, 003",
        doc="Chance per year that a sanctioned cadre is reassessed and its promotion bar lifted.",
    )
    publicity: float = param(
        0.0, 0.0, 1.0, title="Publicity of review cases", unit="share of cases", seed="003",
        doc="Share of review cases published to the whole service as a case collection: honest "
        "failures tolerated or punished, routine mishaps punished or not, false accusations "
        "cleared or upheld, sanctions and their rungs ('interpreting regulations by case').",
    )


class Evaluation(Section):
    """How performance is measured."""

    precision: float = param(
        0.5, 0.0, 1.0, title="Evaluation precision", unit="0-1", seed="000",
        doc="Quality of evaluation: shrinks measurement noise and the credit formalism gets.",
    )
    noise_sd: float = param(
        0.5, 0.0, 5.0, title="Evaluation noise", unit="output units s.d.", seed="000",
        doc="Standard deviation of measurement noise at zero precision.",
    )
    formalism_detection: float = param(
        0.3, 0.0, 1.0, title="Formalism detection", unit="relative probability", seed="000",
        doc="Chance that formal work is treated as inaction when the cadre is examined.",
    )


class Support(Section):
    """Training, education, care, burden and commendation."""

    training: float = param(
        0.0, 0.0, 0.5, title="Training", unit="share of ability gap per year", seed="000, 003",
        doc="Ability moves this share of the way toward 1 each year.",
    )
    education: float = param(
        0.0, 0.0, 0.5, title="Ideological education", unit="share of motivation gap per year",
        seed="001, 003",
        doc="Motivation moves this share of the way toward 1 each year.",
    )
    care: float = param(
        0.0, 0.0, 1.0, title="Care", unit="0-1", seed="003",
        doc="Pay, health and leave: cuts effort cost and lifts the motivation a cadre reverts to.",
    )
    burden: float = param(
        0.3, 0.0, 3.0, title="Burden", unit="multiplier", seed="001, 003",
        doc="Administrative burden (inspections, assessments): effort cost is times 1 + burden.",
    )
    commendation: float = param(
        0.0, 0.0, 0.2, title="Commendation", unit="share of cadres", seed="003",
        doc="Share of cadres, the best bold performers, publicly commended each year.",
    )
    policy_volatility: float = param(
        0.1, 0.0, 1.0, title="Policy volatility", unit="probability per year", seed="001",
        doc="Chance per year of a policy reversal ('flipping pancakes') that scraps bold projects.",
    )


class Supervision(Section):
    """Public detection channels and false accusations."""

    public_clues: float = param(
        0.0, 0.0, 1.0, title="Public clue collection", unit="probability", seed="004",
        doc="Chance that public clue reporting catches a cadre who lay flat.",
    )
    media_exposure: float = param(
        0.0, 0.0, 1.0, title="Media exposure", unit="probability", seed="004",
        doc="Chance that media exposure catches a cadre who lay flat.",
    )
    false_accusation_rate: float = param(
        0.06, 0.0, 1.0, title="False-accusation rate", unit="probability per year",
        seed="002, 003",
        doc="Chance per year that a cadre doing bold work is falsely accused (safe work: times "
        "behaviour.safe_work_accusation_ratio).",
    )
    clarification: float = param(
        0.2, 0.0, 1.0, title="Clarification", unit="share", seed="002, 003",
        doc="Share of false accusations cleared before a sanction.",
    )
    accuser_deterrence: float = param(
        0.0, 0.0, 1.0, title="Punishing false accusers", unit="share", seed="002, 003",
        doc="Share of false accusations deterred by punishing false accusers.",
    )


class Regime(Section):
    """All policy settings. A regime is data: presets set only the fields they change."""

    promotion: Promotion = Field(default_factory=Promotion)
    accountability: Accountability = Field(default_factory=Accountability)
    fault_tolerance: FaultTolerance = Field(default_factory=FaultTolerance)
    evaluation: Evaluation = Field(default_factory=Evaluation)
    support: Support = Field(default_factory=Support)
    supervision: Supervision = Field(default_factory=Supervision)


class RegimeSwitch(Section):
    """A regime change at a given step, for transition experiments."""

    step: int = param(
        1, 1, 10_000, title="Switch step", unit="year",
        doc="The first step run under the new regime.",
    )
    regime: Regime = Field(
        default_factory=Regime,
        description="The full regime in force from `step` on (the loader fills it from the "
        "base regime, a preset and overrides).",
    )
    label: str = Field("", description="Name of the regime switched to, for tables and plots.")
    phase_in: int = param(
        0, 0, 100, title="Phase-in years", unit="years",
        doc="Years over which the change is spread (numeric levers move in equal steps from the "
        "starting regime's values); 0 or 1: all at once at `step`.",
    )
    back_step: int = param(
        0, 0, 10_000, title="Return step", unit="year (0 = never)",
        doc="The first step run under the starting regime again (a reversal); 0: no return. "
        "Must come after the change is complete (at least step + phase_in).",
    )

    @model_validator(mode="after")
    def _return_after_change(self) -> RegimeSwitch:
        done = self.step + max(self.phase_in, 1)
        if self.back_step and self.back_step < done:
            raise ValueError(
                f"back_step ({self.back_step}) must be 0 (no return) or at least {done} "
                f"(step + phase_in: the change must be complete before it is undone)"
            )
        return self


class Welfare(Section):
    """How a regime's welfare weighs what it achieves against what it costs (docs/ODD.md 9.1).

    Welfare per cadre and year = real output - effort weight x effort cost - wrongful-sanction
    harm x wrongful sanctions - shielded-violation harm x shielded violations, in output units
    (one unit of utility is one unit of output, as for a cadre of intrinsic value 1). The
    weights are value judgements, not behaviour: they change no run, only its welfare figure,
    and the analysis reports welfare over a band of them.
    """

    effort_weight: float = param(
        1.0, 0.0, 5.0, title="Weight of effort cost", unit="output units per utility unit",
        doc="How much a unit of effort cost borne by cadres counts against output (1: as "
        "the cadres feel it).",
    )
    wrongful_sanction_harm: float = param(
        2.0, 0.0, 50.0, title="Harm of a wrongful sanction", unit="output units",
        doc="Harm of one wrongful sanction (an honest failure punished, a routine mishap "
        "punished under generalised accountability, a false accusation upheld): about the "
        "middle rung's cost to the innocent cadre (1.5) plus half a year of routine output.",
    )
    shielded_violation_harm: float = param(
        4.0, 0.0, 50.0, title="Harm of a shielded violation", unit="output units",
        doc="Harm of one self-serving violation that fault tolerance wrongly shields: about "
        "twice the output of the genuine hard task it passed itself off as (1.8).",
    )


class PolicyCost(Section):
    """What the resource-using levers of a regime cost (docs/ODD.md 9.2): assumptions, not data.

    Policy cost per cadre and year = the sum over these levers of weight x the lever's value in
    the regime in force, in output units (a routine year's work is 0.6). Like the welfare
    weights they change no run, only its ``policy_cost`` figure, so a search that turns every
    lever to its maximum pays for it. Levers not listed (promotion rules, tolerance, burden) are
    taken as costless: they redistribute or decide, they do not hire.
    """

    annual_evaluation: float = param(
        0.2, 0.0, 10.0, title="Cost of annual-evaluation detection",
        unit="output units per cadre a year at detection 1",
        doc="Inspectors' time to catch every cadre who lay flat (regime.accountability."
        "annual_evaluation = 1): about one inspector's routine output per three cadres.",
    )
    public_clues: float = param(
        0.05, 0.0, 10.0, title="Cost of public clue collection",
        unit="output units per cadre a year at detection 1",
        doc="Handling and checking public reports at regime.supervision.public_clues = 1; the "
        "public files them, the service only sifts them.",
    )
    media_exposure: float = param(
        0.05, 0.0, 10.0, title="Cost of media exposure",
        unit="output units per cadre a year at detection 1",
        doc="Following up media exposure at regime.supervision.media_exposure = 1.",
    )
    evaluation_precision: float = param(
        0.1, 0.0, 10.0, title="Cost of evaluation precision",
        unit="output units per cadre a year at precision 1",
        doc="Assessors' time for a fully precise evaluation (regime.evaluation.precision = 1): "
        "on-site checks instead of paperwork.",
    )
    training: float = param(
        0.4, 0.0, 10.0, title="Cost of training",
        unit="output units per cadre a year per unit of training",
        doc="Courses and time away from work per unit of regime.support.training (its maximum "
        "0.5 costs 0.2: a third of a routine year).",
    )
    care: float = param(
        0.15, 0.0, 10.0, title="Cost of care", unit="output units per cadre a year at care 1",
        doc="Pay, health and leave at regime.support.care = 1: a quarter of a routine year.",
    )
    clarification: float = param(
        0.05, 0.0, 10.0, title="Cost of clarification",
        unit="output units per cadre a year at clarification 1",
        doc="Investigating accusations to clear the false ones (regime.supervision."
        "clarification = 1); accusations reach few cadres, so it is cheap.",
    )

    def levers(self) -> dict[str, float]:
        """Each costed lever's dotted path under ``regime`` and its weight."""
        return {LEVER_OF_COST[name]: getattr(self, name) for name in LEVER_OF_COST}


#: The regime lever each policy-cost weight prices (a dotted path under ``regime``).
LEVER_OF_COST: dict[str, str] = {
    "annual_evaluation": "accountability.annual_evaluation",
    "public_clues": "supervision.public_clues",
    "media_exposure": "supervision.media_exposure",
    "evaluation_precision": "evaluation.precision",
    "training": "support.training",
    "care": "support.care",
    "clarification": "supervision.clarification",
}


class ModelConfig(Section):
    """A complete, validated model configuration: a run is a pure function of it and a seed."""

    name: str = Field("default", description="Short name of the configuration (a preset's name).")
    description: str = Field("", description="One-line description shown by `cadresim regimes`.")
    seed: int = param(
        20261121, 0, 2**32 - 1, title="Seed", unit="",
        doc="Seed of the model's random generator; a run is a pure function of (config, seed).",
    )
    steps: int = param(
        30, 1, 10_000, title="Steps", unit="years",
        doc="Years simulated by `cadresim run` when --steps is not given.",
    )
    organisation: Organisation = Field(default_factory=Organisation)
    population: Population = Field(default_factory=Population)
    behaviour: Behaviour = Field(default_factory=Behaviour)
    learning: Learning = Field(default_factory=Learning)
    regime: Regime = Field(default_factory=Regime)
    welfare: Welfare = Field(default_factory=Welfare)
    policy_cost: PolicyCost = Field(default_factory=PolicyCost)
    switch: RegimeSwitch | None = Field(
        None, description="Optional regime change at a given step (see RegimeSwitch)."
    )
