"""Phase 1, choose: utilities, choices, and inaction's form, causes and reasons.

Each cadre's expected utility of the four actions, its choice, and what the choice says about
inaction (its form, its causes and the cadre's own reason).

Utilities are built from the cadre's *beliefs* about enforcement (learnt) and from the written
rules it knows (regime parameters). A choice is the best action after the cadre's idiosyncratic
taste this year (Gumbel draws, so choice frequencies are logit). Keeping those draws lets the
same function say what the *same* cadre would have done under counterfactual inputs: that is how
responsibility avoidance and the unwilling / unable / afraid split are defined (docs/ODD.md
sections 7.1 and 8; docs/design-brief.md, Outputs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from simulation import formulas as f
from simulation.cadres import CadreArrays
from simulation.config import Behaviour, ModelConfig, Organisation, Population, Regime
from simulation.per_regime import once_per_regime
from simulation.records import (
    ACTIVE,
    AVOIDANCE,
    FALSE_ACTION,  # noqa: F401  (the documented alias of FORMALISM, for older code)
    FORMALISM,
    LYING_FLAT,
    RAISE_ABILITY,
    RAISE_MOTIVATION,
    REMOVE_FEAR,
    DecisionInputs,
    Inaction,
    named_causes,
    unaccounted,
)
from simulation.tasks import References, efforts, promotion_scale, reference_levels

#: Each cadre's weight of the promotion prize (``career_weights`` or its compiled twin).
CareerWeights = Callable[[CadreArrays, ModelConfig, Regime], NDArray[np.float64]]
#: Each cadre's cost of its next sanction at given stakes (``sanctions_at`` or its twin).
SanctionsAt = Callable[[CadreArrays, "Stakes"], NDArray[np.float64]]

#: ``reference_levels``, computed once while the behaviour and the regime stay the same.
regime_references = once_per_regime(reference_levels)
#: Causes of inaction and the reasons cadres give, in this order everywhere.
CAUSES: tuple[str, ...] = ("unwilling", "unable", "afraid")
#: Forms of inaction, in the order of the per-cadre codes of ``Inaction.form``
#: (``records.LYING_FLAT``, ``records.FORMALISM``, ...; ``records.ACTIVE`` for a cadre that
#: acts), named as the outputs are (``simulation.outputs.FORMS``).
FORMS: tuple[str, ...] = ("lying_flat", "formalism", "avoidance")


def career_weights(cadres: CadreArrays, config: ModelConfig, regime: Regime) -> NDArray:
    """Weight of the promotion prize for each cadre this year (0 if it cannot compete).

    Probationers count fully: keeping the new post depends on measured work. The NumPy
    reference of ``simulation.kernels.decide.career_weights``.
    """
    promo = regime.promotion
    top = cadres.rank >= config.organisation.n_ranks - 1
    years_short = np.maximum(promo.min_tenure - cadres.years_in_rank, 0)
    years_short = np.where(cadres.fast_track, 0, years_short)
    too_old = (
        (cadres.age >= promo.age_ceiling) & ~cadres.fast_track
        if promo.age_ceiling > 0
        else np.zeros(cadres.n, dtype=np.bool_)
    )
    eligible = ~top & (cadres.sanction_years == 0) & ~too_old
    weight = f.career_weight(years_short, config.behaviour.future_discount, eligible)
    if promo.self_recommendation > 0:
        # An able cadre barred by tenure or age may put itself forward (seed 004).
        barred = ~top & (cadres.sanction_years == 0) & ((years_short > 0) | too_old)
        able = cadres.ability >= promo.self_recommendation_ability
        weight = np.where(barred & able, np.maximum(weight, promo.self_recommendation), weight)
    return np.where(cadres.probation_years > 0, 1.0, weight)


def decision_inputs(
    cadres: CadreArrays, config: ModelConfig, regime: Regime,
    weigh_careers: CareerWeights = career_weights, copy: bool = True,
    price_sanctions: SanctionsAt | None = None,
) -> DecisionInputs:
    """Copy the start-of-step state that enters the utility.

    ``weigh_careers`` gives the career weights and ``price_sanctions`` the sanction costs at
    the regime's stakes (default ``sanctions_at``; the phase table passes the compiled twins).
    With ``copy`` False the arrays are the cadres' own, for a caller that is done with them
    before the state changes (the step: decide and the effort cost come first).
    """
    c = cadres

    def kept(array: NDArray) -> NDArray:
        return array.copy() if copy else array

    return DecisionInputs(
        motivation=kept(c.motivation),
        ability=kept(c.ability),
        risk_aversion=kept(c.risk_aversion),
        violation_prone=kept(c.violation_prone),
        visibility=kept(c.visibility),
        career=weigh_careers(cadres, config, regime),
        belief_punish=kept(c.belief_punish),
        belief_detect=kept(c.belief_detect),
        belief_promote=kept(c.belief_promote),
        belief_accuse=c.belief_accused * c.belief_upheld,
        belief_detect_formal=kept(c.belief_detect_formal),
        belief_punish_routine=kept(c.belief_punish_routine),
        sanction_cost=sanction_costs(cadres, config, regime, price_sanctions),
    )


@dataclass(frozen=True)
class Stakes:
    """What a sanction can take from a career, by rank and years of prospects left."""

    prospects: NDArray[np.float64]  # (ranks, years + 1): value of the promotion ahead
    bar: float  # share of it a promotion bar destroys: 1 - discount^sanction_years
    prize: float  # value of a rank (the promotion prize)
    retirement_age: int
    age_ceiling: int  # 0: none


def stakes_of(organisation: Organisation, population: Population, behaviour: Behaviour,
              regime: Regime) -> Stakes:
    """The career stakes of a sanction under ``regime``, from the organisation's own pyramid.

    Promotion hazards are those of the pyramid's steady state when cadres leave at the rate
    of a career from the mean entry age to retirement (``formulas.promotion_hazards``);
    prospects are valued with the cadre's discount (``formulas.prospects_value``).
    """
    org, pop, b = organisation, population, behaviour
    capacities = f.rank_capacities(org.n_cadres, org.n_ranks, org.pyramid_ratio)
    career_years = pop.retirement_age - 0.5 * (pop.entry_age_min + pop.entry_age_max)
    hazard = f.promotion_hazards(capacities, 1.0 / career_years)
    years = np.arange(pop.retirement_age + 1)
    prospects = f.prospects_value(hazard[:, None], b.future_discount, b.promotion_prize,
                                  years[None, :])
    bar = 1.0 - b.future_discount ** regime.accountability.sanction_years
    return Stakes(prospects=prospects, bar=float(bar), prize=b.promotion_prize,
                  retirement_age=pop.retirement_age, age_ceiling=regime.promotion.age_ceiling)


#: ``stakes_of``, computed once while the organisation, people and regime stay the same.
regime_stakes = once_per_regime(stakes_of)


def career_stakes(cadres: CadreArrays, stakes: Stakes, rung: NDArray[np.intp]
                  ) -> NDArray[np.float64]:
    """What the next sanction (on ``rung``) takes from each cadre's career (docs/ODD.md 7.1.5).

    Prospects run to retirement, or to the age ceiling where there is one.
    """
    age = cadres.age.astype(np.intp)
    years = np.clip(stakes.retirement_age - age, 0, stakes.retirement_age)
    if stakes.age_ceiling > 0:
        years = np.minimum(years, np.clip(stakes.age_ceiling - age, 0, None))
    prospects = stakes.prospects[cadres.rank, years]
    return f.career_stakes(rung, cadres.rank, prospects, stakes.bar, stakes.prize)


def sanction_costs(cadres: CadreArrays, config: ModelConfig, regime: Regime,
                   at_stakes: SanctionsAt | None = None) -> NDArray[np.float64]:
    """Each cadre's cost of its next sanction (docs/ODD.md 7.1.5), at the regime's stakes.

    ``at_stakes`` prices them (``sanctions_at``, or its compiled twin).
    """
    stakes = regime_stakes(config.organisation, config.population, config.behaviour, regime)
    return (at_stakes or sanctions_at)(cadres, stakes)


def sanctions_at(cadres: CadreArrays, stakes: Stakes) -> NDArray[np.float64]:
    """Each cadre's cost of its next sanction at ``stakes``.

    The rung's cost as the cadre perceives it, plus what the rung takes from its career (rank,
    prospects). The NumPy reference of ``simulation.kernels.decide.sanctions_at``.
    """
    c = cadres
    rung = f.next_rung(c.strikes)
    perceived = np.where(rung == f.WARNING, c.belief_warning_cost,
                         np.where(rung == f.DEMOTION, c.belief_demotion_cost,
                                  c.belief_removal_cost))
    return perceived + career_stakes(cadres, stakes, rung)


@dataclass(frozen=True)
class UtilityParts:
    """Each action's expected utility in its parts, action-major arrays (4, n)."""

    benefit: NDArray[np.float64]  # intrinsic value of real output + career value
    cost: NDArray[np.float64]  # effort cost
    sanction: NDArray[np.float64]  # risk-weighted perceived expected sanction
    gain: NDArray[np.float64]  # private gain of a disguised violation (bold, violation-prone)

    def total(self) -> NDArray[np.float64]:
        """Utility (n, 4): benefit - cost - sanction + gain (a view of a (4, n) array)."""
        return (self.benefit - self.cost - self.sanction + self.gain).T


