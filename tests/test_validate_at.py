"""``cadresim validate --set``: the suite run at given parameter values instead of the defaults.

So that a claim like "at this posterior particle the suite passes 12 of 14" is one command. The
values are the base of every check's runs; a check's own arms still set what they vary.
"""

from __future__ import annotations

import json

import pytest

from experiments.cli.main import main
from experiments.validation import tools
from simulation.config import ModelConfig, config_value

DEFAULT_T = config_value(ModelConfig(), "behaviour.temperature")


def test_the_values_are_the_base_and_a_checks_arms_still_win():
    with tools.at({"behaviour.temperature": 0.2, "behaviour.promotion_prize": 3.0}):
        based = tools.config({"behaviour.promotion_prize": 8.0})
        assert based.behaviour.temperature == 0.2
        assert based.behaviour.promotion_prize == 8.0  # the arm's own value
        assert based.organisation.n_cadres == tools.N_CADRES
    assert tools.config().behaviour.temperature == DEFAULT_T  # restored


def test_the_values_are_restored_when_a_check_raises():
    with pytest.raises(RuntimeError), tools.at({"behaviour.temperature": 0.2}):
        raise RuntimeError("a check broke")
    assert tools.config().behaviour.temperature == DEFAULT_T


def test_the_command_runs_the_checks_at_the_values(capsys):
    """The logit check builds its cadres from the checks' config: its detail names T = 0.2."""
    code = main(["validate", "--fast", "--only", "logit_closed_form", "--set",
                 "behaviour.temperature=0.2", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["at"] == {"behaviour.temperature": 0.2}
    labels = " ".join(c["label"] for check in out["checks"] for c in check["conditions"])
    assert "T = 0.2:" in labels and f"T = {DEFAULT_T}:" not in labels


@pytest.mark.parametrize("flags, message", [
    (["--set", "behaviour.temprature=0.2"], "did you mean 'behaviour.temperature'"),
    (["--set", "behaviour.temperature=-1"], "allowed: a number from 0 to 10"),
    (["--set", "behaviour.temperature=0.2", "--check-report", "docs/validation.md"],
     "the report documents the checks at the defaults"),
    (["--set", "organisation.n_cadres=200"], "each check sets its own population and years"),
])
def test_bad_values_are_refused_before_any_check_runs(capsys, flags, message):
    assert main(["validate", "--fast", *flags]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "PASS" not in captured.out
