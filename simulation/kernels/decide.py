"""Phase 1 (decide) compiled: choices, inaction's forms, causes and reasons in one pass.

The same computation as ``decision.choose`` followed by ``decision.account_inaction``, bit for
bit: one loop over cadres does each cadre's utilities, its choice, the seven counterfactual
coalitions of lifted causes (for a cadre that did not take on the hard task), the Shapley split
and the main reason, the sums of the causes and the survey's answers, where the NumPy path makes
some 650 array calls. Every floating-point expression is written in the order the NumPy code
evaluates it (the causes are summed over cadres in the order of NumPy's ``sum(axis=0)`` of the
(m, 3) shares: row after row); tests/test_kernels_decide.py pins the pieces to
``decision.utility_parts``, ``decision.counterfactual``, ``formulas.taste_choice`` and
``formulas.shapley_three``, and the whole to the NumPy path.

One thing stays in NumPy so that the results stay identical: the bold success probability
(``formulas.bold_success_probability``, an ``exp``) at each cadre's own ability and at that
ability raised to 'able enough', computed in bulk: Numba's libm ``exp`` differs from NumPy's
SIMD ``exp`` in the last bit for a few inputs in a hundred.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from simulation import formulas as f
from simulation.cadres import CadreArrays
from simulation.config import Behaviour, ModelConfig, Regime
from simulation.kernels.jit import kernel, plain
from simulation.per_regime import once_per_regime
from simulation.records import (
    ACTIVE,
    AVOIDANCE,
    FORMALISM,
    LYING_FLAT,
    NAMED_SHARE,
    RAISE_ABILITY,
    RAISE_MOTIVATION,
    REMOVE_FEAR,
    DecisionInputs,
    Inaction,
    unaccounted,
)
from simulation.tasks import efforts, promotion_scale, reference_levels

IDLE, FORMAL, ROUTINE, BOLD = f.IDLE, f.FORMAL, f.ROUTINE, f.BOLD
#: Rows of a cadre's utility parts (4, 4): the fields of ``decision.UtilityParts``, in order.
BENEFIT, COST, SANCTION, GAIN = range(4)
#: Slots of the main reason's three parts, in ``decision.CAUSES`` order.
UNWILLING, UNABLE, AFRAID = range(3)
#: Shapley weight of a marginal gain by the size of the coalition it joins (three factors).
SHAPLEY_WEIGHTS = (1.0 / 3.0, 1.0 / 6.0, 1.0 / 3.0)


class Terms(NamedTuple):
    """The scalars of the utility, from the config and the regime in force.

    Each is computed as ``decision.utility_parts`` computes it, so that the kernel's arithmetic
    on them rounds the same way.
    """

    temperature: float
    intrinsic_value: float
    output_formal: float
    output_routine: float
    bold_output: float  # output of a successful bold task after policy volatility
    formal_visibility: float
    hollow_credit: float  # 1 - evaluation precision: the share of hollow work credited
    promotion_prize: float
    promotion_scale: float
    safe_work_accusation_ratio: float
    routine_failure_rate: float
    violation_exposure: float
    review_imprecision: float  # 1 - fault-tolerance precision: shielding per toleration
    violation_gain: float
    cost_formal: float  # effort cost of each action for a fully able cadre
    cost_routine: float
    cost_bold: float
    ability_cost_slope: float
    motivated: float  # the reference levels of the cause split
    able: float
    rewarded: float


class Inputs(NamedTuple):
    """The ``DecisionInputs`` arrays, with the bold success probabilities NumPy computed."""

    motivation: NDArray[np.float64]
    ability: NDArray[np.float64]
    p_own: NDArray[np.float64]  # bold success probability at the cadre's ability
    p_able: NDArray[np.float64]  # ... at its ability raised to 'able enough'
    risk_aversion: NDArray[np.float64]
    violation_prone: NDArray[np.bool_]
    visibility: NDArray[np.float64]
    career: NDArray[np.float64]
    belief_punish: NDArray[np.float64]
    belief_detect: NDArray[np.float64]
    belief_promote: NDArray[np.float64]
    belief_accuse: NDArray[np.float64]
    belief_detect_formal: NDArray[np.float64]
    belief_punish_routine: NDArray[np.float64]
    sanction_cost: NDArray[np.float64]
    fear: float


class Standing(NamedTuple):
    """What a cadre's career weight reads: its place, clocks, sanctions and ability."""

    rank: NDArray[np.int8]
    years_in_rank: NDArray[np.int16]
    fast_track: NDArray[np.bool_]
    age: NDArray[np.int16]
    sanction_years: NDArray[np.int16]
    probation_years: NDArray[np.int8]
    ability: NDArray[np.float64]


