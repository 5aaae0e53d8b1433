"""Inaction's three forms and its identified cause split (decision.account_inaction, ODD s.8).

Rules under test:
- forms: lying flat (idle), false action (formal work) and responsibility avoidance (routine
  work that, with the same taste draws, would turn bold if the perceived sanction risk of acting
  were removed); the headline ``inaction`` is their sum;
- causes: each inactive cadre is shared over unwilling / unable / afraid by the Shapley values of
  three changes (motivation raised to 'motivated enough', ability raised to 'able enough',
  fear removed) over all eight coalitions; inaction no change removes counts as unwilling. The
  causes add up to the headline exactly, whatever the order of the changes;
- reasons: each inactive cadre names the largest part of its own utility gap.

Single-cause populations are built with config overrides (tight trait distributions via a high
Beta concentration) and learning switched off where it would mix in a second cause over time.
Threshold: the cause must account for >= 70 % of inaction, with inaction itself >= 20 %.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation import CadreModel, load_config
from simulation import formulas as f
from simulation.decision import (
    ACTIVE,
    AVOIDANCE,
    LYING_FLAT,
    REMOVE_FEAR,
    account_inaction,
    career_weights,
    cause_shares,
    choose,
    counterfactual,
    decision_inputs,
    promotion_scale,
    reference_levels,
    utilities,
)

MOSTLY = 0.7  # share of inaction the single cause must account for
SUBSTANTIAL = 0.2  # inaction share below which the split would say little
LATER_STEPS = 5

# Learning that would add a second cause over the run: conformity drags motivation toward the
# peer norm, idle years erode ability, wrongful sanctions and being passed over cost motivation.
# Taste noise is kept small (the calibrated temperature spreads choices over every action, which
# mixes causes into any population).
STILL = {
    "behaviour.temperature": 0.05,
    "organisation.n_cadres": 400,
    "population.trait_concentration": 1000.0,
    "population.violation_prone_share": 0.0,
    "learning.conformity": 0.0,
    "learning.skill_decay": 0.0,
    "learning.unfairness_penalty": 0.0,
    "learning.passed_over_penalty": 0.0,
}

# Nothing is punished and nobody believes it would be.
SAFE = {
    "regime.accountability.annual_evaluation": 0.0,
    "regime.accountability.generalised_accountability": 0.0,
    "regime.supervision.false_accusation_rate": 0.0,
    "regime.fault_tolerance.tolerance": 1.0,
    "regime.fault_tolerance.precision": 1.0,
}

# Able, motivated and rewarded (far above every reference level: they believe performance is
# promoted and wait for no tenure), with harsh, believed sanctions on acting and none on lying
# flat: they lie flat or hide in safe work out of fear alone.
AFRAID = STILL | {
    "population.ability_mean": 0.9,
    "population.motivation_mean": 0.9,
    "learning.prior_promote": 1.0,
    "regime.promotion.min_tenure": 0,
    "regime.accountability.warning_cost": 10.0,
    "regime.accountability.demotion_cost": 10.0,
    "regime.accountability.removal_cost": 10.0,
    "regime.accountability.generalised_accountability": 1.0,
    "regime.accountability.annual_evaluation": 0.0,
    "regime.fault_tolerance.tolerance": 0.0,
    "regime.supervision.false_accusation_rate": 1.0,
    "regime.supervision.clarification": 0.0,
}

# Able, motivated and rewarded, doing routine work: bold work is feared (punished failures,
# accusations aimed at those who stir interests) but routine work is safe, and lying flat is
# caught.
AVOIDING = STILL | {
    "population.ability_mean": 0.75,
    "population.motivation_mean": 0.9,
    "learning.prior_promote": 1.0,
    "regime.promotion.min_tenure": 0,
    "behaviour.safe_work_accusation_ratio": 0.0,
    "regime.accountability.warning_cost": 10.0,
    "regime.accountability.demotion_cost": 10.0,
    "regime.accountability.removal_cost": 10.0,
    "regime.accountability.generalised_accountability": 0.0,
    "regime.accountability.annual_evaluation": 1.0,
    "regime.fault_tolerance.tolerance": 0.0,
    "regime.supervision.false_accusation_rate": 0.3,
    "regime.supervision.clarification": 0.0,
}

UNWILLING = (
    STILL
    | SAFE
    | {
        "population.ability_mean": 0.9,
        "population.motivation_mean": 0.05,
        # No career payoff: promotion needs 20 years in rank and a distant promotion is worth
        # nothing (discount 0); nobody believes performance is rewarded.
        "learning.prior_promote": 0.0,
        "behaviour.future_discount": 0.0,
        "regime.promotion.min_tenure": 20,
    }
)

UNABLE = (
    STILL
    | SAFE
    | {
        "population.ability_mean": 0.05,
        "population.motivation_mean": 0.9,
        # No career channel either, so inaction stays substantial as beliefs move.
        "behaviour.promotion_prize": 0.0,
    }
)

CASES = {
    "afraid": (AFRAID, "afraid"),
    "avoiding": (AVOIDING, "afraid"),
    "unwilling": (UNWILLING, "unwilling"),
    "unable": (UNABLE, "unable"),
}


def _cause_share(stats: dict[str, float], cause: str) -> float:
    return stats[cause] / stats["inaction"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_single_cause_population_is_classified_by_its_cause_on_the_first_step(case):
    overrides, cause = CASES[case]
    model = CadreModel(load_config(overrides=overrides), seed=11)
    model.step()
    stats = model.stats
    assert stats["inaction"] >= SUBSTANTIAL, stats
    assert _cause_share(stats, cause) >= MOSTLY, stats
    assert stats[f"reason_{cause}"] / stats["inaction"] >= MOSTLY, stats


@pytest.mark.parametrize("case", sorted(CASES))
def test_single_cause_classification_is_stable_over_several_steps(case):
    overrides, cause = CASES[case]
    table = CadreModel(load_config(overrides=overrides), seed=12).run(LATER_STEPS)
    assert (table["inaction"] >= SUBSTANTIAL).all(), table["inaction"]
    assert (table[cause] / table["inaction"] >= MOSTLY).all(), table[cause]


def test_able_motivated_routine_workers_held_back_by_fear_are_counted_as_avoiding():
    """The afraid cadre of text 001 works, but takes no hard task: the idle-only measure saw
    nothing; the avoidance form counts it, and its cause is fear."""
    model = CadreModel(load_config(overrides=AVOIDING), seed=11)
    model.step()
    s = model.stats
    assert s["lying_flat"] < 0.05, s
    assert s["avoidance"] >= 0.5 and s["avoidance"] / s["inaction"] >= 0.9, s
    assert s["afraid"] / s["inaction"] >= MOSTLY, s


def test_unwilling_population_has_no_career_payoff():
    """Precondition of the 'unwilling' case: no cadre has a stake in promotion."""
    config = load_config(overrides=UNWILLING)
    model = CadreModel(config, seed=11)
    assert np.all(career_weights(model.cadres, config, config.regime) == 0.0)


def test_afraid_cadres_act_once_the_fear_is_lifted():
    """Same afraid population, but the sanctions for acting are not believed and not applied:
    inaction collapses (to below a quarter of its afraid level)."""
    afraid = CadreModel(load_config(overrides=AFRAID), seed=11)
    afraid.step()
    calm = CadreModel(load_config(overrides=AFRAID | SAFE), seed=11)
    calm.step()
    assert calm.stats["inaction"] < 0.25 * afraid.stats["inaction"]


def _scrambled(seed: int, temperature: float, n: int = 500):
    """A population whose traits and beliefs are scrambled so every form and cause occurs."""
    config = load_config(
        overrides={"organisation.n_cadres": n, "behaviour.temperature": temperature}
    )
    model = CadreModel(config, seed=seed)
    rng = np.random.default_rng(seed)
    c = model.cadres
    for name in ("ability", "motivation", "belief_punish", "belief_detect", "belief_promote"):
        getattr(c, name)[:] = rng.random(c.n)
    c.belief_accused[:] = 0.3 * rng.random(c.n)
    c.belief_upheld[:] = 1.0
    c.strikes[:] = rng.integers(0, 3, c.n)
    x = decision_inputs(c, config, config.regime)
    taste = rng.gumbel(size=(c.n, 4))
    return config, x, taste


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("temperature", [0.0, 0.05, 0.15, 1.0])
def test_forms_causes_and_reasons_each_sum_to_the_inactive_count(seed, temperature):
    config, x, taste = _scrambled(seed, temperature)
    action = choose(x, config, config.regime, taste)
    result = account_inaction(x, action, taste, config, config.regime)
    inactive = np.count_nonzero(result.form != ACTIVE)
    assert inactive > 0
    assert result.counts().sum() == inactive
    assert result.causes.sum() == pytest.approx(inactive, abs=1e-9)
    assert result.reasons.sum() == inactive
    # Lying flat is exactly idle; avoidance only ever marks routine choosers.
    np.testing.assert_array_equal(result.form == LYING_FLAT, action == f.IDLE)
    assert np.all(action[result.form == AVOIDANCE] == f.ROUTINE)


def _choices_under_every_coalition(x, config, taste):
    """Each cadre's action (8, n) with the causes of each coalition lifted, by direct choice."""
    refs = reference_levels(config.behaviour, config.regime)
    return np.stack([choose(counterfactual(x, c, refs), config, config.regime, taste)
                     for c in range(8)])