def utility_parts(x: DecisionInputs, behaviour: Behaviour, regime: Regime) -> UtilityParts:
    """The parts of every action's expected utility for each cadre (docs/ODD.md 7.1).

    benefit = intrinsic value of real output (x motivation)
            + promotion prize x career weight x belief_promote x measured output / scale
    cost    = effort cost (higher for the less able and under burden)
    sanction= (1 + rho) x perceived P(sanction) x cost of the next rung
    gain    = violation gain, for the violation-prone on bold
    """
    b, ev, sup, ft = behaviour, regime.evaluation, regime.support, regime.fault_tolerance
    n = x.ability.shape[0]
    p_success = f.bold_success_probability(x.ability, b.bold_difficulty, b.bold_spread)

    # Expected real and measured output of each action; idle produces nothing.
    real = (0.0, b.output_formal, b.output_routine,
            p_success * (b.output_bold * (1.0 - sup.policy_volatility)))
    measured = (0.0, b.output_formal + f.formal_credit(b.formal_visibility * x.visibility,
                                                       ev.precision), *real[2:])
    career = b.promotion_prize * x.career * x.belief_promote / promotion_scale(b)
    intrinsic = b.intrinsic_value * x.motivation

    # Perceived chance of a sanction per action; `fear` scales the risks of acting honestly.
    # A violation is shielded as often as the cadre believes honest failure is tolerated, times
    # the review's written imprecision (its lists of tolerable faults).
    accuse = x.belief_accuse * x.fear
    safe_accuse = b.safe_work_accusation_ratio * accuse
    shield = f.shield_probability(1.0 - x.belief_punish, ft.precision)
    violation_risk = b.violation_exposure * (1.0 - shield)
    p_sanction = (
        x.belief_detect,
        x.belief_detect_formal + safe_accuse,
        b.routine_failure_rate * x.belief_punish_routine * x.fear + safe_accuse,
        (1.0 - p_success) * x.belief_punish * x.fear + accuse
        + np.where(x.violation_prone, violation_risk, 0.0),
    )
    felt = f.risk_weighted(x.sanction_cost, x.risk_aversion)

    effort = efforts(b)
    relief = b.care_cost_relief * sup.care
    benefit, cost, sanction = np.zeros((4, n)), np.zeros((4, n)), np.empty((4, n))
    gain = np.zeros((4, n))
    for k in range(4):
        sanction[k] = felt * p_sanction[k]
        if k == f.IDLE:
            continue
        benefit[k] = intrinsic * real[k] + career * measured[k]
        cost[k] = f.effort_cost(
            effort[k], x.ability, b.effort_cost, b.ability_cost_slope, sup.burden, relief
        )
    gain[f.BOLD] = np.where(x.violation_prone, b.violation_gain, 0.0)
    return UtilityParts(benefit=benefit, cost=cost, sanction=sanction, gain=gain)