class Eligibility(NamedTuple):
    """The promotion rules that set career weights, with NumPy's weight of each shortfall."""

    by_shortfall: NDArray[np.float64]  # [k]: an eligible cadre's weight k years short of tenure
    top_rank: int
    age_ceiling: int
    self_recommendation: float
    self_recommendation_ability: float


def terms(behaviour: Behaviour, regime: Regime) -> Terms:
    """The utility's scalars for ``behaviour`` under ``regime``."""
    b, ev, sup, ft = behaviour, regime.evaluation, regime.support, regime.fault_tolerance
    # At ability 1 effort_cost is scale * effort**2 * (1 + slope * 0): exactly the product it
    # forms first, which the kernel then multiplies by 1 + slope * (1 - ability).
    full_ability = f.effort_cost(efforts(b), 1.0, b.effort_cost, b.ability_cost_slope,
                                 sup.burden, b.care_cost_relief * sup.care)
    refs = reference_levels(b, regime)
    return Terms(
        temperature=float(b.temperature),
        intrinsic_value=b.intrinsic_value,
        output_formal=b.output_formal,
        output_routine=b.output_routine,
        bold_output=b.output_bold * (1.0 - sup.policy_volatility),
        formal_visibility=b.formal_visibility,
        hollow_credit=f.formal_credit(1.0, ev.precision),
        promotion_prize=b.promotion_prize,
        promotion_scale=promotion_scale(b),
        safe_work_accusation_ratio=b.safe_work_accusation_ratio,
        routine_failure_rate=b.routine_failure_rate,
        violation_exposure=b.violation_exposure,
        review_imprecision=1.0 - ft.precision,
        violation_gain=b.violation_gain,
        cost_formal=float(full_ability[FORMAL]),
        cost_routine=float(full_ability[ROUTINE]),
        cost_bold=float(full_ability[BOLD]),
        ability_cost_slope=b.ability_cost_slope,
        motivated=refs.motivated,
        able=refs.able,
        rewarded=refs.rewarded,
    )


#: ``terms``, computed once while the behaviour and the regime stay the same.
regime_terms = once_per_regime(terms)


def inputs(x: DecisionInputs, behaviour: Behaviour, able: float) -> Inputs:
    """The kernel's inputs: ``x``'s arrays and the bold success probabilities (NumPy's exp)."""
    b = behaviour
    # One bulk call for both abilities: NumPy's exp gives each element the same bits wherever
    # it sits in an array.
    p_own, p_able = f.bold_success_probability(
        np.stack((x.ability, np.maximum(x.ability, able))), b.bold_difficulty, b.bold_spread
    )
    return Inputs(
        motivation=x.motivation,
        ability=x.ability,
        p_own=p_own,
        p_able=p_able,
        risk_aversion=x.risk_aversion,
        violation_prone=x.violation_prone,
        visibility=x.visibility,
        career=x.career,
        belief_punish=x.belief_punish,
        belief_detect=x.belief_detect,
        belief_promote=x.belief_promote,
        belief_accuse=x.belief_accuse,
        belief_detect_formal=x.belief_detect_formal,
        belief_punish_routine=x.belief_punish_routine,
        sanction_cost=x.sanction_cost,
        fear=float(x.fear),
    )


