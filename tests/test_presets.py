"""Every preset regime loads, runs, reports a consistent summary, and documents its sources."""

from __future__ import annotations

import json
import re

import pytest

from experiments.cli import main
from simulation import CadreModel, ModelConfig, list_presets, load_config
from simulation.loading import preset_dir, read_yaml

PRESETS = sorted(list_presets())
REQUIRED_KINDS = [
    "seniority", "strict", "hubei", "jilin", "nanyang", "huzhou", "guangdong", "comprehensive",
]


def leaves(data: dict, prefix: str = "") -> dict[str, object]:
    out = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out |= leaves(value, f"{prefix}{key}.")
        else:
            out[f"{prefix}{key}"] = value
    return out


def test_the_required_presets_exist():
    assert len(PRESETS) >= 8
    for kind in REQUIRED_KINDS:
        assert any(kind in name for name in PRESETS), f"no preset for {kind!r}: {PRESETS}"


@pytest.mark.parametrize("name", PRESETS)
def test_preset_header_traces_every_non_default_value_to_a_seed(name):
    path = preset_dir() / f"{name}.yaml"
    header = "\n".join(
        line for line in path.read_text().splitlines() if line.lstrip().startswith("#")
    )
    defaults = leaves(ModelConfig().model_dump())
    set_here = {
        k: v for k, v in leaves(read_yaml(path)).items() if k not in ("name", "description")
    }
    assert set_here, "a preset that changes nothing"
    for key, value in set_here.items():
        assert value != defaults[key], f"{key} is set to its default; leave it out"
        lines = [ln for ln in header.splitlines() if key in ln]
        assert lines, f"{name}: header comment does not trace {key}"
        assert any(re.search(r"seed\s*0\d\d", ln) for ln in lines), (
            f"{name}: the header line for {key} names no seed text (seed 000-004)"
        )


@pytest.mark.parametrize("name", PRESETS)
def test_preset_runs_and_its_split_adds_up(name, capsys):
    assert main(["run", name, "--steps", "5", "--set", "organisation.n_cadres=300", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["config"] == name
    total = record["unwilling"] + record["unable"] + record["afraid"]
    assert total == pytest.approx(record["inaction"], abs=1e-12)
    assert 0.0 <= record["inaction"] <= 1.0


@pytest.mark.parametrize("name", PRESETS)
def test_preset_smoke_run_collects_ten_steps(name):
    config = load_config(name, {"organisation.n_cadres": 200})
    table = CadreModel(config, seed=7).run(10)
    assert len(table) == 10
    assert table.drop(columns=["regime"]).notna().all().all()