def effort_costs(ability: NDArray[np.float64], action: NDArray[np.int8], behaviour: Behaviour,
                 regime: Regime) -> NDArray[np.float64]:
    """The effort cost each cadre bears for the action it chose (the utility's cost term)."""
    b, sup = behaviour, regime.support
    return f.effort_cost(efforts(b)[action], ability, b.effort_cost, b.ability_cost_slope,
                         sup.burden, b.care_cost_relief * sup.care)


def utilities(x: DecisionInputs, behaviour: Behaviour, regime: Regime) -> NDArray[np.float64]:
    """Expected utility (n, 4) of idle, formal, routine, bold for each cadre."""
    return utility_parts(x, behaviour, regime).total()


def choose(
    x: DecisionInputs, config: ModelConfig, regime: Regime, taste: NDArray[np.float64]
) -> NDArray[np.int8]:
    """Each cadre's action: the best after its taste draws ``taste`` (n, 4), a logit choice."""
    b = config.behaviour
    return f.taste_choice(utilities(x, b, regime), taste, b.temperature)


def decide(
    x: DecisionInputs, config: ModelConfig, regime: Regime, taste: NDArray[np.float64],
    account: bool = True,
) -> tuple[NDArray[np.int8], Inaction]:
    """Phase 1: each cadre's action and this year's inaction (``choose``, ``account_inaction``).

    The NumPy reference; ``simulation.kernels.decide.decide`` gives the same results bit for
    bit, and the phase table (``simulation.phases``) chooses which one a step runs. Without
    ``account`` no counterfactual is asked: the inaction is ``records.unaccounted`` (the
    actions, which alone feed the rest of the step, are the same).
    """
    action = choose(x, config, regime, taste)
    if not account:
        return action, unaccounted(forms(action, np.zeros(action.shape, dtype=np.bool_)))
    return action, account_inaction(x, action, taste, config, regime)


