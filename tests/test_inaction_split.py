"""The unwilling / unable / afraid split of inaction (decision.inaction_split, DESIGN.md s.4).

Rule under test: each idle cadre is split across three counterfactuals (motivation raised to the
reference level, ability raised to the reference level, perceived sanction risk of acting
removed) in proportion to how much each lowers its probability of lying flat; if none helps it
counts as unwilling. The split must add up to the idle count.

Single-cause populations are built with config overrides (tight trait distributions via a high
Beta concentration) and learning switched off where it would mix in a second cause over time.
Threshold: the cause must account for >= 70 % of inaction, with inaction itself >= 20 % so that
the classification concerns a substantial group.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation import CadreModel, load_config
from simulation import formulas as f
from simulation.decision import (
    career_weights,
    choose,
    decision_inputs,
    inaction_split,
    utilities,
)

MOSTLY = 0.7  # share of inaction the single cause must account for
SUBSTANTIAL = 0.2  # inaction share below which the split would say little
LATER_STEPS = 5

# Learning that would add a second cause over the run: conformity drags motivation toward the
# peer norm, idle years erode ability, wrongful sanctions and being passed over cost motivation.
STILL = {
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
    "learning.prior_punish": 0.0,
    "learning.prior_accuse": 0.0,
    "learning.prior_detect": 0.0,
    "regime.accountability.annual_evaluation": 0.0,
    "regime.accountability.generalised_accountability": 0.0,
    "regime.supervision.false_accusation_rate": 0.0,
    "regime.fault_tolerance.tolerance": 1.0,
    "regime.fault_tolerance.precision": 1.0,
}

AFRAID = STILL | {
    # Motivated and able (both above the 0.8 reference levels).
    "population.ability_mean": 0.9,
    "population.motivation_mean": 0.9,
    # Harsh, believed sanctions for any action; idleness goes unseen.
    "learning.prior_punish": 1.0,
    "learning.prior_accuse": 0.3,
    "learning.prior_detect": 0.0,
    "regime.accountability.warning_cost": 3.0,
    "regime.accountability.demotion_cost": 3.0,
    "regime.accountability.removal_cost": 3.0,
    "regime.accountability.generalised_accountability": 1.0,
    "regime.accountability.annual_evaluation": 0.0,
    "regime.fault_tolerance.tolerance": 0.0,
    "regime.supervision.false_accusation_rate": 1.0,
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


@pytest.mark.parametrize("case", sorted(CASES))
def test_single_cause_classification_is_stable_over_several_steps(case):
    overrides, cause = CASES[case]
    table = CadreModel(load_config(overrides=overrides), seed=12).run(LATER_STEPS)
    assert (table["inaction"] >= SUBSTANTIAL).all(), table["inaction"]
    assert (table[cause] / table["inaction"] >= MOSTLY).all(), table[cause]


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
    fearless = AFRAID | SAFE
    calm = CadreModel(load_config(overrides=fearless), seed=11)
    calm.step()
    assert calm.stats["inaction"] < 0.25 * afraid.stats["inaction"]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("temperature", [0.0, 0.05, 0.15, 1.0])
def test_split_sums_to_the_idle_count_for_a_random_population(seed, temperature):
    config = load_config(
        overrides={"organisation.n_cadres": 500, "behaviour.temperature": temperature}
    )
    model = CadreModel(config, seed=seed)
    rng = np.random.default_rng(seed)
    c = model.cadres
    # Scramble traits and beliefs so that all three causes (and mixtures) occur.
    for name in ("ability", "motivation", "belief_punish", "belief_detect", "belief_promote"):
        getattr(c, name)[:] = rng.random(c.n)
    c.belief_accuse[:] = 0.2 * rng.random(c.n)
    c.strikes[:] = rng.integers(0, 3, c.n)
    x = decision_inputs(c, config, config.regime)
    action, probs = choose(x, config, config.regime, rng.random(c.n))
    idle = action == f.IDLE
    split = inaction_split(x, probs[:, f.IDLE], idle, config, config.regime)
    assert split.shape == (3,)
    assert np.all(split >= 0.0)
    assert split.sum() == pytest.approx(idle.sum(), abs=1e-9)
    assert idle.sum() > 0


def test_split_of_nobody_idle_is_zero():
    config = load_config(overrides={"organisation.n_cadres": 100})
    model = CadreModel(config, seed=0)
    x = decision_inputs(model.cadres, config, config.regime)
    probs = np.full((100, 4), 0.25)
    split = inaction_split(x, probs[:, f.IDLE], np.zeros(100, bool), config, config.regime)
    np.testing.assert_array_equal(split, [0.0, 0.0, 0.0])


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
            "learning.prior_accuse": accuse,
        }
    )
    model = CadreModel(config, seed=seed)
    model.step()
    s = model.stats
    assert s["unwilling"] + s["unable"] + s["afraid"] == pytest.approx(s["inaction"], abs=1e-12)


def test_idle_cadres_that_no_counterfactual_moves_count_as_unwilling():
    """Best response (temperature 0) with effort so costly that even a fully motivated, able,
    fearless cadre lies flat: nobody is helped by a counterfactual, so all are unwilling."""
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


def test_split_allocates_each_cadre_in_proportion_to_counterfactual_gains():
    """Recompute the rule by hand for a mixed population: for each idle cadre, the drop in
    P(idle) under each counterfactual, normalised; cadres no counterfactual helps go to
    unwilling."""
    config = load_config(overrides={"organisation.n_cadres": 300})
    b, regime = config.behaviour, config.regime
    model = CadreModel(config, seed=4)
    rng = np.random.default_rng(4)
    c = model.cadres
    c.ability[:] = rng.random(c.n)
    c.motivation[:] = rng.random(c.n)
    c.belief_punish[:] = rng.random(c.n)
    x = decision_inputs(c, config, regime)
    p = f.logit_probabilities(utilities(x, b, regime), b.temperature)
    idle = rng.random(c.n) < p[:, f.IDLE]

    expected = np.zeros(3)
    for i in np.flatnonzero(idle):
        xi = x.subset(np.array([i]))
        variants = (
            xi.with_(motivation=np.maximum(xi.motivation, b.counterfactual_motivation)),
            xi.with_(ability=np.maximum(xi.ability, b.counterfactual_ability)),
            xi.with_(fear=0.0),
        )
        gains = np.array(
            [
                max(
                    p[i, f.IDLE]
                    - f.logit_probabilities(utilities(v, b, regime), b.temperature)[0, f.IDLE],
                    0.0,
                )
                for v in variants
            ]
        )
        expected += gains / gains.sum() if gains.sum() > 1e-12 else np.array([1.0, 0.0, 0.0])

    got = inaction_split(x, p[:, f.IDLE], idle, config, regime)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)
    # The scrambled population really is mixed: every cause gets a visible share.
    assert np.all(got > 0.05 * idle.sum())