def decide(
    x: DecisionInputs, config: ModelConfig, regime: Regime, taste: NDArray[np.float64],
    account: bool = True,
) -> tuple[NDArray[np.int8], Inaction]:
    """Each cadre's action and the year's inaction, as ``choose`` then ``account_inaction``.

    Without ``account`` the inaction is left unaccounted, as ``decision.decide`` leaves it.
    """
    t = regime_terms(config.behaviour, regime)
    action, form, causes, named, reasons, fear_only, over_reward, held = decide_cadres(
        plain(inputs(x, config.behaviour, t.able)), taste, plain(t), account)
    counts = form_counts(form)
    if not account:
        return action, unaccounted(form, counts)
    n = action.size
    answers = {"effort_over_reward": over_reward / n, "held_back_by_fear": held / n}
    return action, Inaction(form=form, causes=causes, reasons=reasons, fear_only=fear_only,
                            named=named, answers=answers, form_counts=counts)


def career_weights(cadres: CadreArrays, config: ModelConfig, regime: Regime) -> NDArray:
    """``decision.career_weights``, compiled; NumPy's pow gives the weight of each shortfall."""
    promo = regime.promotion
    # The weight of an eligible cadre short of tenure by 0, 1, ... min_tenure years.
    by_shortfall = f.career_weight(np.arange(promo.min_tenure + 1),
                                   config.behaviour.future_discount, True)
    standing = Standing(
        rank=cadres.rank, years_in_rank=cadres.years_in_rank, fast_track=cadres.fast_track,
        age=cadres.age, sanction_years=cadres.sanction_years,
        probation_years=cadres.probation_years, ability=cadres.ability,
    )
    rules = Eligibility(
        by_shortfall=by_shortfall, top_rank=config.organisation.n_ranks - 1,
        age_ceiling=promo.age_ceiling, self_recommendation=float(promo.self_recommendation),
        self_recommendation_ability=float(promo.self_recommendation_ability),
    )
    return career_weights_of(plain(standing), plain(rules))


# --------------------------------------------------------------------------------------------
# The kernel and its pieces, one cadre at a time
# --------------------------------------------------------------------------------------------


@kernel
def maximum(a: float, b: float) -> float:
    """``np.maximum`` of two floats (a NaN wins)."""
    return a if (a >= b or a != a) else b


@kernel
def first_argmax(values: NDArray[np.float64], length: int) -> int:
    """``np.argmax`` of ``values[:length]``: the first largest value's index, or first NaN's."""
    best = values[0]
    index = 0
    for k in range(1, length):
        value = values[k]
        if best == best and not value <= best:  # larger, or a NaN (kept: best is then NaN)
            best = value
            index = k
    return index


