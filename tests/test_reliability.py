"""Reliability (issue 11): runs that kill their worker, hang, exit or yield NaN are recorded as
failed and the sweep goes on; damaged results folders are repaired or refused; malformed input
ends in the clean exit-2 message."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from experiments.cli import main
from experiments.cli.sweep import open_executor
from experiments.engine.execution import (
    MAX_TRIES,
    RunTimeout,
    SerialExecutor,
    _running,
    run_deadline,
    run_sweep,
)
from experiments.engine.spec import MAX_POINTS, MAX_RUNS, load_spec, parse_spec
from experiments.engine.storage import QUARANTINE, part_files, part_spec_hash, results_lock
from simulation.loading import ConfigError
from tests import faulty_models
from tests.test_sweep import tiny_spec

POISONED_RUN = "p00002-r0000"


def cli(argv: list[str]) -> int:
    """``cadresim ARGV`` in this process; argparse's exit is an exit code too."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


def failed_rows(out: Path) -> pd.DataFrame:
    """The failed rows of a results folder's runs/."""
    runs = pd.read_parquet(out / "runs")
    return runs[runs["status"] != "ok"].reset_index(drop=True)


def sweep_with(tmp_path: Path, simulate, workers: int = 1, **fields):
    """Run the tiny spec with a faulty model on ``workers`` processes (1: this process).

    Without common random numbers, so that the poisoned seed belongs to one run only.
    """
    spec = load_spec(tiny_spec(tmp_path, **{"common_random_numbers": False, **fields}))
    with open_executor(workers, None, None) as (executor, n, _):
        return run_sweep(spec, executor, progress=False, parallelism=n, simulate=simulate)


# --------------------------------------------------------------------------------------------
# Runs that fail hard
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("model, cause", [
    (faulty_models.exits_for_one_seed, "exited with code 7"),
    (faulty_models.killed_for_one_seed, "killed by SIGKILL"),
])
def test_a_run_that_kills_its_worker_is_failed_after_its_tries_and_the_sweep_goes_on(
    tmp_path, model, cause
):
    report = sweep_with(tmp_path, model, workers=2)
    assert (report.ok, report.failed, report.pending) == (23, 1, 0)
    failed = failed_rows(tmp_path / "tiny")
    assert list(failed["run_id"]) == [POISONED_RUN]
    error = failed["error"][0]
    assert f"on each of its {MAX_TRIES} tries" in error and error.count(cause) == MAX_TRIES
    runs = pd.read_parquet(tmp_path / "tiny" / "runs")
    assert runs["run_id"].is_unique and len(runs) == 24


def test_a_hanging_run_times_out_and_is_recorded(tmp_path, capsys):
    path = tiny_spec(tmp_path, run_timeout=1.5, common_random_numbers=False)
    assert load_spec(path).run_timeout == 1.5
    spec = load_spec(path)
    start = time.monotonic()
    report = run_sweep(spec, SerialExecutor(), progress=False,
                       simulate=faulty_models.hangs_for_one_seed)
    assert time.monotonic() - start < 30
    assert (report.ok, report.failed) == (23, 1)
    failed = failed_rows(tmp_path / "tiny")
    assert list(failed["run_id"]) == [POISONED_RUN]
    assert failed["error"][0] == "timed out: the run took longer than run_timeout = 1.5 s"


def test_the_run_timeout_flag_overrides_the_spec_and_keeps_the_folder_resumable(tmp_path):
    own_seeds = {"common_random_numbers": False}
    spec = load_spec(tiny_spec(tmp_path, **own_seeds))
    run_sweep(spec, SerialExecutor(), progress=False, run_timeout=1.0,
              simulate=faulty_models.spins_for_one_seed)
    assert "run_timeout = 1 s" in failed_rows(tmp_path / "tiny")["error"][0]
    # the timeout is not part of the spec hash: a rerun with another timeout resumes
    again = tiny_spec(tmp_path, run_timeout=5, **own_seeds)
    assert load_spec(again).spec_hash() == spec.spec_hash()
    assert cli(["sweep", again, "--quiet"]) == 0


