"""Policy cost: priced from the regime in force each year by the config's weights, an output
the search can minimise, and no other output moves when its weights change."""

from __future__ import annotations

import pytest

from simulation.config import LEVER_OF_COST, PolicyCost
from simulation.loading import load_config
from simulation.model import CadreModel
from simulation.outputs import OUTPUTS, STEP_COLUMNS


def test_policy_cost_is_an_output_to_keep_low():
    assert OUTPUTS["policy_cost"].better == "lower"
    assert "policy_cost" in STEP_COLUMNS


def test_the_status_quo_pays_for_detection_precision_and_clarification():
    config = load_config(None, {"organisation.n_cadres": 80})
    table = CadreModel(config, seed=3).run(3)
    # Defaults: annual evaluation 0.1 x 0.2, precision 0.5 x 0.1, clarification 0.2 x 0.05.
    assert table["policy_cost"].tolist() == pytest.approx([0.08] * 3)


def test_each_costed_lever_is_priced_by_its_weight():
    base = {"organisation.n_cadres": 80, "regime.accountability.annual_evaluation": 0.0,
            "regime.evaluation.precision": 0.0, "regime.supervision.clarification": 0.0}
    assert CadreModel(load_config(None, base), seed=1).run(1)["policy_cost"].iloc[0] == 0.0
    for weight, lever in LEVER_OF_COST.items():
        value = 0.4
        config = load_config(None, {**base, f"regime.{lever}": value,
                                    f"policy_cost.{weight}": 0.7})
        cost = CadreModel(config, seed=1).run(1)["policy_cost"].iloc[0]
        assert cost == pytest.approx(0.7 * value), lever
    assert set(LEVER_OF_COST) == set(PolicyCost.model_fields)


def test_a_switch_is_priced_from_the_regime_in_force():
    config = load_config(None, {"organisation.n_cadres": 80, "switch.step": 3,
                                "switch.regime.support.care": 1.0})
    cost = CadreModel(config, seed=2).run(4)["policy_cost"].tolist()
    assert cost[:2] == pytest.approx([0.08, 0.08])
    assert cost[2:] == pytest.approx([0.08 + 0.15, 0.08 + 0.15])


def test_cost_weights_change_no_other_output():
    cheap = load_config(None, {"organisation.n_cadres": 80})
    dear = load_config(None, {"organisation.n_cadres": 80, "policy_cost.care": 5.0,
                              "policy_cost.annual_evaluation": 3.0})
    a = CadreModel(cheap, seed=4).run(4).drop(columns="policy_cost")
    b = CadreModel(dear, seed=4).run(4).drop(columns="policy_cost")
    assert a.equals(b)
