"""Sweeps under a calibrated status quo: a spec's ``posterior`` draws one particle per replicate,
by weight, the same for every regime; runs record it; bad posteriors are refused clearly."""

from __future__ import annotations

import json
from concurrent.futures import Executor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from experiments.cli import main
from experiments.engine.design import run_seed
from experiments.engine.executors import SerialExecutor
from experiments.engine.posterior import draw_particle
from experiments.engine.spec import parse_spec
from experiments.engine.sweep import run_sweep
from simulation import CadreModel, load_config
from simulation.loading import ConfigError
from tests.helpers import KilledAfter

#: A tiny posterior: four particles, the last never drawn (weight 0).
PARTICLES = pd.DataFrame({
    "behaviour.temperature": [0.05, 0.1, 0.2, 0.4],
    "population.risk_aversion_mean": [0.5, 1.0, 2.0, 3.0],
    "weight": [0.2, 0.3, 0.5, 0.0],
    "generation": [3, 3, 3, 3],
})


def write_posterior(folder: Path, table: pd.DataFrame = PARTICLES) -> Path:
    """A calibration-like folder holding ``posterior.parquet``."""
    folder.mkdir(parents=True, exist_ok=True)
    table.to_parquet(folder / "posterior.parquet", index=False)
    return folder


def spec_data(tmp_path: Path, name: str = "calibrated", **fields) -> dict:
    """Two regimes x 5 replicates (10 runs) of 40 cadres for 5 years, under the posterior."""
    return {
        "name": name,
        "regimes": ["default", "strict_accountability"],
        "set": {"organisation.n_cadres": 40},
        "replications": 5,
        "steps": 5,
        "burn_in": 1,
        "metrics": ["inaction", "afraid"],
        "seed": 21,
        "posterior": str(write_posterior(tmp_path / "calibration")),
        "output": str(tmp_path / name),
        **fields,
    }


def sweep(tmp_path: Path, executor: Executor | None = None, **fields) -> pd.DataFrame:
    spec = parse_spec(spec_data(tmp_path, **fields))
    run_sweep(spec, executor or SerialExecutor(), progress=False)
    return read_runs(Path(spec.output_dir))


def read_runs(out: Path) -> pd.DataFrame:
    runs = pd.read_parquet(out / "runs").drop(columns="seconds")
    return runs.sort_values("run_id", ignore_index=True)


def test_particles_are_drawn_in_proportion_to_their_weights():
    weights = np.array([0.1, 0.0, 0.6, 0.3])
    draws = [draw_particle(weights, seed=5, replicate=r) for r in range(4000)]
    counts = np.bincount(draws, minlength=4)
    assert counts[1] == 0  # weight 0: never drawn
    kept = weights > 0
    _, p_value = stats.chisquare(counts[kept], 4000 * weights[kept])
    assert p_value > 0.001
    assert draw_particle(weights, 5, 7) == draws[7]  # a pure function of (seed, replicate)


def test_every_regime_runs_replicate_r_on_the_same_particle_and_seed(tmp_path):
    runs = sweep(tmp_path)
    assert len(runs) == 10 and (runs["status"] == "ok").all()
    by_replicate = runs.groupby("replicate")
    assert (by_replicate["particle"].nunique() == 1).all()
    assert (by_replicate["seed"].nunique() == 1).all()
    assert set(runs["particle"]) <= {0, 1, 2}  # particle 3 has weight 0
    assert runs["particle"].tolist()[:5] == [
        draw_particle(np.array([0.2, 0.3, 0.5, 0.0]), 21, r) for r in range(5)
    ]