def test_a_timeout_outside_the_main_thread_interrupts_the_run():
    import threading

    caught = []

    def spin() -> None:
        try:
            with run_deadline(0.3):
                while True:
                    pass
        except RunTimeout:
            caught.append(True)

    thread = threading.Thread(target=spin)
    thread.start()
    thread.join(timeout=10)
    assert caught == [True]


def test_the_run_timeout_flag_is_bounded(tmp_path, capsys):
    for bad in ("0", "-1", "nan", "inf", "1e9", "soon"):
        assert cli(["sweep", tiny_spec(tmp_path), "--run-timeout", bad]) == 2
    assert "--run-timeout" in capsys.readouterr().err


def test_system_exit_in_a_run_is_a_failed_run_and_its_chunk_mates_are_kept(tmp_path):
    report = sweep_with(tmp_path, faulty_models.system_exit_for_one_seed)
    assert (report.ok, report.failed, report.pending) == (23, 1, 0)
    failed = failed_rows(tmp_path / "tiny")
    assert list(failed["run_id"]) == [POISONED_RUN] and "SystemExit: 3" in failed["error"][0]


def interrupted_for_one_seed(config, seed, steps):
    """The run raises KeyboardInterrupt on the poisoned seed."""
    if seed == faulty_models.POISONED:
        raise KeyboardInterrupt
    return faulty_models.exits_for_one_seed(config, seed, steps)


def test_keyboard_interrupt_in_a_run_ends_the_sweep_cleanly_keeping_finished_runs(
    tmp_path, capsys, monkeypatch
):
    import experiments.engine.execution as execution

    spec = tiny_spec(tmp_path, common_random_numbers=False)
    monkeypatch.setattr(execution, "simulate_run", interrupted_for_one_seed)
    assert cli(["sweep", spec, "--quiet", "--chunk-size", "2"]) == 130
    assert "interrupted; rerun the same command to resume" in capsys.readouterr().err
    kept = pd.read_parquet(tmp_path / "tiny" / "runs")
    assert len(kept) == 8 and (kept["status"] == "ok").all()  # points 0 and 1: before it
    monkeypatch.undo()
    assert cli(["sweep", spec, "--quiet"]) == 0
    assert "24 ok, 0 failed of 24 runs (16 in this session, 8 done before" in (
        capsys.readouterr().out)


@pytest.mark.parametrize("model, named", [
    (faulty_models.nan_for_one_seed, "inaction"),
    (faulty_models.inf_for_one_seed, "bold (per-step series)"),
])
def test_a_run_with_nan_or_inf_outputs_is_failed_with_the_reason(tmp_path, model, named):
    report = sweep_with(tmp_path, model)
    assert (report.ok, report.failed) == (23, 1)
    failed = failed_rows(tmp_path / "tiny")
    assert list(failed["run_id"]) == [POISONED_RUN]
    assert "NaN or infinite" in failed["error"][0] and named in failed["error"][0]


@pytest.mark.slow
def test_plot_copes_with_a_point_without_a_successful_run(tmp_path, capsys):
    sweep_with(tmp_path, faulty_models.fails_for_a_whole_point)
    assert cli(["plot", str(tmp_path / "tiny")]) == 0
    out = capsys.readouterr().out
    assert "written: timeseries" in out