@kernel
def cadre_parts(parts: NDArray[np.float64], coalition: int, i: int, x: Inputs, t: Terms
                ) -> None:
    """Cadre ``i``'s ``decision.utility_parts`` under ``coalition`` into ``parts[coalition]``.

    ``parts`` is (8 coalitions, 4 parts, 4 actions); the coalition's changes (bits
    RAISE_MOTIVATION, RAISE_ABILITY, REMOVE_FEAR) are made as ``decision.counterfactual`` makes
    them.
    """
    c = coalition
    raised = coalition & RAISE_ABILITY
    motivation = x.motivation[i]
    career_weight = x.career[i]
    belief_promote = x.belief_promote[i]
    if coalition & RAISE_MOTIVATION:
        motivation = maximum(motivation, t.motivated)
        career_weight = maximum(career_weight, 1.0)
        belief_promote = maximum(belief_promote, t.rewarded)
    ability = maximum(x.ability[i], t.able) if raised else x.ability[i]
    p_success = x.p_able[i] if raised else x.p_own[i]
    fear = 0.0 if coalition & REMOVE_FEAR else x.fear
    violation_prone = x.violation_prone[i]

    intrinsic = t.intrinsic_value * motivation
    career = t.promotion_prize * career_weight * belief_promote / t.promotion_scale
    real_bold = p_success * t.bold_output
    measured_formal = t.output_formal + t.formal_visibility * x.visibility[i] * t.hollow_credit
    parts[c, BENEFIT, IDLE] = 0.0
    parts[c, BENEFIT, FORMAL] = intrinsic * t.output_formal + career * measured_formal
    parts[c, BENEFIT, ROUTINE] = intrinsic * t.output_routine + career * t.output_routine
    parts[c, BENEFIT, BOLD] = intrinsic * real_bold + career * real_bold

    handicap = 1.0 + t.ability_cost_slope * (1.0 - ability)
    parts[c, COST, IDLE] = 0.0
    parts[c, COST, FORMAL] = t.cost_formal * handicap
    parts[c, COST, ROUTINE] = t.cost_routine * handicap
    parts[c, COST, BOLD] = t.cost_bold * handicap

    # Perceived chance of a sanction per action, times the sanction as felt.
    felt = (1.0 + x.risk_aversion[i]) * x.sanction_cost[i]
    punish = x.belief_punish[i]
    accuse = x.belief_accuse[i] * fear
    safe_accuse = t.safe_work_accusation_ratio * accuse
    shield = (1.0 - punish) * t.review_imprecision
    violation = t.violation_exposure * (1.0 - shield) if violation_prone else 0.0
    parts[c, SANCTION, IDLE] = felt * x.belief_detect[i]
    parts[c, SANCTION, FORMAL] = felt * (x.belief_detect_formal[i] + safe_accuse)
    parts[c, SANCTION, ROUTINE] = felt * (t.routine_failure_rate * x.belief_punish_routine[i]
                                          * fear + safe_accuse)
    parts[c, SANCTION, BOLD] = felt * ((1.0 - p_success) * punish * fear + accuse
                                       + violation)

    parts[c, GAIN, IDLE] = 0.0
    parts[c, GAIN, FORMAL] = 0.0
    parts[c, GAIN, ROUTINE] = 0.0
    parts[c, GAIN, BOLD] = t.violation_gain if violation_prone else 0.0


@kernel
def total(parts: NDArray[np.float64], coalition: int, action: int) -> float:
    """Utility of ``action`` under ``coalition``: benefit - cost - sanction + gain."""
    c = coalition
    return (parts[c, BENEFIT, action] - parts[c, COST, action] - parts[c, SANCTION, action]
            + parts[c, GAIN, action])


@kernel
def taste_choice(parts: NDArray[np.float64], coalition: int, taste: NDArray[np.float64], i: int,
                 temperature: float, scored: NDArray[np.float64]) -> int:
    """Cadre ``i``'s ``formulas.taste_choice`` under ``coalition``, with its taste row.

    ``scored`` is scratch space for 4 values.
    """
    if temperature <= 0.0:
        best = total(parts, coalition, 0)
        for k in range(1, 4):
            u = total(parts, coalition, k)
            if u > best or u != u:  # np.max: the largest, or NaN if any
                best = u
        for k in range(4):
            scored[k] = taste[i, k] if total(parts, coalition, k) == best else -np.inf
    else:
        for k in range(4):
            scored[k] = total(parts, coalition, k) + temperature * taste[i, k]
    return first_argmax(scored, 4)


@kernel
def holding_back(acts: NDArray[np.int8], coalition: int, violation_prone: bool) -> bool:
    """Whether ``decision.holding_back`` calls the cadre inactive under ``coalition``."""
    chosen = acts[coalition]
    if chosen in (IDLE, FORMAL):
        return True
    if chosen != ROUTINE or violation_prone:
        return False
    for larger in range(coalition + 1, 8):
        if (larger & coalition) == coalition and acts[larger] == BOLD:
            return True
    return False


