"""Mechanisms behind the forms of inaction do what they claim (docs/ODD.md 7.1, 7.3.4, 7.5.2).

Statistical claims run fixed seeds with the replications, the statistic and the margin stated
in each test; the margins are set below the measured effect so that the claim, not the exact
figure, is tested.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation import CadreModel, load_config
from simulation import formulas as f
from simulation.accountability import review
from simulation.decision import decision_inputs, utilities, utility_parts
from simulation.outcomes import produce

BURN_IN = 10


def run_means(overrides: dict, seeds, steps: int = 30, preset: str | None = None,
              columns=("inaction", "afraid", "avoidance", "bold")) -> np.ndarray:
    """Per seed, the mean of ``columns`` over the steps after the burn-in: (seeds, columns)."""
    rows = []
    for seed in seeds:
        table = CadreModel(load_config(preset, overrides), seed=seed).run(steps)
        rows.append(table[list(columns)].iloc[BURN_IN:].mean().to_numpy())
    return np.array(rows)


@pytest.mark.slow
def test_removing_fault_tolerance_under_strong_incentives_raises_the_afraid_part():
    """comprehensive_package with tolerance 0.8 (its own) vs 0: 4 paired seeds x 1 000 cadres x
    30 years. Measured: afraid +0.17, avoidance +0.18. Claim: afraid rises by at least 0.10 on
    average and by at least 0.05 in every seed, and most of the rise is avoidance."""
    seeds = (1, 2, 3, 4)
    key = "regime.fault_tolerance.tolerance"
    tolerant = run_means({}, seeds, preset="comprehensive_package")
    intolerant = run_means({key: 0.0}, seeds, preset="comprehensive_package")
    diff = intolerant - tolerant  # columns: inaction, afraid, avoidance, bold
    assert diff[:, 1].mean() >= 0.10, diff
    assert (diff[:, 1] >= 0.05).all(), diff
    assert diff[:, 2].mean() >= 0.5 * diff[:, 0].mean(), diff


#: The hand-set choice noise. At the calibrated temperature (0.329) most formal work is taste:
#: under weak evaluation 9 % of formal choosers prefer it before their taste draw (measured,
#: 7 December 2026), so the incentive this test is about is read where the noise is small.
LOW_NOISE = {"behaviour.temperature": 0.05}


def formal_best_response_share(precision: float, seeds=(1, 2, 3), steps: int = 15):
    """Share of formal choosers whose best response (no taste) is formal work, and their count,
    pooled over steps 6..15 of ``seeds``."""
    chosen = best = 0
    for seed in seeds:
        config = load_config(overrides={"regime.evaluation.precision": precision, **LOW_NOISE})
        model = CadreModel(config, seed=seed)
        for step in range(steps):
            x = decision_inputs(model.cadres, config, model.regime)
            preferred = utilities(x, config.behaviour, model.regime).argmax(axis=1)
            model.step()
            if step >= 5:
                formal = model.cadres.action == f.FORMAL  # refilled slots hold -1
                chosen += np.count_nonzero(formal)
                best += np.count_nonzero(formal & (preferred == f.FORMAL))
    return best / chosen, chosen


@pytest.mark.slow
def test_formal_work_is_a_best_response_where_evaluation_rewards_visibility():
    """Weak evaluation (precision 0.2): at least 25 % of formal choosers prefer formal work
    before their taste draw (measured 47 % since issue 22, when cadres came to believe formal
    work is caught at its written rate; 31 % before); a precise evaluator (0.8) leaves fewer
    formal choosers, and fewer of them by incentive (measured 26 %: 0.56 of the weak share)."""
    weak_share, weak_count = formal_best_response_share(0.2)
    sharp_share, sharp_count = formal_best_response_share(0.8)
    assert weak_share >= 0.25, weak_share
    assert sharp_count < 0.8 * weak_count, (sharp_count, weak_count)
    assert sharp_share < 0.7 * weak_share, (sharp_share, weak_share)


def test_promotion_value_of_an_action_does_not_fall_as_the_cadre_becomes_abler():
    """Two cadres alike but for ability: the career value of formal and routine work is the
    same, that of bold work higher for the abler (it succeeds more often)."""
    config = load_config(overrides={"organisation.n_cadres": 40})
    model = CadreModel(config, seed=0)
    x = decision_inputs(model.cadres, config, model.regime).subset(np.array([0, 0]))
    x = x.with_(ability=np.array([0.5, 0.8]), motivation=np.zeros(2),
                career=np.ones(2), belief_promote=np.full(2, 0.5))
    benefit = utility_parts(x, config.behaviour, model.regime).benefit  # career only: m = 0
    assert benefit[f.FORMAL, 0] == benefit[f.FORMAL, 1] > 0
    assert benefit[f.ROUTINE, 0] == benefit[f.ROUTINE, 1] > 0
    assert benefit[f.BOLD, 1] > benefit[f.BOLD, 0]


def test_false_accusations_fall_more_on_bold_work_than_on_routine_work():
    """The accountability phase on 20 000 cadres, half doing bold and half routine work, with
    accusations at 0.3 for bold work: the accused share of bold workers is 4 times that of
    routine workers in expectation (ratio 0.25; s.e. of each share below 0.005); claim: at
    least 2.5 times."""
    config = load_config(overrides={"regime.supervision.false_accusation_rate": 0.3,
                                    "organisation.n_cadres": 20_000})
    model = CadreModel(config, seed=5)
    rng = np.random.default_rng(5)
    action = rng.choice([f.ROUTINE, f.BOLD], size=model.cadres.n).astype(np.int8)
    out = produce(model.cadres, action, config, model.regime, model.streams, 1)
    rev = review(model.cadres, action, out, config, model.regime, model.capacities,
                 model.streams, 1)
    accused = {
        name: np.count_nonzero(rev.accused & (action == code)) / np.count_nonzero(action == code)
        for name, code in (("bold", f.BOLD), ("routine", f.ROUTINE))
    }
    assert accused["bold"] >= 2.5 * accused["routine"] > 0, accused


@pytest.mark.slow
def test_false_accusations_add_to_the_fear_that_holds_back_initiative_and_clarification_eases_it():
    """comprehensive_package, 3 paired seeds x 1 000 cadres x 30 years: bold-work accusations at
    0.15 vs 0 raise the afraid part of inaction (claim: by at least 0.01); with those
    accusations, clearing all of them (clarification 1) raises bold work above clearing none
    (claim: by at least 0.02)."""
    seeds = (1, 2, 3)
    rate = "regime.supervision.false_accusation_rate"
    clar = "regime.supervision.clarification"
    none = run_means({rate: 0.0}, seeds, preset="comprehensive_package")
    some = run_means({rate: 0.15, clar: 0.0}, seeds, preset="comprehensive_package")
    cleared = run_means({rate: 0.15, clar: 1.0}, seeds, preset="comprehensive_package")
    assert (some[:, 1] - none[:, 1]).mean() >= 0.01, (some, none)
    assert (cleared[:, 3] - some[:, 3]).mean() >= 0.02, (cleared, some)


def test_with_certain_detection_cadres_come_to_believe_lying_flat_is_caught():
    """Annual evaluation catches every idle cadre: after 30 years the mean belief is at least
    0.7 in each of 3 seeds (it stayed near 0.2 when only idle cases were learnt from)."""
    for seed in (1, 2, 3):
        config = load_config(overrides={"regime.accountability.annual_evaluation": 1.0})
        model = CadreModel(config, seed=seed)
        model.run(30)
        assert model.cadres.belief_detect.mean() >= 0.7, seed


def test_decision_inputs_are_copies_that_later_steps_do_not_change():
    config = load_config(overrides={"organisation.n_cadres": 200})
    model = CadreModel(config, seed=1)
    x = decision_inputs(model.cadres, config, model.regime)
    before = utilities(x, config.behaviour, model.regime).copy()
    model.run(3)
    np.testing.assert_array_equal(utilities(x, config.behaviour, model.regime), before)
