"""The cadresim command: summaries, JSON, per-step output, and clean errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiments.cli import main
from simulation.loading import known_paths

CONFIG = Path("configs/default.yaml").resolve()
SMALL = ["--set", "organisation.n_cadres=200", "--steps", "6"]


def test_run_prints_a_readable_summary(capsys):
    assert main(["run", "configs/default.yaml", *SMALL, "--seed", "3"]) == 0
    out = capsys.readouterr().out
    for label in ["Inaction rate, final year", "lying flat", "false action", "avoidance",
                  "unwilling", "unable", "afraid", "survey 51.8%",
                  "Bold work", "Wrongful sanctions", "Shielded violations", "Meritocracy"]:
        assert label in out


def test_json_summary_is_one_object_whose_split_adds_up(capsys):
    assert main(["run", "configs/default.yaml", *SMALL, "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["n_cadres"] == 200 and record["steps"] == 6
    split = record["unwilling"] + record["unable"] + record["afraid"]
    assert split == pytest.approx(record["inaction"], abs=1e-12)


def test_json_names_and_units_are_the_parquet_columns(tmp_path, capsys):
    target = tmp_path / "run.parquet"
    args = ["run", "configs/default.yaml", *SMALL, "--burn-in", "2", "--json"]
    assert main([*args, "--out", str(target)]) == 0
    record = json.loads(capsys.readouterr().out)
    table = pd.read_parquet(target)
    kept = table.iloc[2:]  # burn-in 2: years 3-6
    for name in ("inaction", "wrongful_sanctions", "bold", "meritocracy"):
        assert record[name] == pytest.approx(kept[name].mean(), abs=1e-12)
    assert record["final_inaction"] == pytest.approx(table["inaction"].iloc[-1], abs=1e-12)
    # An event rate is stored as a share, and shown per 1 000 cadres a year beside it.
    assert record["units"]["wrongful_sanctions"] == {
        "unit": "share", "scale": 1000.0, "shown_unit": "per 1 000 cadres a year"}
    assert record["shown"]["wrongful_sanctions"] == pytest.approx(
        1000 * record["wrongful_sanctions"])
    assert record["shown"]["inaction"] == record["inaction"]
    assert not {"mean_inaction", "wrongful_sanctions_per_1000"} & set(record)
    assert set(record["units"]) == set(record["shown"])
    assert set(record["units"]) - {"final_inaction", "afraid_share", "reason_afraid_share",
                                   "reason_unable_share"} <= set(table.columns)


@pytest.mark.parametrize(("args", "burn_in", "default", "years"), [
    ([], 10, True, "years 11-30"),  # the sweeps' default
    (["--steps", "6"], 3, True, "years 4-6"),  # half of a short run
    (["--burn-in", "0"], 0, False, "years 1-30"),
])
def test_every_run_summary_states_its_burn_in(args, burn_in, default, years, capsys):
    run = ["run", "default", "--set", "organisation.n_cadres=100", *args]
    assert main([*run, "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert (record["burn_in"], record["burn_in_default"]) == (burn_in, default)
    assert main(run) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert f"means over {years} (burn-in {burn_in}{', the default' if default else ''})" in header


def test_the_run_default_burn_in_is_the_sweeps():
    from experiments.engine.spec import parse_spec

    assert parse_spec({"name": "t", "steps": 30}).burn_in == 10
    assert parse_spec({"name": "t", "steps": 6}).burn_in == 3
    assert parse_spec({"name": "t", "steps": 30, "burn_in": 0}).burn_in == 0


def test_same_seed_same_json_different_seed_different_json(capsys):
    outs = []
    for seed in ["1", "1", "2"]:
        main(["run", "configs/default.yaml", *SMALL, "--json", "--seed", seed])
        outs.append(capsys.readouterr().out)
    assert outs[0] == outs[1]
    assert outs[0] != outs[2]


def test_out_writes_the_per_step_table(tmp_path, capsys):
    target = tmp_path / "run.parquet"
    assert main(["run", "configs/default.yaml", *SMALL, "--out", str(target)]) == 0
    table = pd.read_parquet(target)
    assert list(table["step"]) == list(range(1, 7))
    assert {"inaction", "unwilling", "unable", "afraid", "formalism"} <= set(table.columns)
    assert not list(tmp_path.glob(".*tmp"))  # no temporary file left behind


def test_out_into_a_missing_folder_creates_it_and_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a fresh clone: no results/ folder yet
    assert main(["run", str(CONFIG), *SMALL, "--out", "results/run.parquet"]) == 0
    captured = capsys.readouterr()
    assert "created folder 'results'" in captured.err
    assert "per-step table written to results/run.parquet" in captured.out
    assert len(pd.read_parquet(tmp_path / "results" / "run.parquet")) == 6
    assert main(["run", str(CONFIG), *SMALL, "--json", "--out", "a/b/run.parquet"]) == 0
    captured = capsys.readouterr()
    json.loads(captured.out)  # stdout stays one JSON object
    assert "created folder 'a/b'" in captured.err and (tmp_path / "a" / "b").is_dir()


@pytest.mark.parametrize(("out", "problem"), [
    ("", "a path ending in .parquet"),
    ("res\tx/run.parquet", "control characters"),
    ("res/\x1b[31mred.parquet", "control characters"),
    ("file.txt/run.parquet", "is a file, not a folder"),
])
def test_out_paths_that_cannot_be_written_are_refused_before_the_run(out, problem, tmp_path,
                                                                     capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file.txt").write_text("x")
    assert main(["run", str(CONFIG), *SMALL, "--out", out]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and problem in err and "\x1b" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]  # no folder made


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--set", "regime.promotion.min_tenure=-1"], "regime.promotion.min_tenure: got -1"),
        (["--set", "regime.promotion.min_tenur=1"], "did you mean"),
        (["--set", "regime.fault_tolerance.tolerance=high"], "got 'high'"),
        (["--set", "nonsense"], "expected dotted.key=value"),
        (["--burn-in", "50"], "--burn-in"),
        (["--out", "x.csv"], "--out"),
    ],
)
def test_bad_input_exits_2_with_a_message(args, expected, capsys):
    assert main(["run", "configs/default.yaml", *SMALL, *args]) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err


def test_unknown_preset_lists_the_presets(capsys):
    assert main(["run", "no_such_regime"]) == 2
    err = capsys.readouterr().err
    assert "no such file and no such preset" in err and "hubei_opinions" in err


def test_regimes_lists_presets_with_descriptions(capsys):
    assert main(["regimes"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) >= 8
    assert all(len(line.split(None, 1)) == 2 for line in lines)  # name and a description


def test_bad_config_file_through_the_real_command_has_no_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("regime:\n  promotion:\n    min_tenure: !!python/object/apply:os.getcwd []\n")
    proc = subprocess.run(
        [sys.executable, "-m", "experiments.cli", "run", str(bad)],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 2
    assert "invalid YAML" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


@settings(
    max_examples=40,
    deadline=None,
    # capsys is read and cleared inside each example, so sharing it across examples is safe.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    data=st.dictionaries(
        st.sampled_from([p for p in known_paths() if not p.startswith("switch.")]),
        st.one_of(st.text(max_size=5), st.integers(-5, 10**7), st.floats(-1e3, 1e3), st.none()),
        min_size=1, max_size=3,
    )
)
def test_malformed_configs_through_the_cli_end_in_exit_0_or_2(data, tmp_path_factory, capsys):
    folder = tmp_path_factory.mktemp("cfg")
    nested: dict = {}
    for path, value in data.items():
        node = nested
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    nested.setdefault("organisation", {}).setdefault("n_cadres", 60)
    if not isinstance(nested["organisation"].get("n_cadres"), int) or not (
        20 <= nested["organisation"]["n_cadres"] <= 2000
    ):
        nested["organisation"]["n_cadres"] = 60  # keep valid runs small
    path = folder / "c.yaml"
    path.write_text(yaml.safe_dump(nested))
    code = main(["run", str(path), "--steps", "2", "--json"])
    captured = capsys.readouterr()
    assert code in (0, 2)
    if code == 2:
        assert captured.err.startswith("cadresim: error:")


def test_split_sensitivity_reports_each_cause_band_around_the_configs_own_split(capsys):
    args = ["run", "default", *SMALL, "--burn-in", "2", "--seed", "4", "--split-sensitivity"]
    assert main([*args, "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    band = {(row["cause"], row["measure"]): row for row in record["split_sensitivity"]}
    assert len(band) == 8
    for measure in ("inaction", "avoidance"):  # the headline moves with the yardstick too
        level = band[(measure, "level")]
        assert level["low"] <= level["at_config"] <= level["high"]
    for cause in ("unwilling", "unable", "afraid"):
        level = band[(cause, "level")]
        # The band is measured on the same run: the config's own split sits inside it.
        assert level["at_config"] == pytest.approx(record[cause], abs=1e-12)
        assert level["low"] <= level["at_config"] <= level["high"]
    assert main(args) == 0
    assert "How firm is the split?" in capsys.readouterr().out


def test_version_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("cadresim ")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run", "configs/experiments/regime_comparison.yaml"],
         "is an experiment spec (regimes, replications, a design), not a model config; run it "
         "with `cadresim sweep configs/experiments/regime_comparison.yaml`"),
        (["sweep", "configs/regimes/hubei_opinions.yaml"],
         "is a model config (a regime preset), not an experiment spec; run it with "
         "`cadresim run configs/regimes/hubei_opinions.yaml`"),
    ],
)
def test_a_file_of_the_wrong_kind_is_named_with_the_command_that_takes_it(args, expected,
                                                                          capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "did you mean" not in err


@pytest.mark.parametrize(("burn_in", "stated"), [({"burn_in": 2}, 2), ({}, 3)])  # 3: default
def test_the_analyze_report_states_its_burn_in(burn_in, stated, tmp_path, capsys):
    spec = tmp_path / "tiny.yaml"
    out = tmp_path / "tiny"
    spec.write_text(yaml.safe_dump({
        "name": "tiny", "regimes": ["seniority_baseline", "strict_accountability"],
        "set": {"organisation.n_cadres": 40}, "replications": 2, "steps": 6, **burn_in,
        "output": str(out)}))
    assert main(["sweep", str(spec), "--in-process", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["analyze", str(out)]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.endswith(f"; burn-in {stated} years")