@kernel
def shapley_three(gain: NDArray[np.float64], out: NDArray[np.float64], row: int) -> None:
    """One row of ``formulas.shapley_three``: ``gain`` (8,) by coalition into ``out[row]``."""
    for j in range(3):
        bit = 1 << j
        value = 0.0
        for s in range(8):
            if s & bit:
                continue
            size = (s & 1) + ((s >> 1) & 1) + ((s >> 2) & 1)
            value += SHAPLEY_WEIGHTS[size] * (gain[s | bit] - gain[s])
        out[row, j] = value


@kernel
def add_shares(causes: NDArray[np.float64], named: NDArray[np.float64],
               row: NDArray[np.float64], m: int) -> None:
    """Add an inactive cadre's cause shares ``row[0]`` to the year's causes and named causes.

    ``m`` cadres were added before. The causes are summed as NumPy sums an (m, 3) array over
    its rows (``sum(axis=0)``): the first row as it is, then each next row in turn, so the sums
    are the NumPy path's bit for bit; a cause is named as ``records.named_causes`` names it.
    """
    for j in range(3):
        share = row[0, j]
        causes[j] = share if m == 0 else causes[j] + share
        if share >= NAMED_SHARE:
            named[j] += 1.0


@kernel
def gap(parts: NDArray[np.float64], coalition: int, part: int, alternative: int, action: int
        ) -> float:
    """The alternative's value of a utility part minus the chosen action's."""
    return parts[coalition, part, alternative] - parts[coalition, part, action]


@kernel
def main_reason(parts: NDArray[np.float64], action: int, avoiding: bool,
                scratch: NDArray[np.float64]) -> int:
    """One cadre's ``decision.main_reasons``, from its utility parts under coalitions 0 and 2.

    Coalition 0 is the cadre as it is, RAISE_ABILITY the cadre once able enough. ``scratch`` is
    space for at least 3 values.
    """
    own, full = 0, RAISE_ABILITY
    alternative = BOLD if total(parts, own, BOLD) >= total(parts, own, ROUTINE) else ROUTINE
    if avoiding:
        alternative = BOLD
    scratch[UNWILLING] = (gap(parts, full, COST, alternative, action)
                          - gap(parts, full, BENEFIT, alternative, action)
                          - gap(parts, own, GAIN, alternative, action))
    scratch[UNABLE] = (gap(parts, own, COST, alternative, action)
                       - gap(parts, full, COST, alternative, action)
                       + gap(parts, full, BENEFIT, alternative, action)
                       - gap(parts, own, BENEFIT, alternative, action))
    scratch[AFRAID] = gap(parts, own, SANCTION, alternative, action)
    return first_argmax(scratch, 3)


@kernel
def idle_lifts(i: int, x: Inputs, t: Terms, fearless: int) -> int:
    """The lifts that change none of cadre ``i``'s inputs (bits RAISE_MOTIVATION, ...).

    Under a coalition that differs from another only in such lifts the cadre's inputs, and so
    its choice, are those of the other: its choice is copied, not recomputed (the same bits).
    Lifting 'unwilling' is idle only when all three of its parts are (motivation, career
    weight and belief in promotion already at or above their levels); lifting 'unable' when
    ability is (the bold success probability is then NumPy's exp of the same number); lifting
    'afraid' when ``fearless`` says so for everyone (``fearless_bit``).
    """
    # Bitwise, not short-circuit: branches on cadres' values mispredict, and cost more than
    # the comparisons they would save.
    willing = ((x.motivation[i] >= t.motivated) & (x.career[i] >= 1.0)
               & (x.belief_promote[i] >= t.rewarded))
    able = x.ability[i] >= t.able
    return fearless | (RAISE_MOTIVATION if willing else 0) | (RAISE_ABILITY if able else 0)