# --------------------------------------------------------------------------------------------
# Inaction: its form, its causes (counterfactuals) and the reason each cadre gives
# --------------------------------------------------------------------------------------------


def counterfactual(x: DecisionInputs, coalition: int, refs: References) -> DecisionInputs:
    """Inputs with the changes in ``coalition`` applied (bits RAISE_MOTIVATION, ...).

    Lifting 'unwilling' raises motivation to ``refs.motivated`` and restores the reward of
    effort: a full career weight and a belief in promotion for performance of at least
    ``refs.rewarded`` (the texts' unwilling cadre lacks drive *or* payoff: docs/ODD.md 8.2).
    """
    changes: dict = {}
    if coalition & RAISE_MOTIVATION:
        changes["motivation"] = np.maximum(x.motivation, refs.motivated)
        changes["career"] = np.maximum(x.career, 1.0)
        changes["belief_promote"] = np.maximum(x.belief_promote, refs.rewarded)
    if coalition & RAISE_ABILITY:
        changes["ability"] = np.maximum(x.ability, refs.able)
    if coalition & REMOVE_FEAR:
        changes["fear"] = 0.0
    return x.with_(**changes)


def holding_back(acts: NDArray[np.int8], violation_prone: NDArray[np.bool_]
                 ) -> NDArray[np.bool_]:
    """Whether each cadre is inactive with each coalition's causes lifted: (8, m) from acts.

    ``acts`` (8, m) is each cadre's action under every coalition of changes. Under coalition
    ``S`` a cadre is inactive if it lies flat or does formal work, or if it does routine work
    and would take on the hard task (bold work) were some further cause lifted: under a
    coalition that strictly contains ``S``. With all three lifted nothing is left to lift, so
    routine work is then the cadre's own, content choice. A violation-prone cadre's 'bold'
    work is a violation, so its routine work is never avoidance.
    """
    bold = acts == f.BOLD
    inactive = (acts == f.IDLE) | (acts == f.FORMAL)
    for coalition in range(7):
        above = np.zeros(acts.shape[1], dtype=np.bool_)
        for larger in range(coalition + 1, 8):
            if larger & coalition == coalition:
                above |= bold[larger]
        inactive[coalition] |= (acts[coalition] == f.ROUTINE) & above & ~violation_prone
    return inactive


def forms(action: NDArray[np.int8], avoiding: NDArray[np.bool_]) -> NDArray[np.int8]:
    """Form of inaction per cadre: LYING_FLAT, FORMALISM, AVOIDANCE or ACTIVE."""
    form = np.full(action.shape, ACTIVE, dtype=np.int8)
    form[action == f.IDLE] = LYING_FLAT
    form[action == f.FORMAL] = FORMALISM
    form[avoiding] = AVOIDANCE
    return form