def test_a_run_simulates_the_regime_with_its_particles_values(tmp_path):
    runs = sweep(tmp_path)
    row = runs[runs["regime"] == "strict_accountability"].iloc[2]
    particle = PARTICLES.iloc[int(row["particle"])]
    config = load_config("strict_accountability", {
        "organisation.n_cadres": 40,
        "behaviour.temperature": float(particle["behaviour.temperature"]),
        "population.risk_aversion_mean": float(particle["population.risk_aversion_mean"]),
    })
    table = CadreModel(config, seed=run_seed(21, 1, 2)).run(5)
    assert row["inaction"] == pytest.approx(table["inaction"].to_numpy()[1:].mean())
    assert row["afraid"] == pytest.approx(table["afraid"].to_numpy()[1:].mean())


def test_the_manifest_records_the_posterior_and_each_runs_particle(tmp_path):
    runs = sweep(tmp_path)
    manifest = json.loads((tmp_path / "calibrated" / "manifest.json").read_text())
    entry = manifest["posterior"]
    assert entry["particles"] == 4
    assert entry["parameters"] == ["behaviour.temperature", "population.risk_aversion_mean"]
    drawn = set(runs["particle"])
    assert {int(k) for k in entry["drawn"]} == drawn
    for k in drawn:
        assert entry["drawn"][str(k)]["behaviour.temperature"] == PARTICLES.iloc[k, 0]
    record = manifest["runs"]["p00001-r0003"]
    assert record["particle"] == runs.set_index("run_id").loc["p00001-r0003", "particle"]
    assert manifest["spec"]["posterior"] == str(tmp_path / "calibration")


def test_a_posterior_sweep_is_deterministic_given_its_seed(tmp_path):
    first = sweep(tmp_path / "a")
    again = sweep(tmp_path / "b")
    pd.testing.assert_frame_equal(first, again)
    other = sweep(tmp_path / "c", seed=22, replications=12)
    assert other["particle"].tolist() != first["particle"].tolist()[:12]


def test_a_killed_posterior_sweep_resumes_to_the_uninterrupted_results(tmp_path):
    whole = sweep(tmp_path / "whole")
    spec = parse_spec(spec_data(tmp_path / "killed"))
    with pytest.raises(KeyboardInterrupt):
        run_sweep(spec, KilledAfter(3), progress=False, chunk_size=2, parallelism=1)
    done = len(read_runs(Path(spec.output_dir)))
    assert 0 < done < 10
    resumed = KilledAfter(100)
    run_sweep(spec, resumed, progress=False, chunk_size=2)
    runs = sum(len(chunk) for chunk, *_ in resumed.submitted)
    assert runs == 10 - done  # only the missing runs ran
    pd.testing.assert_frame_equal(read_runs(Path(spec.output_dir)), whole)


def test_a_changed_posterior_file_is_refused_on_resume(tmp_path):
    sweep(tmp_path)
    data = spec_data(tmp_path)  # writes the original posterior again
    changed = PARTICLES.assign(**{"behaviour.temperature": [0.06, 0.11, 0.21, 0.41]})
    write_posterior(tmp_path / "calibration", changed)
    spec = parse_spec(data)
    with pytest.raises(ConfigError, match="different configs"):
        run_sweep(spec, SerialExecutor(), progress=False)


def test_a_spec_without_posterior_keeps_its_hash():
    data = {"name": "x", "steps": 5}
    assert "posterior" not in parse_spec(data).as_data()
    assert parse_spec(data).spec_hash() == parse_spec({**data, "posterior": None}).spec_hash()


def problems(tmp_path: Path, **fields) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_spec(spec_data(tmp_path, **fields))
    return str(caught.value)


def test_a_missing_posterior_names_the_field_the_value_and_what_is_allowed(tmp_path):
    message = problems(tmp_path, posterior=str(tmp_path / "nowhere"))
    assert "posterior: got" in message and "nowhere" in message
    assert "no such file or folder" in message and "allowed: a calibration folder" in message
    (tmp_path / "empty").mkdir()
    assert "a folder without posterior.parquet" in problems(tmp_path,
                                                            posterior=str(tmp_path / "empty"))
    (tmp_path / "text.parquet").write_text("not parquet")
    assert "cannot be read as Parquet" in problems(tmp_path,
                                                   posterior=str(tmp_path / "text.parquet"))