def test_avoidance_is_routine_work_that_some_lifted_cause_turns_bold():
    config, x, taste = _scrambled(5, 0.05, n=2000)
    acts = _choices_under_every_coalition(x, config, taste)
    action = acts[0]
    result = account_inaction(x, action, taste, config, config.regime)
    turns_bold = (acts[1:] == f.BOLD).any(axis=0)
    expected = (action == f.ROUTINE) & turns_bold & ~x.violation_prone
    np.testing.assert_array_equal(result.form == AVOIDANCE, expected)
    assert expected.sum() > 20  # the scrambled population has avoiders to classify
    # The version-2 figure: routine work that removing the sanction risk alone turns bold.
    fear_only = (action == f.ROUTINE) & (acts[REMOVE_FEAR] == f.BOLD) & ~x.violation_prone
    assert result.fear_only == fear_only.sum()
    assert fear_only.sum() < expected.sum()  # fear is one cause among three


def test_split_of_nobody_inactive_is_zero():
    config = load_config(overrides={"organisation.n_cadres": 100})
    model = CadreModel(config, seed=0)
    x = decision_inputs(model.cadres, config, config.regime)
    bold = np.full(100, f.BOLD, dtype=np.int8)
    result = account_inaction(x, bold, np.zeros((100, 4)), config, config.regime)
    np.testing.assert_array_equal(result.causes, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(result.reasons, [0.0, 0.0, 0.0])


@settings(max_examples=25, deadline=None)
@given(
    temperature=st.one_of(st.just(0.0), st.floats(0.01, 3.0)),
    warning=st.floats(0.0, 20.0),
    accuse=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_each_step_splits_exactly_the_inaction_it_reports(temperature, warning, accuse, seed):
    config = load_config(
        overrides={
            "organisation.n_cadres": 200,
            "behaviour.temperature": temperature,
            "regime.accountability.warning_cost": warning,
            "regime.supervision.false_accusation_rate": accuse,
        }
    )
    model = CadreModel(config, seed=seed)
    model.step()
    s = model.stats
    forms = s["lying_flat"] + s["formalism"] + s["avoidance"]
    assert forms == pytest.approx(s["inaction"], abs=1e-12)
    assert s["unwilling"] + s["unable"] + s["afraid"] == pytest.approx(s["inaction"], abs=1e-12)
    reasons = s["reason_unwilling"] + s["reason_unable"] + s["reason_afraid"]
    assert reasons == pytest.approx(s["inaction"], abs=1e-12)


def test_inaction_no_change_removes_counts_as_unwilling():
    """Best response (temperature 0) with effort so costly that even a fully motivated, able,
    fearless cadre lies flat: no change helps, so all of it is unwilling."""
    config = load_config(
        overrides={
            "organisation.n_cadres": 200,
            "behaviour.temperature": 0.0,
            "behaviour.effort_cost": 10.0,
            "behaviour.promotion_prize": 0.0,
            "population.violation_prone_share": 0.0,
        }
    )
    model = CadreModel(config, seed=3)
    model.step()
    assert model.stats["inaction"] == 1.0
    assert model.stats["unwilling"] == 1.0
    assert model.stats["unable"] == 0.0 and model.stats["afraid"] == 0.0


# --------------------------------------------------------------------------------------------
# The Shapley rule
# --------------------------------------------------------------------------------------------


def _shapley_by_orders(value) -> np.ndarray:
    """Shapley values of three players from a coalition value function, by the definition:
    the marginal contribution averaged over all 3! orders of joining."""
    phi = np.zeros(3)
    for order in itertools.permutations(range(3)):
        coalition = 0
        for player in order:
            phi[player] += value(coalition | (1 << player)) - value(coalition)
            coalition |= 1 << player
    return phi / math.factorial(3)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-5.0, 5.0), min_size=7, max_size=7))