def account_inaction(
    x: DecisionInputs,
    action: NDArray[np.int8],
    taste: NDArray[np.float64],
    config: ModelConfig,
    regime: Regime,
) -> Inaction:
    """Classify this year's choices: forms, identified causes and self-reported reasons.

    Every cadre that does not take on the hard task is asked what it would do, with the same
    taste draws, under each of the seven coalitions of lifted causes (docs/ODD.md 8.1-8.2).
    """
    b = config.behaviour
    refs = regime_references(b, regime)

    def act(inputs: DecisionInputs, who: NDArray[np.intp]) -> NDArray[np.int8]:
        return f.taste_choice(utilities(inputs, b, regime), taste[who], b.temperature)

    asked = np.flatnonzero(action != f.BOLD)
    xa = x.subset(asked)
    acts = np.empty((8, asked.size), dtype=np.int8)
    acts[0] = action[asked]
    for coalition in range(1, 8):
        acts[coalition] = act(counterfactual(xa, coalition, refs), asked)
    inactive = holding_back(acts, xa.violation_prone)
    routine = acts[0] == f.ROUTINE
    avoiding = np.zeros(action.shape, dtype=np.bool_)
    avoiding[asked] = routine & inactive[0]
    form = forms(action, avoiding)
    fear_only = int(np.count_nonzero(routine & (acts[REMOVE_FEAR] == f.BOLD)
                                      & ~xa.violation_prone))

    held = np.flatnonzero(inactive[0])
    if held.size == 0:
        return Inaction(form=form, causes=np.zeros(3), reasons=np.zeros(3), fear_only=fear_only)
    shares = cause_shares(inactive[:, held])
    who = asked[held]
    reasons = main_reasons(x.subset(who), action[who], form[who] == AVOIDANCE, refs.able, b,
                           regime)
    return Inaction(
        form=form,
        causes=shares.sum(axis=0),
        reasons=np.bincount(reasons, minlength=3).astype(np.float64),
        fear_only=fear_only,
        named=named_causes(shares),
    )


def cause_shares(inactive: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Each inactive cadre's split (m, 3) over CAUSES; every row sums to exactly 1.

    ``inactive`` (8, m) says whether the cadre is inactive under each coalition of changes
    (column 0, no change, is all True). The Shapley values of the three changes share out what
    changing all three removes; inaction that survives all three (lying flat or formal work
    even when motivated, rewarded, able and unafraid: the cadre's taste) is its own choice and
    counts as unwilling.
    """
    gain = (~inactive).T.astype(np.float64)
    shares = f.shapley_three(gain)
    shares[:, 0] += inactive[7]
    return shares


def main_reasons(
    x: DecisionInputs,
    action: NDArray[np.int8],
    avoiding: NDArray[np.bool_],
    able: float,
    behaviour: Behaviour,
    regime: Regime,
) -> NDArray[np.intp]:
    """The main reason (index into CAUSES) each inactive cadre gives for not acting.

    Read from the cadre's own utility: the action it did not take (bold for an avoider, else
    the better of routine and bold) is worse than its choice by D = sanction + cost - benefit
    differences, which splits exactly into
      afraid:    the extra sanction it fears,
      unable:    what its lack of ability adds (effort cost and expected failure, against
                 itself at the reference level ``able``; 0 for a cadre already that able),
      unwilling: what is left, the missing benefit (net cost once able enough).
    The main reason is the largest part.
    """
    own = utility_parts(x, behaviour, regime)
    full = utility_parts(x.with_(ability=np.maximum(x.ability, able)), behaviour, regime)
    u = own.total()
    alternative = np.where(u[:, f.BOLD] >= u[:, f.ROUTINE], f.BOLD, f.ROUTINE)
    alternative = np.where(avoiding, f.BOLD, alternative)
    cols = np.arange(action.size)

    def gap(part: NDArray[np.float64]) -> NDArray[np.float64]:
        """The alternative's value of a part minus the chosen action's."""
        return part[alternative, cols] - part[action, cols]

    afraid = gap(own.sanction)
    unable = gap(own.cost) - gap(full.cost) + gap(full.benefit) - gap(own.benefit)
    unwilling = gap(full.cost) - gap(full.benefit) - gap(own.gain)
    return np.argmax(np.stack([unwilling, unable, afraid], axis=1), axis=1)