@pytest.mark.parametrize(("column", "values", "expected"), [
    ("regime.fault_tolerance.tolerance", [0.1, 0.2, 0.3, 0.4],
     "column 'regime.fault_tolerance.tolerance': a policy lever; allowed: behavioural"),
    ("behaviour.temprature", [0.1, 0.2, 0.3, 0.4], "did you mean"),
    ("behaviour.temperature", [0.1, 0.2, -0.3, 0.4],
     "column 'behaviour.temperature': got -0.3; allowed:"),
    ("behaviour.temperature", ["a", "b", "c", "d"],
     "values; allowed: numbers"),
    ("behaviour.temperature", [0.1, np.nan, 0.3, 0.4],
     "column 'behaviour.temperature', row 1: got nan; allowed: a finite number"),
    ("weight", [0.5, -0.1, 0.3, 0.3], "column 'weight', row 1: got -0.1; allowed:"),
    ("weight", [0.0, 0.0, 0.0, 0.0], "all weights are 0"),
])
def test_a_bad_posterior_column_is_named_with_its_value(tmp_path, column, values, expected):
    table = PARTICLES.assign(**{column: values})
    folder = write_posterior(tmp_path / "bad", table)
    assert expected in problems(tmp_path, posterior=str(folder))


def test_a_drawn_parameter_cannot_also_be_set_or_varied(tmp_path):
    message = problems(tmp_path, set={"behaviour.temperature": 0.2})
    assert "column 'behaviour.temperature': also fixed by set; draw it or fix it" in message
    varied = {"kind": "grid", "parameters": {"population.risk_aversion_mean": [1.0, 2.0]}}
    message = problems(tmp_path, design=varied)
    assert "also varied by the design; draw it or vary it" in message


def test_cadresim_sweep_reports_a_bad_posterior_and_exits_2(tmp_path, capsys):
    import yaml

    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec_data(tmp_path, posterior="no/such/calibration")))
    assert main(["sweep", str(path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "posterior: got 'no/such/calibration'" in err and "cadresim calibrate" in err


def test_analyze_reports_the_share_of_draws_each_regime_beats_the_reference(tmp_path, capsys):
    runs = sweep(tmp_path, smallest_effect={"inaction": 0.02})
    assert main(["analyze", str(tmp_path / "calibrated")]) == 0
    assert "Robustness across 5 posterior draws" in capsys.readouterr().out
    table = pd.read_csv(tmp_path / "calibrated" / "analysis" / "robustness.csv")
    row = table.set_index("regime").loc["strict_accountability"]
    wide = runs.pivot(index="replicate", columns="regime", values="inaction")
    gain = wide["default"] - wide["strict_accountability"]
    assert row["share_better"] == pytest.approx(float((gain > 0.02).mean()))
    assert row["share_worse"] == pytest.approx(float((gain < -0.02).mean()))
    assert row["reference"] == "default" and row["draws"] == 5


def test_a_sweep_without_posterior_has_no_robustness_table(tmp_path):
    sweep(tmp_path, posterior=None)
    assert main(["analyze", str(tmp_path / "calibrated")]) == 0
    assert not (tmp_path / "calibrated" / "analysis" / "robustness.csv").exists()


def test_the_shipped_calibrated_comparison_compares_every_preset_under_a_posterior(tmp_path):
    import yaml

    from simulation.loading import list_presets

    path = Path(__file__).resolve().parent.parent / "configs" / "experiments" / (
        "calibrated_regime_comparison.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["posterior"] == "configs/posteriors/status_quo_2018.parquet"  # shipped by make
    spec = parse_spec({**data, "posterior": str(write_posterior(tmp_path / "fit"))})
    assert set(spec.regimes) == {"default", *list_presets()}
    missing = {**data, "posterior": str(tmp_path / "no-calibration-yet")}
    with pytest.raises(ConfigError, match="run `cadresim calibrate` first"):
        parse_spec(missing)
