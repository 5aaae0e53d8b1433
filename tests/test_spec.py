"""Experiment specs: strict validation with actionable errors, and their expansion into points
and run seeds exactly as docs/results-format.md says."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from experiments.cli import main
from experiments.engine.design import ConfigBuilder, expand, iter_runs, run_id, run_seed
from experiments.engine.plan import plan_sweep
from experiments.engine.spec import load_spec, parse_spec
from simulation.loading import ConfigError

TINY = {"name": "tiny", "steps": 4, "set": {"organisation.n_cadres": 60}}


def spec_error(data: dict) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_spec(data)
    return str(caught.value)


def write_spec(tmp_path: Path, text: str) -> str:
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


# --------------------------------------------------------------------------------------------
# Validation: every bad spec is exit code 2 with one line naming the field
# --------------------------------------------------------------------------------------------


def test_the_contract_example_spec_is_valid():
    text = (Path(__file__).parent.parent / "docs" / "results-format.md").read_text()
    block = re.search(r"```yaml\n(.*?)```", text, re.S).group(1)
    spec = parse_spec(yaml.safe_load(block))
    assert spec.regimes == ["seniority_baseline", "jilin_three_ups_downs"]
    assert len(plan_sweep(spec).points) == 2 * 4 * 5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: x\nsteps: 4\nreplication: 3\n", "did you mean 'replications'"),
        (
            "name: x\nsteps: 4\ndesign: {kind: grid, parameters: "
            "{regime.fault_tolerance.tolerence: [0.1, 0.2]}}\n",
            "did you mean 'regime.fault_tolerance.tolerance'",
        ),
        (
            "name: x\nsteps: 4\ndesign: {kind: grid, parameters: "
            "{regime.fault_tolerance.tolerance: [0.5, 1.5]}}\n",
            "regime.fault_tolerance.tolerance: got 1.5; allowed: a number from 0 to 1",
        ),
        (
            "name: x\nsteps: 4\ndesign: {kind: factorial, parameters: {}}\n",
            "design.kind: got 'factorial'; allowed: grid, lhs, sobol, morris, points",
        ),
        ("name: x\nsteps: [4\n", "invalid YAML at line"),
        (
            "name: x\nsteps: 4\ndesign: {kind: lhs, samples: 8, parameters: "
            "{organisation.n_cadres: [10, 100]}}\n",
            "organisation.n_cadres: got 10; allowed: an integer from 20 to 10000000",
        ),
    ],
    ids=["unknown-key", "unknown-path", "out-of-range", "bad-kind", "broken-yaml", "lhs-bound"],
)
def test_a_bad_spec_is_a_one_message_error_with_exit_code_2(tmp_path, capsys, text, expected):
    path = write_spec(tmp_path, text)
    assert main(["sweep", path, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err
    assert not (tmp_path / "results").exists()


def test_errors_name_the_field_the_value_and_what_is_allowed():
    message = spec_error({**TINY, "replications": 0, "burn_in": 4, "metrics": ["inacton"]})
    assert "replications: got 0" in message and "an integer from 1" in message
    message = spec_error({**TINY, "burn_in": 4, "metrics": ["inacton"], "series": ["bold"]})
    assert "burn_in: got 4; allowed: 0 to 3" in message
    assert "metrics.0: unknown metric 'inacton'; did you mean 'inaction'" in message
    assert "no such file and no such preset" in spec_error({**TINY, "regimes": ["hubei"]})
    assert "a folder-safe name" in spec_error({**TINY, "name": "../up"})


def test_seed_steps_and_sections_cannot_be_set_or_varied():
    message = spec_error({**TINY, "set": {"seed": 3, "regime": 1}})
    assert "set.seed: cannot be set by a spec" in message
    assert "set.regime: is a section" in message
    message = spec_error(
        {**TINY, "design": {"kind": "points", "points": [{"steps": 3, "name": 1}]}}
    )
    assert "design.points.0.steps: cannot be set" in message


def test_a_parameter_is_either_fixed_or_varied_not_both():
    message = spec_error({
        **TINY, "set": {"regime.support.care": 0.5},
        "design": {"kind": "grid", "parameters": {"regime.support.care": [0.1, 0.2]}},
    })
    assert "also fixed by set" in message


def test_int_fields_take_whole_numbers_only():
    grid = {"kind": "grid", "parameters": {"regime.promotion.min_tenure": [1, 2.5]}}
    message = spec_error({**TINY, "design": grid})
    assert "min_tenure: got 2.5; allowed: an integer from 0 to 20" in message


def test_sobol_samples_must_be_a_power_of_two():
    message = spec_error({**TINY, "design": {
        "kind": "sobol", "samples": 100, "parameters": {"regime.support.care": [0, 1]}}})
    assert "design.samples: got 100; allowed: a power of 2" in message


def test_design_points_whose_configs_are_invalid_are_refused_before_running():
    spec = parse_spec({**TINY, "design": {"kind": "points", "points": [
        {"behaviour.effort_formal": 0.2}, {"behaviour.effort_formal": 0.9}]}})
    expected = r"point 1 \(default; behaviour.effort_formal=0.9\): behaviour: efforts must"
    with pytest.raises(ConfigError, match=expected):
        plan_sweep(spec)


def test_load_spec_reads_yaml_files(tmp_path):
    path = write_spec(tmp_path, yaml.safe_dump({**TINY, "replications": 2}))
    spec = load_spec(path)
    assert spec.replications == 2
    assert spec.output_dir == str(Path.cwd() / "results" / "tiny")  # relative to the cwd


def test_the_spec_hash_ignores_key_order_but_not_values():
    a = parse_spec({**TINY, "replications": 2, "seed": 1})
    b = parse_spec({"seed": 1, "replications": 2, **TINY})
    c = parse_spec({**TINY, "replications": 3, "seed": 1})
    assert a.spec_hash() == b.spec_hash() != c.spec_hash()


# --------------------------------------------------------------------------------------------
# Expansion: points, seeds, configs
# --------------------------------------------------------------------------------------------


def test_grid_points_cross_regimes_outermost_with_values_and_ranges():
    spec = parse_spec({**TINY, "regimes": ["seniority_baseline", "hubei_opinions"], "design": {
        "kind": "grid", "parameters": {
            "regime.accountability.annual_evaluation": [0.1, 0.4],
            "regime.promotion.min_tenure": {"from": 0, "to": 4, "num": 3},
        }}})
    points = expand(spec).points
    assert len(points) == 2 * 2 * 3
    assert [p.point for p in points] == list(range(12))
    assert [p.regime for p in points[:6]] == ["seniority_baseline"] * 6
    assert [p.parameters["regime.accountability.annual_evaluation"] for p in points[:6]] == [
        0.1, 0.1, 0.1, 0.4, 0.4, 0.4]
    tenures = [p.parameters["regime.promotion.min_tenure"] for p in points[:3]]
    assert tenures == [0, 2, 4] and all(type(t) is int for t in tenures)


def test_lhs_is_stratified_within_bounds_and_reproducible_from_the_seed():
    design = {"kind": "lhs", "samples": 10, "parameters": {
        "regime.support.care": [0.2, 0.7], "regime.promotion.min_tenure": [0, 9]}}
    one = expand(parse_spec({**TINY, "design": design, "seed": 5})).points
    again = expand(parse_spec({**TINY, "design": design, "seed": 5})).points
    other = expand(parse_spec({**TINY, "design": design, "seed": 6})).points
    assert one == again and one != other
    care = np.array([p.parameters["regime.support.care"] for p in one])
    assert np.all((care >= 0.2) & (care <= 0.7))
    assert sorted(np.floor((care - 0.2) / 0.05).astype(int)) == list(range(10))  # one per bin
    assert all(type(p.parameters["regime.promotion.min_tenure"]) is int for p in one)


@pytest.mark.parametrize("second_order", [False, True])
def test_sobol_points_are_saltellis_sample_in_salib_order(second_order):
    from SALib.sample import sobol

    bounds = {"regime.support.care": [0.0, 1.0], "regime.fault_tolerance.tolerance": [0.2, 0.8]}
    spec = parse_spec({**TINY, "seed": 9, "design": {
        "kind": "sobol", "samples": 8, "second_order": second_order, "parameters": bounds}})
    plan = plan_sweep(spec)
    problem = {"num_vars": 2, "names": list(bounds), "bounds": list(bounds.values())}
    expected = sobol.sample(problem, 8, calc_second_order=second_order, seed=9)
    assert len(plan.points) == 8 * (2 * 2 + 2 if second_order else 2 + 2)
    got = np.array([list(p.parameters.values()) for p in plan.points])
    np.testing.assert_array_equal(got, expected)
    assert plan.design.info["problem"]["names"] == list(bounds)


def test_explicit_points_record_the_value_each_point_runs_with():
    spec = parse_spec({**TINY, "regimes": ["guangdong_three_distinctions"], "design": {
        "kind": "points", "points": [{"regime.fault_tolerance.tolerance": 0.1},
                                     {"regime.support.care": 0.5}]}})
    points = expand(spec).points
    assert points[0].parameters == {"regime.fault_tolerance.tolerance": 0.1,
                                    "regime.support.care": 0.0}
    assert points[1].parameters == {"regime.fault_tolerance.tolerance": 0.8,  # the preset's
                                    "regime.support.care": 0.5}


def test_run_seeds_follow_the_contract_and_ids_sort_in_run_order():
    spec = parse_spec({**TINY, "replications": 3, "seed": 42})
    runs = list(iter_runs(spec, 2))
    assert [r.run_id for r in runs] == sorted(r.run_id for r in runs)
    assert runs[4].run_id == run_id(1, 1) == "p00001-r0001"
    # Common random numbers: replicate r of every point has the same seed.
    expected = np.random.SeedSequence(42, spawn_key=(1,)).generate_state(1)[0]
    assert runs[4].seed == run_seed(42, 1, 1) == int(expected)
    assert [r.seed for r in runs[:3]] == [r.seed for r in runs[3:]]
    assert len({r.seed for r in runs[:3]}) == 3
    # Opting out gives every run its own seed, keyed by (point, replicate).
    own = list(iter_runs(parse_spec({**TINY, "replications": 3, "seed": 42,
                                     "common_random_numbers": False}), 2))
    independent = np.random.SeedSequence(42, spawn_key=(1, 1)).generate_state(1)[0]
    assert own[4].seed == run_seed(42, 1, 1, common=False) == int(independent)
    assert len({r.seed for r in own}) == len(own)


def test_point_configs_layer_base_preset_set_switch_and_parameters():
    spec = parse_spec({
        **TINY, "regimes": ["hubei_opinions"], "set": {"organisation.n_cadres": 80},
        "switch": {"step": 2, "regime": {"support": {"care": 0.4}}},
        "design": {"kind": "grid", "parameters": {"regime.promotion.min_tenure": [1]}},
    })
    builder = ConfigBuilder(spec)
    point = expand(spec, builder).points[0]
    config = builder.config(point.regime, point.parameters)
    assert config.name == "hubei_opinions" and config.steps == 4
    assert config.organisation.n_cadres == 80
    assert config.regime.promotion.min_tenure == 1
    hubei = ConfigBuilder(parse_spec({**TINY, "regimes": ["hubei_opinions"]}))
    preset = hubei.config("hubei_opinions", {})
    assert config.regime.evaluation == preset.regime.evaluation  # the preset's regime
    assert config.switch.step == 2 and config.switch.regime.support.care == 0.4
    assert config.switch.regime.promotion.min_tenure == 1  # switches from the varied regime