def test_shapley_three_matches_the_definition_over_all_orders(values):
    gains = np.array([[0.0, *values]])
    got = f.shapley_three(gains)[0]
    want = _shapley_by_orders(lambda s: gains[0, s])
    np.testing.assert_allclose(got, want, atol=1e-12)
    assert got.sum() == pytest.approx(values[-1], abs=1e-12)  # efficiency


def test_shapley_three_shares_a_pure_interaction_equally_and_ignores_a_null_factor():
    # Gain only when factors 0 and 1 both change: each gets half, factor 2 nothing.
    gains = np.zeros((1, 8))
    gains[0, [3, 7]] = 1.0
    np.testing.assert_allclose(f.shapley_three(gains)[0], [0.5, 0.5, 0.0])
    # Any one factor suffices: a third each.
    gains = np.ones((1, 8))
    gains[0, 0] = 0.0
    np.testing.assert_allclose(f.shapley_three(gains)[0], [1 / 3, 1 / 3, 1 / 3])


def test_cause_shares_rows_sum_to_one_with_the_unremoved_rest_counted_as_unwilling():
    rng = np.random.default_rng(0)
    inactive = rng.random((8, 500)) < 0.5
    inactive[0] = True
    shares = cause_shares(inactive)
    np.testing.assert_allclose(shares.sum(axis=1), 1.0, atol=1e-12)
    # A cadre no change (nor any combination) moves is wholly unwilling: its own choice.
    stubborn = inactive.all(axis=0)
    assert stubborn.any()
    np.testing.assert_array_equal(shares[stubborn], [[1.0, 0.0, 0.0]] * int(stubborn.sum()))