def test_a_zombie_sweep_counts_as_gone_for_its_workers():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while _running(child.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(child.pid)  # exited but not reaped: a zombie
    child.wait()
    assert _running(os.getpid())


# --------------------------------------------------------------------------------------------
# Damaged results folders
# --------------------------------------------------------------------------------------------


@pytest.fixture
def finished(tmp_path) -> tuple[str, Path]:
    """A finished tiny sweep: its spec path and its results folder."""
    spec = tiny_spec(tmp_path)
    assert cli(["sweep", spec, "--quiet", "--chunk-size", "4"]) == 0
    return spec, tmp_path / "tiny"


def test_parts_carry_the_spec_hash(finished):
    spec, out = finished
    for part in part_files(out, "runs") + part_files(out, "series"):
        assert part_spec_hash(part) == load_spec(spec).spec_hash()


@pytest.mark.parametrize("damage", ["truncate", "zero", "directory", "dangling", "series"])
def test_a_damaged_part_is_quarantined_and_its_runs_rerun(finished, capsys, damage):
    spec, out = finished
    before = pd.read_parquet(out / "runs").drop(columns="seconds").sort_values("run_id")
    part = part_files(out, "series" if damage == "series" else "runs")[1]
    size = part.stat().st_size
    if damage in ("truncate", "series"):
        part.write_bytes(part.read_bytes()[: size // 2])
    elif damage == "zero":
        part.write_bytes(b"\0" * size)
    else:
        part.unlink()
        if damage == "directory":
            part.mkdir()
        else:
            part.symlink_to(out / "nowhere")
    capsys.readouterr()
    assert cli(["analyze", str(out)]) in (0, 2)
    assert "Traceback" not in capsys.readouterr().err
    assert cli(["sweep", spec, "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "moved to quarantine/" in captured.err and "24 ok" in captured.out
    assert any((out / QUARANTINE).rglob("part-*"))
    after = pd.read_parquet(out / "runs").drop(columns="seconds").sort_values("run_id")
    pd.testing.assert_frame_equal(before.reset_index(drop=True), after.reset_index(drop=True))
    assert cli(["analyze", str(out)]) == 0


def test_a_foreign_part_is_refused_by_sweep_and_analyze(finished, tmp_path, capsys):
    spec, out = finished
    other = tiny_spec(tmp_path, name="other", seed=12)
    assert cli(["sweep", other, "--quiet"]) == 0
    foreign = part_files(tmp_path / "other", "runs")[0]
    shutil.copy(foreign, out / "runs" / "part-0009-000001.parquet")
    capsys.readouterr()
    assert cli(["sweep", spec, "--quiet"]) == 2
    assert "written by another spec" in capsys.readouterr().err
    assert cli(["analyze", str(out)]) == 2
    assert "another spec" in capsys.readouterr().err


def test_a_foreign_manifest_is_refused(finished, tmp_path, capsys):
    spec, out = finished
    other = tiny_spec(tmp_path, name="other", seed=12)
    assert cli(["sweep", other, "--quiet"]) == 0
    shutil.copy(tmp_path / "other" / "manifest.json", out / "manifest.json")
    capsys.readouterr()
    assert cli(["sweep", spec, "--quiet"]) == 2
    assert cli(["analyze", str(out)]) == 2
    assert cli(["plot", str(out)]) == 2
    assert "another spec" in capsys.readouterr().err


def test_duplicate_runs_are_resolved_and_reported(finished, capsys):
    spec, out = finished
    first = part_files(out, "runs")[0]
    shutil.copy(first, out / "runs" / "part-0009-000001.parquet")
    capsys.readouterr()
    assert cli(["analyze", str(out)]) == 0
    assert cli(["sweep", spec, "--quiet"]) == 0
    assert "kept the row of the newest part" in capsys.readouterr().err
    runs = pd.read_parquet(out / "runs")
    assert runs["run_id"].is_unique and len(runs) == 24


@pytest.mark.parametrize("damage", ["runs_file", "manifest_list", "manifest_dir"])
def test_structural_damage_is_a_clean_error(finished, capsys, damage):
    spec, out = finished
    if damage == "runs_file":
        shutil.rmtree(out / "runs")
        (out / "runs").write_text("not a folder")
    elif damage == "manifest_list":
        (out / "manifest.json").write_text("[1, 2]")
    else:
        (out / "manifest.json").unlink()
        (out / "manifest.json").mkdir()
    for argv in (["sweep", spec, "--quiet"], ["analyze", str(out)], ["plot", str(out)]):
        assert cli(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("cadresim: error:") and "Traceback" not in err


def test_deleting_the_lock_file_does_not_let_a_second_sweep_in(tmp_path, capsys):
    out = tmp_path / "tiny"
    with results_lock(out):
        (out / ".lock").unlink()
        with pytest.raises(ConfigError, match="another sweep"), results_lock(out):
            pass
        assert cli(["sweep", tiny_spec(tmp_path), "--quiet"]) == 2
    assert "another sweep is writing" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# Malformed input
# --------------------------------------------------------------------------------------------


def spec_data(tmp_path: Path, **fields) -> dict:
    """The tiny spec as data, with fields replaced."""
    data = yaml.safe_load(Path(tiny_spec(tmp_path)).read_text())
    data.update(fields)
    return data


@pytest.mark.parametrize("design, replications, what", [
    ({"kind": "lhs", "parameters": {"regime.fault_tolerance.tolerance": [0, 1]},
      "samples": 10_000_000}, 1, "points"),
    ({"kind": "sobol", "parameters": {"regime.fault_tolerance.tolerance": [0, 1]},
      "samples": 8_388_608}, 1, "points"),
    ({"kind": "grid", "parameters": {
        "regime.fault_tolerance.tolerance": {"from": 0, "to": 1, "num": 100_000},
        "behaviour.decision_noise": {"from": 0.1, "to": 1, "num": 100_000}}}, 1, "points"),
    (None, 1_000_000, "runs"),
])
def test_huge_designs_are_refused_before_planning(tmp_path, design, replications, what):
    data = spec_data(tmp_path, design=design, replications=replications, regimes=None)
    start = time.monotonic()
    limit = MAX_POINTS if what == "points" else MAX_RUNS
    with pytest.raises(ConfigError, match=f"allowed: at most {limit:,}"):
        parse_spec(data)
    assert time.monotonic() - start < 5


@pytest.mark.parametrize("output", ["/", "~", "a\0b", "x" * 300, "notempty"])
def test_dangerous_or_impossible_output_paths_are_refused(tmp_path, capsys, monkeypatch, output):
    (tmp_path / "notempty").mkdir()
    (tmp_path / "notempty" / "thesis.tex").write_text("precious")
    monkeypatch.chdir(tmp_path)
    output = os.path.expanduser(output)
    data = spec_data(tmp_path, output=output)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    before = set(Path(tmp_path).iterdir())
    root_before = set(Path("/").iterdir())
    assert cli(["sweep", str(path), "--quiet"]) == 2
    assert capsys.readouterr().err.startswith("cadresim: error: ")
    assert set(Path(tmp_path).iterdir()) == before and set(Path("/").iterdir()) == root_before
    assert list((tmp_path / "notempty").iterdir()) == [tmp_path / "notempty" / "thesis.tex"]


@pytest.mark.parametrize("argv, named", [
    (["run", "default", "--steps", "10001"], "--steps"),
    (["run", "default", "--steps", "100000000"], "--steps"),
    (["run", "default", "--steps", "2", "--out", "x" * 300 + ".parquet"], "--out"),
    (["run", "default", "--steps", "2", "--out", "adir.parquet"], "--out"),
    (["run", "default", "--steps", "2", "--out", "nofolder/x.parquet"], "--out"),
    (["sweep", "SPEC", "--scheduler", "bogus"], "--scheduler"),
])
def test_bad_flags_end_in_the_clean_error(tmp_path, capsys, monkeypatch, argv, named):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "adir.parquet").mkdir()
    argv = [tiny_spec(tmp_path) if a == "SPEC" else a for a in argv]
    start = time.monotonic()
    assert cli(argv) == 2
    assert time.monotonic() - start < 60
    err = capsys.readouterr().err
    assert named in err and "Traceback" not in err
    assert not (tmp_path / "tiny").exists()


def test_a_large_design_is_announced_before_it_is_planned(tmp_path, capsys, monkeypatch):
    import experiments.cli.sweep as sweep_cli
    import experiments.engine.execution as execution  # the command imports it when it runs

    monkeypatch.setattr(sweep_cli, "LARGE_DESIGN", 5)
    path = tiny_spec(tmp_path)
    monkeypatch.setattr(execution, "plan_sweep", lambda *a, **k: (_ for _ in ()).throw(
        ConfigError("stop after the announcement")))
    assert cli(["sweep", path]) == 2
    err = capsys.readouterr().err
    assert "planning 6 points x 4 replications = 24 runs" in err


def test_the_spec_records_the_run_timeout_in_the_manifest(finished):
    _, out = finished
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["spec"]["run_timeout"] is None
