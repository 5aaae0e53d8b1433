"""The regime in force each year: a switch at once, phased in over years, and a return."""

from __future__ import annotations

import pytest

from simulation.errors import ConfigError
from simulation.loading import load_config
from simulation.model import CadreModel
from simulation.schedule import _between, regime_in_force, switch_weight

SMALL = {"organisation.n_cadres": 200, "steps": 12}


def strict_to_tolerant(**switch) -> dict:
    """Strict accountability switching to tolerance 0.8 and a 1-year tenure rule."""
    return SMALL | {
        "switch.regime.fault_tolerance.tolerance": 0.8,
        "switch.regime.promotion.min_tenure": 1,
        "switch.regime.fault_tolerance.precision": 0.9,
    } | {f"switch.{key}": value for key, value in switch.items()}


def test_a_phase_in_moves_each_lever_in_equal_steps():
    config = load_config("strict_accountability", strict_to_tolerant(step=3, phase_in=4))
    start = config.regime
    assert start.fault_tolerance.tolerance == 0.0 and start.promotion.min_tenure == 4
    tolerance = [regime_in_force(config, year)[0].fault_tolerance.tolerance for year in
                 range(1, 9)]
    assert tolerance == pytest.approx([0.0, 0.0, 0.2, 0.4, 0.6, 0.8, 0.8, 0.8])
    # Whole numbers take the nearest whole value on the way: 4 -> 1 by 3/4 a year.
    tenure = [regime_in_force(config, year)[0].promotion.min_tenure for year in range(1, 9)]
    assert tenure == [4, 4, 3, 2, 2, 1, 1, 1]
    assert [switch_weight(config, year) for year in (2, 3, 6, 7)] == [0.0, 0.25, 1.0, 1.0]


def test_a_return_restores_the_starting_regime_and_its_label():
    config = load_config("strict_accountability", strict_to_tolerant(step=3, back_step=7))
    labels = [regime_in_force(config, year)[1] for year in range(1, 10)]
    start = "strict_accountability"
    assert labels == [start] * 2 + ["switched"] * 4 + [start] * 3
    assert regime_in_force(config, 8)[0] == config.regime
    assert regime_in_force(config, 5)[0] == config.switch.regime


def test_values_that_are_not_numbers_change_once_the_change_is_half_done():
    # The regime has no such field today; the rule is the schedule's, for any that is added.
    old, new = {"a": {"flag": False, "name": "x"}}, {"a": {"flag": True, "name": "y"}}
    assert _between(old, new, 0.25) == old
    assert _between(old, new, 0.5) == new


def run(overrides: dict, seed: int = 5):
    return CadreModel(load_config("strict_accountability", overrides), seed=seed).run()


def test_a_one_year_phase_in_is_a_switch_at_once():
    at_once = run(strict_to_tolerant(step=4))
    one_year = run(strict_to_tolerant(step=4, phase_in=1))
    assert at_once.equals(one_year)


def test_a_return_beyond_the_run_changes_nothing():
    assert run(strict_to_tolerant(step=4)).equals(run(strict_to_tolerant(step=4, back_step=50)))


def test_a_run_under_a_phase_in_differs_only_from_the_switch_year_on():
    at_once = run(strict_to_tolerant(step=5))
    phased = run(strict_to_tolerant(step=5, phase_in=3))
    assert at_once.iloc[:4].equals(phased.iloc[:4])
    assert not at_once.iloc[4:].equals(phased.iloc[4:])


def test_a_return_before_the_change_is_complete_is_refused_with_what_is_allowed():
    with pytest.raises(ConfigError, match=r"back_step \(5\).*at least 7"):
        load_config("strict_accountability", strict_to_tolerant(step=3, phase_in=4, back_step=5))