def test_the_split_does_not_depend_on_the_order_of_the_factors():
    """Relabelling the factors permutes the shares, nothing else (no order dependence)."""
    rng = np.random.default_rng(1)
    inactive = rng.random((8, 300)) < 0.5
    inactive[0] = True
    inactive[7] = False  # no residual: pure Shapley shares
    base = cause_shares(inactive)
    for perm in itertools.permutations(range(3)):
        remap = [sum(((s >> j) & 1) << perm[j] for j in range(3)) for s in range(8)]
        got = cause_shares(inactive[remap])
        np.testing.assert_allclose(got, base[:, list(perm)], atol=1e-12)


# --------------------------------------------------------------------------------------------
# Reference levels: justified, in the config, and only a yardstick
# --------------------------------------------------------------------------------------------


def test_reference_levels_are_read_off_the_tasks():
    # Effort costlier than the calibrated default, so that the heaviest burden allowed pushes the
    # reward the hard task needs past its ceiling.
    b = load_config(overrides={"behaviour.effort_cost": 0.5}).behaviour
    motivated, able, rewarded = reference_levels(b)  # the hard task without burden or reversals
    # Able enough: a bold task succeeds as often as it fails.
    assert f.bold_success_probability(able, b.bold_difficulty, b.bold_spread) == pytest.approx(
        b.able_enough_success
    )
    # Motivated enough: routine work's intrinsic value pays its effort cost at that ability.
    cost = f.effort_cost(b.effort_routine, able, b.effort_cost, b.ability_cost_slope, 0.0, 0.0)
    assert b.intrinsic_value * motivated * b.output_routine == pytest.approx(cost)
    # Rewarded enough: for a cadre motivated and able enough with a full career weight, the
    # hard task's extra value (intrinsic and career) pays exactly its extra effort cost.
    bold_cost = f.effort_cost(b.effort_bold, able, b.effort_cost, b.ability_cost_slope, 0, 0)
    extra_output = b.able_enough_success * b.output_bold - b.output_routine
    career = b.promotion_prize * rewarded / promotion_scale(b)
    extra_value = (b.intrinsic_value * motivated + career) * extra_output
    assert 0.0 < rewarded < 1.0
    assert extra_value == pytest.approx(bold_cost - cost)
    # Under a regime's burden and policy reversals the hard task needs more reward to pay; past
    # full belief it cannot pay at all, and the level stays at its ceiling 1.
    burdened = load_config(overrides={"regime.support.burden": 0.1}).regime
    assert rewarded < reference_levels(b, burdened).rewarded < 1.0
    assert reference_levels(b, load_config(overrides={"regime.support.burden": 3.0}).regime
                            ).rewarded == 1.0


def test_reference_levels_measure_but_never_change_what_cadres_do():
    """The split is measurement only: other reference levels, same seed, same run. What the
    cadres do and become is unchanged; only the classification moves: the causes, the reasons
    (whose 'unable' part is measured against 'able enough') and, since avoidance asks what a
    cadre would do were its causes lifted to those levels, avoidance and the headline."""
    base = CadreModel(load_config(), seed=7).run(8)
    other = CadreModel(
        load_config(overrides={"behaviour.motivated_enough_cover": 1.5,
                               "behaviour.able_enough_success": 0.7}),
        seed=7,
    ).run(8)
    for column in ("lying_flat", "formalism", "routine", "bold", "avoidance_fear", "promotions",
                   "mean_motivation", "belief_promote", "real_output", "welfare"):
        np.testing.assert_array_equal(base[column], other[column])
    assert not np.allclose(base["unwilling"], other["unwilling"])
    assert not np.allclose(base["avoidance"], other["avoidance"])


def test_utilities_of_a_cadre_do_not_depend_on_its_neighbours_in_the_array():
    config, x, _ = _scrambled(3, 0.05, n=50)
    u = utilities(x, config.behaviour, config.regime)
    one = utilities(x.subset(np.array([7])), config.behaviour, config.regime)
    np.testing.assert_allclose(one[0], u[7])
