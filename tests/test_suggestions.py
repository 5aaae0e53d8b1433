"""Mistyped names get suggestions: presets, subcommands; a NaN or a float where a whole number
belongs is named as what it is."""

from __future__ import annotations

import pytest

from experiments.cli import main
from experiments.engine.spec import parse_spec
from simulation.loading import ConfigError
from simulation.suggest import close_names


@pytest.mark.parametrize(("typed", "meant"), [
    ("hubei", "hubei_opinions"),  # typed short: a prefix, too short for difflib alone
    ("guangdong", "guangdong_three_distinctions"),
    ("strict_acountability", "strict_accountability"),  # a letter dropped
    ("seniority", "seniority_baseline"),
    ("accountability", "strict_accountability"),  # a whole part of the name
])
def test_a_mistyped_preset_is_refused_with_the_preset_meant(typed, meant, capsys):
    assert main(["run", typed]) == 2
    err = capsys.readouterr().err
    head, _, presets = err.partition("Presets:")
    assert f"did you mean {meant}" in head.lower()
    assert "care_and_training" in presets  # the whole list still follows


def test_a_name_like_no_preset_gets_the_list_and_no_suggestion(capsys):
    assert main(["run", "qqqq"]) == 2
    err = capsys.readouterr().err
    assert "did you mean" not in err.lower() and "hubei_opinions" in err


@pytest.mark.parametrize(("typed", "meant"), [
    ("swep", "sweep"), ("analyse", "analyze"), ("vaildate", "validate"), ("regime", "regimes"),
    ("calib", "calibrate"),
])
def test_a_mistyped_command_says_did_you_mean(typed, meant, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([typed, "configs/default.yaml"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"unknown command {typed!r}; did you mean {meant}?" in err


def test_an_unknown_command_like_none_lists_the_commands(capsys):
    with pytest.raises(SystemExit):
        main(["zzz"])
    err = capsys.readouterr().err
    assert "unknown command 'zzz'; commands: run, regimes, sweep" in err


def test_options_before_a_command_still_work(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0


def test_close_names_puts_the_names_begun_first_and_ignores_an_exact_or_empty_word():
    names = ["run", "regimes", "sweep"]
    assert close_names("re", names) == ["regimes"]
    assert close_names("", names) == []
    assert close_names("run", names) == []  # nothing to suggest for a known name


@pytest.mark.parametrize("value", [".nan", ".NaN"])
def test_a_nan_value_is_named_not_a_number(value, capsys):
    assert main(["run", "default", "--set", f"regime.fault_tolerance.tolerance={value}"]) == 2
    err = capsys.readouterr().err
    assert "got nan (not a number); allowed: a number from 0 to 1" in err
    assert "less than or equal" not in err


def test_an_infinite_value_is_named_not_finite(capsys):
    assert main(["run", "default", "--set", "regime.fault_tolerance.tolerance=-.inf"]) == 2
    assert "(not a finite number)" in capsys.readouterr().err


def test_a_nan_in_a_config_file_is_named_not_a_number(tmp_path, capsys):
    path = tmp_path / "nan.yaml"
    path.write_text("regime:\n  fault_tolerance:\n    tolerance: .nan\n")
    assert main(["run", str(path)]) == 2
    assert "regime.fault_tolerance.tolerance: got nan (not a number)" in capsys.readouterr().err


@pytest.mark.parametrize(("typed", "write"), [("1e3", "1000"), ("1000.0", "1000"),
                                              ("2.5e3", "2500")])
def test_a_whole_number_written_as_a_float_says_how_to_write_it(typed, write, capsys):
    assert main(["run", "default", "--set", f"organisation.n_cadres={typed}"]) == 2
    err = capsys.readouterr().err
    assert f"write {write})" in err and "an integer from 20" in err


def test_a_fraction_where_a_whole_number_belongs_keeps_pydantics_words(capsys):
    assert main(["run", "default", "--set", "organisation.n_cadres=1000.5"]) == 2
    err = capsys.readouterr().err
    assert "write" not in err and "valid integer" in err


def test_a_spec_gets_the_same_words():
    with pytest.raises(ConfigError, match=r"steps: got 20\.0 \(a whole number written as a "
                       r"decimal or with an exponent: write 20\)"):
        parse_spec({"name": "t", "steps": 20.0})