@kernel
def fearless_bit(x: Inputs) -> int:
    """REMOVE_FEAR if lifting 'afraid' changes no cadre's inputs (fear is 0 already), else 0.

    Every fear-scaled risk is then zero for everyone (a zero's sign changes no comparison, and
    the reason reads no coalition without fear). A cadre whose fear-scaled risks are zero at
    fear above 0 (its beliefs in false accusation and punished failure 0, no routine risk)
    would qualify too; learnt beliefs are never exactly 0, and checking them per cadre slowed
    the kernel by a quarter, so such cadres are computed, not copied.
    """
    return REMOVE_FEAR if x.fear == 0.0 else 0


@kernel
def able_as_is(parts: NDArray[np.float64], idle: int) -> None:
    """For a cadre able enough already, its own parts as those once able (the reason reads them)."""
    if idle & RAISE_ABILITY:
        for part in range(4):
            for k in range(4):
                parts[RAISE_ABILITY, part, k] = parts[0, part, k]


@kernel
def unmotivated_benefit(i: int, x: Inputs, t: Terms, action: int) -> float:
    """Cadre ``i``'s benefit of ``action`` with no intrinsic motivation, as ``cadre_parts``.

    The reward ``survey.effort_exceeds_reward`` weighs the effort cost against: what promotion
    and recognition pay for the work's measured output (motivation set to 0, then the same
    arithmetic as coalition 0).
    """
    intrinsic = t.intrinsic_value * 0.0
    career = t.promotion_prize * x.career[i] * x.belief_promote[i] / t.promotion_scale
    if action == FORMAL:
        measured = t.output_formal + t.formal_visibility * x.visibility[i] * t.hollow_credit
        return intrinsic * t.output_formal + career * measured
    if action == ROUTINE:
        return intrinsic * t.output_routine + career * t.output_routine
    if action == BOLD:
        real_bold = x.p_own[i] * t.bold_output
        return intrinsic * real_bold + career * real_bold
    return 0.0


@kernel
def form_counts(form: NDArray[np.int8]) -> NDArray[np.int64]:
    """Cadres in each form (LYING_FLAT, FORMALISM, AVOIDANCE), as ``Inaction.counts``."""
    counts = np.zeros(3, dtype=np.int64)
    for i in range(form.shape[0]):
        if form[i] >= 0:
            counts[form[i]] += 1
    return counts


@kernel
def plain_form(chosen: int) -> int:
    """The form an action shows by itself: LYING_FLAT, FORMALISM, else ACTIVE."""
    return LYING_FLAT if chosen == IDLE else FORMALISM if chosen == FORMAL else ACTIVE


@kernel
def fearless_choice(parts: NDArray[np.float64], i: int, x: Inputs, t: Terms,
                    taste: NDArray[np.float64], scratch: NDArray[np.float64], fearless: int,
                    chosen: int) -> int:
    """Cadre ``i``'s choice without the sanction risk of acting (its own if fear is 0)."""
    if fearless:
        return chosen
    cadre_parts(parts, REMOVE_FEAR, i, x, t)
    return taste_choice(parts, REMOVE_FEAR, taste, i, t.temperature, scratch)


@kernel
def decide_cadres(x, taste, t, account=True):  # pragma: no cover - compiled
    """``decide_each`` of the ``Inputs`` and ``Terms`` as plain tuples (``jit.plain``)."""
    return decide_each(Inputs(*x), taste, Terms(*t), account)


