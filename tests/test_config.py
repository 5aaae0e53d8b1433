"""Config loading: defaults, presets, overrides and clean errors for every kind of bad input."""

from __future__ import annotations

import contextlib
import math
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import ConfigError, ModelConfig, load_config
from simulation.loading import (
    allowed_values,
    config_dir,
    field_info,
    iter_fields,
    known_paths,
    parse_yaml,
    read_yaml,
    validate_config,
)

NUMERIC_FIELDS = [
    (path, info)
    for path, info in iter_fields()
    if info.annotation in (int, float) and not path.startswith("switch.")
]


def bounds(info):
    lo = hi = None
    for meta in info.metadata:
        lo = getattr(meta, "ge", None) if getattr(meta, "ge", None) is not None else lo
        lo = getattr(meta, "gt", None) if getattr(meta, "gt", None) is not None else lo
        hi = getattr(meta, "le", None) if getattr(meta, "le", None) is not None else hi
        hi = getattr(meta, "lt", None) if getattr(meta, "lt", None) is not None else hi
    return lo, hi


def nested(path: str, value) -> dict:
    out = value
    for part in reversed(path.split(".")):
        out = {part: out}
    return out


def test_every_numeric_field_has_a_documented_range_and_unit():
    for path, info in NUMERIC_FIELDS:
        lo, hi = bounds(info)
        assert lo is not None and hi is not None, path
        assert info.description, path
        assert info.title, path


def test_default_yaml_equals_the_built_in_defaults():
    from_file = load_config(config_dir() / "default.yaml")
    assert from_file.model_dump(exclude={"name"}) == ModelConfig().model_dump(exclude={"name"})


def test_dotted_overrides_reach_the_field():
    cfg = load_config(None, ["regime.promotion.min_tenure=2", "organisation.n_cadres=300"])
    assert cfg.regime.promotion.min_tenure == 2
    assert cfg.organisation.n_cadres == 300
    cfg = load_config(None, {"regime.fault_tolerance.tolerance": 0.7})
    assert cfg.regime.fault_tolerance.tolerance == 0.7


def test_switch_fills_the_full_regime_from_base_preset_and_overrides(tmp_path):
    path = tmp_path / "switch.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "regime": {"accountability": {"annual_evaluation": 0.6}},
                "switch": {"step": 15, "regime": {"fault_tolerance": {"tolerance": 0.7}}},
            }
        )
    )
    cfg = load_config(path)
    assert cfg.switch.step == 15
    # Unchanged levers carry over from the base regime; the override applies on top.
    assert cfg.switch.regime.accountability.annual_evaluation == 0.6
    assert cfg.switch.regime.fault_tolerance.tolerance == 0.7
    assert cfg.regime.fault_tolerance.tolerance == 0.0


def test_switch_to_a_preset_adopts_that_preset(tmp_path):
    presets = sorted((config_dir() / "regimes").glob("*.yaml"))
    if not presets:
        pytest.skip("no presets yet")
    name = presets[0].stem
    preset_regime = load_config(name).regime
    path = tmp_path / "switch.yaml"
    path.write_text(yaml.safe_dump({"switch": {"step": 3, "preset": name}}))
    cfg = load_config(path)
    assert cfg.switch.regime == preset_regime
    assert cfg.switch.label == name


@pytest.mark.parametrize(("path", "info"), NUMERIC_FIELDS, ids=[p for p, _ in NUMERIC_FIELDS])
def test_out_of_range_values_name_field_value_and_allowed_range(path, info):
    _lo, hi = bounds(info)
    bad = hi + (1 if info.annotation is int else 0.5 + abs(hi))
    with pytest.raises(ConfigError) as err:
        validate_config(nested(path, bad))
    text = str(err.value)
    assert path in text
    assert repr(bad) in text
    assert f"allowed: {allowed_values(info)}" in text


def test_unknown_keys_are_errors_with_suggestions():
    with pytest.raises(ConfigError, match=r"regime\.promotion\.min_tenur: unknown key; did you "
                       r"mean 'regime\.promotion\.min_tenure'"):
        validate_config({"regime": {"promotion": {"min_tenur": 3}}})
    with pytest.raises(ConfigError, match="allowed at the top level"):
        validate_config({"bogus": 1})


