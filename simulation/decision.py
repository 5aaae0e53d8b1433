"""Phase 1, choose: each cadre's expected utility of the four actions, and its logit choice.

Utilities are built from the cadre's *beliefs* about enforcement (learnt) and from the written
rules it knows (regime parameters). The same function, fed counterfactual inputs, gives the
unwilling / unable / afraid split of inaction (DESIGN.md section 4, docs/ODD.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from simulation import formulas as f
from simulation.config import Behaviour, ModelConfig, Regime
from simulation.population import CadreArrays


@dataclass(frozen=True)
class DecisionInputs:
    """Per-cadre inputs of the utility (arrays of one length); counterfactuals swap fields."""

    motivation: NDArray[np.float64]
    ability: NDArray[np.float64]
    risk_aversion: NDArray[np.float64]
    violation_prone: NDArray[np.bool_]
    career: NDArray[np.float64]  # weight of the promotion prize: eligibility x waiting discount
    belief_punish: NDArray[np.float64]
    belief_detect: NDArray[np.float64]
    belief_promote: NDArray[np.float64]
    belief_accuse: NDArray[np.float64]
    sanction_cost: NDArray[np.float64]  # cost of the next rung of the ladder
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
        return DecisionInputs(**{**self.__dict__, **changes})


def career_weights(cadres: CadreArrays, config: ModelConfig, regime: Regime) -> NDArray:
    """Weight of the promotion prize for each cadre this year (0 if it cannot compete).

    Probationers count fully: keeping the new post depends on measured work.
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


def decision_inputs(cadres: CadreArrays, config: ModelConfig, regime: Regime) -> DecisionInputs:
    """Gather the start-of-step state that enters the utility."""
    acc = regime.accountability
    costs = (acc.warning_cost, acc.demotion_cost, acc.removal_cost)
    return DecisionInputs(
        motivation=cadres.motivation,
        ability=cadres.ability,
        risk_aversion=cadres.risk_aversion,
        violation_prone=cadres.violation_prone,
        career=career_weights(cadres, config, regime),
        belief_punish=cadres.belief_punish,
        belief_detect=cadres.belief_detect,
        belief_promote=cadres.belief_promote,
        belief_accuse=cadres.belief_accuse,
        sanction_cost=f.next_sanction_cost(cadres.strikes, costs),
    )


def efforts(behaviour: Behaviour) -> NDArray[np.float64]:
    """Effort level of each action, in ACTIONS order."""
    return np.array(
        [0.0, behaviour.effort_formal, behaviour.effort_routine, behaviour.effort_bold]
    )


def utilities(x: DecisionInputs, behaviour: Behaviour, regime: Regime) -> NDArray[np.float64]:
    """Expected utility (n, 4) of idle, formal, routine, bold for each cadre.

    U = intrinsic value of real output (x motivation)
      + promotion prize x career weight x belief_promote x (expected measured output / best)
      - effort cost
      - (1 + rho) x perceived expected sanction [+ violation gain for the violation-prone on bold]

    The result is a (n, 4) view of an action-major (4, n) array: each action's column is built
    with whole-population vector operations, and row-wise reductions over it stay fast.
    """
    b, ev, sup = behaviour, regime.evaluation, regime.support
    acc, ft = regime.accountability, regime.fault_tolerance
    n = x.ability.shape[0]
    p_success = f.bold_success_probability(x.ability, b.bold_difficulty, b.bold_spread)

    # Expected real and measured output of each action; idle produces nothing.
    real = {
        f.FORMAL: b.output_formal,
        f.ROUTINE: b.output_routine,
        f.BOLD: p_success * (b.output_bold * (1.0 - sup.policy_volatility)),
    }
    formal_measured = b.output_formal + f.formal_credit(b.formal_visibility, ev.precision)
    measured = {**real, f.FORMAL: formal_measured}
    best = np.maximum(np.maximum(measured[f.BOLD], measured[f.ROUTINE]), measured[f.FORMAL])
    promotion_weight = np.divide(
        b.promotion_prize * x.career * x.belief_promote, best,
        out=np.zeros(n), where=best > 0,
    )
    intrinsic = b.intrinsic_value * x.motivation
    effort = efforts(b)
    relief = b.care_cost_relief * sup.care

    # Perceived sanction per action: (1 + rho) x P(sanction) x cost of the next rung.
    felt = f.risk_weighted(x.sanction_cost, x.risk_aversion)
    accuse = x.belief_accuse * x.fear
    p_routine = b.routine_failure_rate * acc.generalised_accountability * x.fear + accuse
    p_bold = (1.0 - p_success) * x.belief_punish * x.fear + accuse
    violation_risk = b.violation_exposure * (1.0 - f.shield_probability(ft.tolerance, ft.precision))
    p_sanction = {
        f.FORMAL: x.belief_detect * ev.formalism_detection + accuse,
        f.ROUTINE: p_routine,
        f.BOLD: np.where(x.violation_prone, p_bold + violation_risk * x.fear, p_bold),
    }

    u = np.empty((4, n))
    u[f.IDLE] = -felt * x.belief_detect
    for k in (f.FORMAL, f.ROUTINE, f.BOLD):
        cost = f.effort_cost(
            effort[k], x.ability, b.effort_cost, b.ability_cost_slope, sup.burden, relief
        )
        u[k] = intrinsic * real[k] + promotion_weight * measured[k] - cost - felt * p_sanction[k]
    u[f.BOLD] += np.where(x.violation_prone, b.violation_gain, 0.0)
    return u.T


def choose(
    x: DecisionInputs, config: ModelConfig, regime: Regime, uniform: NDArray[np.float64]
) -> tuple[NDArray[np.int8], NDArray[np.float64]]:
    """Logit choice: returns (action per cadre, choice probabilities (n, 4))."""
    b = config.behaviour
    probs = f.logit_probabilities(utilities(x, b, regime), b.temperature)
    return f.sample_choice(probs, uniform), probs


def inaction_split(
    x: DecisionInputs,
    idle_probability: NDArray[np.float64],
    idle: NDArray[np.bool_],
    config: ModelConfig,
    regime: Regime,
) -> NDArray[np.float64]:
    """Counts of idle cadres attributed to (unwilling, unable, afraid); they sum to idle.sum().

    For each idle cadre, three counterfactuals: motivation raised to the reference level,
    ability raised to the reference level, or the perceived sanction risk of acting removed.
    Each one's gain is the drop in the cadre's probability of lying flat. The cadre is split
    across the three causes in proportion to those gains; if none helps (it would lie flat
    anyway, or acts only by chance), it counts as unwilling: a choice, not a constraint.
    """
    who = np.flatnonzero(idle)
    if who.size == 0:
        return np.zeros(3)
    b = config.behaviour
    xi = x.subset(who)
    base = idle_probability[who]
    temperature = b.temperature
    counterfactuals = (
        xi.with_(motivation=np.maximum(xi.motivation, b.counterfactual_motivation)),
        xi.with_(ability=np.maximum(xi.ability, b.counterfactual_ability)),
        xi.with_(fear=0.0),
    )
    gains = np.empty((who.size, 3))
    for j, cf in enumerate(counterfactuals):
        p_idle = f.logit_probabilities(utilities(cf, b, regime), temperature)[:, f.IDLE]
        gains[:, j] = np.maximum(base - p_idle, 0.0)
    total = gains.sum(axis=1)
    weights = np.zeros_like(gains)
    explained = total > 1e-12
    weights[explained] = gains[explained] / total[explained, None]
    weights[~explained, 0] = 1.0
    return weights.sum(axis=0)