@kernel
def decide_each(
    x: Inputs, taste: NDArray[np.float64], t: Terms, account: bool = True
) -> tuple[NDArray[np.int8], NDArray[np.int8], NDArray[np.float64], NDArray[np.float64],
           NDArray[np.float64], int, int, int]:
    """One year's choices and inaction, every cadre in one loop.

    Returns actions (n,), forms (n,), the inactive cadres' causes (3,: their cause shares
    summed), how many name each cause (3,), reason counts (3,), the number of routine workers
    held back by fear alone, and the survey's two counts (``survey.survey_answers``): cadres
    whose effort exceeds their reward, and cadres held back by fear. ``x`` is an ``Inputs``,
    ``taste`` the Gumbel draws (n, 4), ``t`` the ``Terms``. Without ``account`` no cadre is
    asked about counterfactuals or the survey: the actions are the same, forms mark only lying
    flat and formal work, and no causes, reasons, fear-only or survey counts are made.
    """
    n = x.ability.shape[0]
    action = np.empty(n, dtype=np.int8)
    form = np.empty(n, dtype=np.int8)
    causes = np.zeros(3)
    named = np.zeros(3)
    row = np.empty((1, 3))  # the cause shares of one inactive cadre
    reasons = np.zeros(3)
    parts = np.empty((8, 4, 4))  # the cadre's utility parts under each coalition of changes
    acts = np.empty(8, dtype=np.int8)
    gain = np.empty(8)
    scratch = np.empty(4)
    m = 0
    fear_only = 0
    over_reward = 0
    held_by_fear = 0
    fearless = fearless_bit(x)
    for i in range(n):
        vp = x.violation_prone[i]
        cadre_parts(parts, 0, i, x, t)
        chosen = taste_choice(parts, 0, taste, i, t.temperature, scratch)
        acts[0] = chosen
        action[i] = chosen
        form[i] = plain_form(chosen)  # lying flat, formal work, or else active (so far)
        if not account:
            continue  # no counterfactual asked: no avoidance
        over_reward += parts[0, COST, chosen] > unmotivated_benefit(i, x, t, chosen)
        if chosen == BOLD:
            continue  # took on the hard task: no more effort to be held back from
        if chosen == ROUTINE and vp:
            # Its 'bold' work would be a violation: never avoidance. The survey still asks
            # what it would do without the sanction risk.
            held_by_fear += fearless_choice(parts, i, x, t, taste, scratch, fearless,
                                            chosen) > chosen
            continue
        idle = idle_lifts(i, x, t, fearless)
        for coalition in range(1, 8):
            same = coalition & ~idle  # the coalition whose inputs this one's equal
            if same != coalition:
                acts[coalition] = acts[same]  # computed already: same < coalition
                continue
            cadre_parts(parts, coalition, i, x, t)
            acts[coalition] = taste_choice(parts, coalition, taste, i, t.temperature, scratch)
        held_by_fear += acts[REMOVE_FEAR] > chosen
        fear_only += chosen == ROUTINE and acts[REMOVE_FEAR] == BOLD
        if not holding_back(acts, 0, vp):
            continue  # routine work that no lifted cause would turn bold: active
        avoiding = chosen == ROUTINE
        if avoiding:
            form[i] = AVOIDANCE
        for coalition in range(8):
            gain[coalition] = 0.0 if holding_back(acts, coalition, vp) else 1.0
        shapley_three(gain, row, 0)
        row[0, 0] += 1.0 - gain[7]  # inaction no change removes is the cadre's own choice
        add_shares(causes, named, row, m)
        able_as_is(parts, idle)
        reasons[main_reason(parts, chosen, avoiding, scratch)] += 1.0
        m += 1
    return action, form, causes, named, reasons, fear_only, over_reward, held_by_fear


# --------------------------------------------------------------------------------------------
# Career weights and sanction costs, decision inputs
# --------------------------------------------------------------------------------------------


def effort_costs(ability: NDArray[np.float64], action: NDArray[np.int8], behaviour: Behaviour,
                 regime: Regime) -> NDArray[np.float64]:
    """``decision.effort_costs``, compiled: the effort cost of each cadre's chosen action.

    The utility's cost term, as ``cadre_parts`` forms it (the same numbers as NumPy's).
    """
    t = regime_terms(behaviour, regime)
    costs = np.array([0.0, t.cost_formal, t.cost_routine, t.cost_bold])
    return chosen_costs(ability, action, costs, t.ability_cost_slope)


