"""Hostile input to the config loader: every case ends in one short ConfigError, quickly.

Alias bombs, recursive aliases, duplicate keys, oversized files, unreadable paths, huge values
in error messages, overrides that break a rule, and NumPy or pandas scalars as values.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiments.engine.spec import load_spec
from simulation import ConfigError, load_config
from simulation.loading import (
    MAX_YAML_BYTES,
    MAX_YAML_VALUES,
    SHOWN_CHARS,
    known_paths,
    parse_assignment,
    parse_yaml,
    read_yaml,
    shown,
    validate_config,
)

#: A 589-byte "billion laughs": 9**9 strings once expanded.
BOMB = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(
            f"{n}: &{n} [{','.join([f'*{p}'] * 9)}]"
            for p, n in zip("abcdefgh", "bcdefghi", strict=True)
        ),
    ]
)
#: The longest message a refused input may produce: a header plus a few shortened lines.
MESSAGE_LIMIT = 1000


def error_of(call, *args, **kwargs) -> str:
    """The ConfigError message of ``call(*args, **kwargs)``, which must come within 15 s
    (a generous bound for a loaded machine: an alias bomb used to run for a minute)."""
    start = time.perf_counter()
    with pytest.raises(ConfigError) as caught:
        call(*args, **kwargs)
    assert time.perf_counter() - start < 15.0
    return str(caught.value)


# ---- YAML: aliases, duplicates, size -----------------------------------------------------------


def test_an_alias_bomb_is_refused_before_it_expands(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    message = error_of(load_config, path)
    assert f"more than {MAX_YAML_VALUES} values" in message
    assert "aliases" in message
    assert len(message) < MESSAGE_LIMIT


def test_an_alias_bomb_in_an_experiment_spec_is_refused_too(tmp_path):
    """experiments/engine/spec.py reads specs through simulation.loading.read_yaml."""
    path = tmp_path / "spec.yaml"
    path.write_text(f"name: x\nsteps: 3\n{BOMB}\n")
    message = error_of(load_spec, path)
    assert message.startswith("spec ")
    assert f"more than {MAX_YAML_VALUES} values" in message


def test_an_alias_bomb_in_a_set_value_is_refused():
    text = "seed=" + BOMB.replace("\n", ", ").replace(": &", ": &").join("{}")
    message = error_of(parse_assignment, text)
    assert "not valid YAML" in message
    assert len(message) < MESSAGE_LIMIT


def test_a_recursive_alias_is_refused():
    message = error_of(parse_yaml, "a: &a [1, *a]\n")
    assert "recursive alias" in message


def test_modest_anchors_and_merge_keys_still_work():
    data = parse_yaml(
        "defaults: &d {tolerance: 0.5, precision: 0.9}\n"
        "regime:\n  fault_tolerance:\n    <<: *d\n    tolerance: 0.7\n"
    )
    assert data["regime"]["fault_tolerance"] == {"tolerance": 0.7, "precision": 0.9}


def test_a_text_parsed_again_gives_a_fresh_copy_and_a_bad_one_fails_again(tmp_path):
    text = "regime:\n  fault_tolerance: {tolerance: 0.5}\nseed: 3\n"
    first = parse_yaml(text, "a.yaml")
    first["regime"]["fault_tolerance"]["tolerance"] = 0.9
    first["seed"] = 4
    assert parse_yaml(text, "a.yaml") == {"regime": {"fault_tolerance": {"tolerance": 0.5}},
                                          "seed": 3}
    # an edited file is read as it now is
    path = tmp_path / "preset.yaml"
    path.write_text(text)
    assert read_yaml(path)["seed"] == 3
    path.write_text(text.replace("seed: 3", "seed: 5"))
    assert read_yaml(path)["seed"] == 5
    for _ in range(2):  # errors are not kept: the second parse raises as the first did
        assert "duplicate key" in error_of(parse_yaml, "a: 1\na: 2\n")


def test_a_duplicate_key_is_an_error_naming_key_file_and_lines(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("organisation:\n  n_cadres: 100\nseed: 3\norganisation:\n  unit_size: 5\n")
    message = error_of(load_config, path)
    assert "dup.yaml" in message
    assert "duplicate key 'organisation'" in message
    assert "line 4" in message and "first given at line 1" in message


def test_a_duplicate_key_inside_a_section_is_an_error():
    message = error_of(parse_yaml, "regime:\n  promotion: {min_tenure: 2, min_tenure: 3}\n")
    assert "duplicate key 'min_tenure'" in message
    # 1 and true are different YAML keys but one Python key: one value would be lost.
    assert "duplicate key True" in error_of(parse_yaml, "1: a\ntrue: b\n")


def test_an_oversized_file_is_refused_without_reading_it_whole(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text("# " + "x" * MAX_YAML_BYTES + "\n")
    assert f"larger than {MAX_YAML_BYTES} bytes" in error_of(read_yaml, path)


def test_many_values_without_aliases_are_refused_without_blaming_aliases():
    text = "seed: [" + ",".join(["1"] * (MAX_YAML_VALUES + 1)) + "]\n"
    message = error_of(parse_yaml, text)
    assert f"more than {MAX_YAML_VALUES} values" in message
    assert "alias" not in message


def test_exponent_floats_without_a_dot_are_numbers():
    """YAML 1.1 reads 1e-3 as a string; configs, specs and --set read it as 0.001."""
    assert parse_yaml("a: 1e-3\nb: -2E+5\nc: 1e\nd: e5\n") == {
        "a": 0.001, "b": -200000.0, "c": "1e", "d": "e5",
    }
    config = load_config(None, ["population.risk_aversion_sd=1e-160"])
    assert config.population.risk_aversion_sd == 1e-160
    assert yaml.safe_load("a: 1e-3") == {"a": "1e-3"}  # PyYAML's own loader is untouched


def test_deep_nesting_is_a_config_error():
    assert "invalid YAML" in error_of(parse_yaml, "a: " + "[" * 5000 + "]" * 5000)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_device_is_not_read():
    assert "not a regular file" in error_of(load_config, "/dev/zero")


# ---- Paths ----------------------------------------------------------------------------------


def test_a_300_character_file_name_is_a_clean_error(tmp_path):
    message = error_of(load_config, tmp_path / ("x" * 300 + ".yaml"))
    assert "File name too long" in message or "no such file" in message
    assert len(message) < MESSAGE_LIMIT
    assert "x" * (SHOWN_CHARS + 1) not in message


def test_a_directory_is_a_clean_error(tmp_path):
    assert "is a directory" in error_of(load_config, tmp_path)
    assert "is a directory" in error_of(read_yaml, tmp_path)
    assert "is a directory" in error_of(load_spec, tmp_path)


def test_a_missing_file_and_a_nul_in_a_path_are_clean_errors(tmp_path):
    assert "no such file" in error_of(load_config, tmp_path / "missing.yaml")
    assert "no such file" in error_of(read_yaml, tmp_path / "missing.yaml")
    assert "NUL" in error_of(load_config, "a\0b.yaml")
    assert "allowed" in error_of(load_config, 3)


# ---- Messages never print a huge value --------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"seed": "9" * 100_000},
        {"seed": list(range(100_000))},
        {"organisation": {"n_cadres": "x" * 100_000}},
        {"k" * 100_000: 1},
        {"regime": {"promotion": {"m" * 100_000: 1}}},
        {"switch": "s" * 100_000},
    ],
    ids=["long-string", "long-list", "nested-string", "long-key", "long-nested-key", "switch"],
)
def test_error_messages_show_values_shortened(data):
    message = error_of(validate_config, data)
    assert len(message) < MESSAGE_LIMIT
    assert all(len(line) < 4 * SHOWN_CHARS for line in message.splitlines())


def test_shown_is_bounded_for_any_value():
    nested = [[list(range(1000))] * 1000] * 1000  # a billion elements if printed
    assert len(shown(nested)) <= SHOWN_CHARS
    assert len(shown("y" * 10**6)) <= SHOWN_CHARS
    assert shown(0.5) == "0.5"


def test_a_long_set_value_is_shown_shortened():
    message = error_of(load_config, None, [f"regime.fault_tolerance.tolerance={'9' * 100_000}"])
    assert len(message) < MESSAGE_LIMIT


# ---- Overrides are blamed for their own errors ------------------------------------------------


def test_an_out_of_range_set_is_blamed_on_the_set_not_the_file():
    message = error_of(load_config, "default", ["regime.fault_tolerance.tolerance=5"])
    assert message.startswith("--set regime.fault_tolerance.tolerance: got 5")
    assert "allowed: a number from 0 to 1" in message
    assert "default.yaml" not in message
    assert "is not valid" not in message


def test_a_mapping_override_is_blamed_as_an_override():
    message = error_of(load_config, None, {"organisation.n_cadres": 5})
    assert message.startswith("override organisation.n_cadres: got 5")
    assert "allowed: an integer from 20 to 10000000" in message


def test_an_override_breaking_a_cross_field_rule_is_named():
    message = error_of(load_config, "hubei_opinions", ["organisation.peers_in_unit=40"])
    assert message.startswith("--set organisation.peers_in_unit=40:")
    assert "must be smaller than unit_size" in message


def test_an_unknown_override_key_is_blamed_on_the_override():
    message = error_of(load_config, None, ["regime.fault_tolerance.tolerence=0.5"])
    assert message.startswith("--set regime.fault_tolerance.tolerence: unknown key")
    assert "did you mean 'regime.fault_tolerance.tolerance'" in message


def test_the_file_is_still_blamed_for_its_own_errors(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"regime": {"promotion": {"min_tenure": 99}}}))
    message = error_of(load_config, path, ["regime.fault_tolerance.tolerance=5"])
    assert f"config {str(path)!r} is not valid" in message
    assert "  - regime.promotion.min_tenure: got 99" in message
    assert "  - --set regime.fault_tolerance.tolerance: got 5" in message


def test_an_override_reaching_a_switch_copy_is_reported_once(tmp_path):
    path = tmp_path / "switch.yaml"
    path.write_text("switch: {step: 3, regime: {support: {care: 0.5}}}\n")
    message = error_of(load_config, path, ["regime.fault_tolerance.tolerance=5"])
    assert message.startswith("--set regime.fault_tolerance.tolerance: got 5")
    assert message.count("got 5") == 1


def test_an_override_may_repair_the_file(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump({"organisation": {"n_cadres": 10}}))
    assert load_config(path, ["organisation.n_cadres=40"]).organisation.n_cadres == 40


# ---- NumPy and pandas scalars -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("organisation.n_cadres", np.int64(500), 500),
        ("organisation.n_cadres", np.int32(300), 300),
        ("organisation.n_cadres", np.uint16(200), 200),
        ("organisation.n_cadres", pd.Series([400]).iloc[0], 400),
        ("organisation.n_cadres", pd.array([250], dtype="Int64")[0], 250),
        ("regime.fault_tolerance.tolerance", np.float32(0.5), 0.5),
        ("regime.fault_tolerance.tolerance", np.float64(0.25), 0.25),
        ("regime.fault_tolerance.tolerance", np.int64(1), 1.0),
        ("regime.fault_tolerance.tolerance", np.array(0.75), 0.75),
        ("name", np.str_("numpy"), "numpy"),
    ],
)
def test_numpy_and_pandas_scalars_are_taken_exactly(path, value, expected):
    config = load_config(None, {path: value})
    got = config
    for part in path.split("."):
        got = getattr(got, part)
    assert got == expected
    assert type(got) is type(expected)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("organisation.n_cadres", np.float64(500.0)),
        ("organisation.n_cadres", np.float64(2.5)),
        ("organisation.n_cadres", np.bool_(True)),
        ("organisation.n_cadres", True),
        ("organisation.n_cadres", pd.NA),
        ("organisation.n_cadres", np.array([500, 600])),
        ("regime.fault_tolerance.tolerance", np.bool_(False)),
        ("regime.fault_tolerance.tolerance", np.float64(1.5)),
    ],
)
def test_numpy_scalars_are_not_coerced_lossily(path, value):
    assert path in error_of(load_config, None, {path: value})


def test_numpy_scalars_work_on_assignment_too():
    config = load_config(None)
    config.organisation.n_cadres = np.int64(400)
    assert type(config.organisation.n_cadres) is int
    with pytest.raises(ValueError, match="valid integer"):
        config.organisation.n_cadres = np.float64(400.5)


# ---- Fuzz: any override ends in a config or one short ConfigError -----------------------------

override_keys = st.one_of(
    st.sampled_from(known_paths()),
    st.sampled_from(["", ".", "regime", "regime.", "switch.preset", "a" * 500, "seed.x"]),
    st.text(max_size=30),
)
override_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=50),
    st.lists(st.integers(), max_size=5),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.integers(-(2**31), 2**31 - 1).map(np.int64),
    st.integers(-(2**15), 2**15 - 1).map(np.int32),
    st.floats(allow_nan=True, width=32).map(np.float32),
    st.booleans().map(np.bool_),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=override_keys, value=override_values, as_text=st.booleans())
def test_any_override_gives_a_config_or_one_short_config_error(key, value, as_text):
    overrides = [f"{key}={value}"] if as_text else {key: value}
    try:
        config = load_config(None, overrides)
    except ConfigError as exc:
        assert len(str(exc)) < MESSAGE_LIMIT
    else:
        assert config.organisation.n_cadres >= 20