def test_wrong_types_are_not_coerced():
    for value in ["0.5", True, [0.5], {"x": 1}]:
        with pytest.raises(ConfigError, match=r"regime\.fault_tolerance\.tolerance"):
            validate_config({"regime": {"fault_tolerance": {"tolerance": value}}})
    with pytest.raises(ConfigError, match=r"organisation\.n_cadres"):
        validate_config({"organisation": {"n_cadres": 500.5}})


def test_cross_field_rules_are_checked():
    with pytest.raises(ConfigError, match="peers_in_unit"):
        validate_config({"organisation": {"unit_size": 5, "peers_in_unit": 5}})
    with pytest.raises(ConfigError, match="entry_age"):
        validate_config({"population": {"entry_age_min": 35, "entry_age_max": 30}})
    with pytest.raises(ConfigError, match="effort"):
        validate_config({"behaviour": {"effort_formal": 0.9}})


def test_yaml_object_tags_construct_nothing(tmp_path):
    marker = tmp_path / "pwned"
    for tag in [
        f'!!python/object/apply:os.system ["touch {marker}"]',
        "!!python/name:os.system",
        "!!python/object/new:builtins.dict {}",
        "!custom 3",
    ]:
        with pytest.raises(ConfigError, match="invalid YAML"):
            parse_yaml(f"seed: {tag}\n")
    assert not marker.exists()


def test_unreadable_and_non_mapping_files_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="no such file and no such preset"):
        load_config(tmp_path / "missing.yaml")
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_config(tmp_path / "list.yaml")
    (tmp_path / "bin.yaml").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ConfigError):
        read_yaml(tmp_path / "bin.yaml")


def test_field_info_finds_leaves_and_rejects_unknown_paths():
    assert field_info("regime.promotion.min_tenure").annotation is int
    with pytest.raises(ConfigError):
        field_info("regime.promotion.nope")


# ---- Hypothesis: malformed configs of every kind end in ConfigError, never anything else ----

leaf_paths = st.sampled_from([p for p in known_paths() if not p.startswith("switch.")])
wrong_values = st.one_of(
    st.text(max_size=8),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**12), max_value=10**12),
)


def _is_valid_for(path: str, value) -> bool:
    info = field_info(path)
    if info.annotation is str:
        return isinstance(value, str)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if info.annotation is int and not isinstance(value, int):
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False
    lo, hi = bounds(info)
    return lo <= value <= hi


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=leaf_paths, value=wrong_values)
def test_any_bad_value_ends_in_a_config_error_naming_the_field(path, value):
    data = nested(path, value)
    if _is_valid_for(path, value):
        with contextlib.suppress(ConfigError):  # a valid value may break a cross-field rule
            validate_config(data)
        return
    with pytest.raises(ConfigError) as err:
        validate_config(data)
    assert path in str(err.value)


@settings(max_examples=100, deadline=None)
@given(
    section=st.sampled_from(["", "regime.", "regime.promotion.", "organisation.", "behaviour."]),
    key=st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12),
)
def test_unknown_keys_anywhere_are_config_errors(section, key):
    path = f"{section}{key}"
    if path in known_paths() or path.rstrip(".") in {
        p.rsplit(".", 1)[0] for p in known_paths()
    } | {p.split(".")[0] for p in known_paths()}:
        return
    with pytest.raises(ConfigError, match="unknown key"):
        validate_config(nested(path, 1))


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200))
def test_arbitrary_text_either_loads_or_is_a_config_error(text):
    try:
        data = parse_yaml(text)
        validate_config(data)
    except ConfigError:
        pass


def _mutations():
    base = Path(__file__).resolve().parent.parent / "configs" / "default.yaml"
    source = base.read_text()
    return st.tuples(
        st.integers(min_value=0, max_value=len(source)),
        st.sampled_from(["{", "}", "[", ":", "\t", "- ", "!!", "&a", "*b", "'", '"', "%", "\n  x"]),
    ).map(lambda m: source[: m[0]] + m[1] + source[m[0] :])


@settings(max_examples=150, deadline=None)
@given(text=_mutations())
def test_broken_yaml_of_a_real_config_is_a_config_error_or_still_valid(text):
    with contextlib.suppress(ConfigError):
        validate_config(parse_yaml(text))