@kernel
def chosen_costs(ability, action, costs, slope):  # pragma: no cover - compiled
    """Per cadre, its action's cost at full ability times its handicap (``cadre_parts``)."""
    out = np.empty(ability.size)
    for i in range(ability.size):
        out[i] = costs[action[i]] * (1.0 + slope * (1.0 - ability[i]))
    return out


def sanctions_at(cadres: CadreArrays, stakes) -> NDArray[np.float64]:
    """``decision.sanctions_at``, compiled: each cadre's cost of its next sanction.

    ``stakes`` is the regime's ``decision.Stakes``.
    """
    c = cadres
    return sanction_costs_of(
        c.strikes, c.belief_warning_cost, c.belief_demotion_cost, c.belief_removal_cost,
        c.age, c.rank, stakes.prospects, float(stakes.bar), float(stakes.prize),
        int(stakes.retirement_age), int(stakes.age_ceiling))


@kernel
def sanction_costs_of(strikes, warning_cost, demotion_cost, removal_cost, age, rank, prospects,
                      bar, prize, retirement_age, age_ceiling):  # pragma: no cover - compiled
    """Per cadre, the arithmetic of ``decision.sanctions_at``, in the same order of operations.

    The rung's perceived cost plus what it takes from the career (``formulas.career_stakes``).
    """
    n = strikes.shape[0]
    cost = np.empty(n)
    for i in range(n):
        rung = min(np.intp(strikes[i]), len(f.RUNGS) - 1)
        years = min(max(retirement_age - np.intp(age[i]), 0), retirement_age)
        if age_ceiling > 0:
            years = min(years, max(age_ceiling - np.intp(age[i]), 0))
        ahead = prospects[rank[i], years]
        if rung == f.WARNING:
            cost[i] = warning_cost[i] + bar * ahead
        elif rung == f.DEMOTION:
            cost[i] = demotion_cost[i] + (bar * ahead + prize * (1.0 if rank[i] >= 1 else 0.0))
        else:
            cost[i] = removal_cost[i] + (prize * np.float64(rank[i]) + ahead)
    return cost


@kernel
def career_weights_of(c, rules):  # pragma: no cover - compiled
    """``weigh_careers`` of the ``Standing`` and ``Eligibility`` as plain tuples."""
    return weigh_careers(Standing(*c), Eligibility(*rules))


@kernel
def weigh_careers(c: Standing, rules: Eligibility) -> NDArray[np.float64]:
    """Each cadre's weight of the promotion prize, as ``decision.career_weights`` gives it.

    ``rules.by_shortfall[k]`` is the weight of an eligible cadre k years short of the minimum
    tenure (``len(by_shortfall) - 1``).
    """
    rank, years_in_rank, fast_track, age = c.rank, c.years_in_rank, c.fast_track, c.age
    sanction_years, probation_years, ability = c.sanction_years, c.probation_years, c.ability
    by_shortfall, top_rank, age_ceiling = rules.by_shortfall, rules.top_rank, rules.age_ceiling
    self_recommendation = rules.self_recommendation
    self_recommendation_ability = rules.self_recommendation_ability
    min_tenure = by_shortfall.shape[0] - 1
    n = rank.shape[0]
    weight = np.empty(n)
    for i in range(n):
        if probation_years[i] > 0:
            weight[i] = 1.0  # keeping the new post depends on measured work
            continue
        short = 0 if fast_track[i] else max(min_tenure - years_in_rank[i], 0)
        if short > min_tenure:
            raise ValueError("career weights: years_in_rank must not be negative")
        too_old = age_ceiling > 0 and age[i] >= age_ceiling and not fast_track[i]
        free = rank[i] < top_rank and sanction_years[i] == 0
        w = by_shortfall[short] if free and not too_old else 0.0
        if (self_recommendation > 0 and free and (short > 0 or too_old)
                and ability[i] >= self_recommendation_ability):
            w = maximum(w, self_recommendation)
        weight[i] = w
    return weight
