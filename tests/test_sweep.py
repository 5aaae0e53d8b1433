"""Sweeps: the same results on every executor, failures recorded, resume after kill -9, and the
results folder exactly as docs/results-format.md says."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import experiments.engine.run as execution
from experiments.cli import main
from experiments.engine.batch import run_arm
from experiments.engine.design import ConfigBuilder, run_seed
from experiments.engine.executors import SerialExecutor
from experiments.engine.spec import load_spec
from experiments.engine.storage import part_files, results_lock
from experiments.engine.sweep import run_sweep
from simulation import CadreModel
from simulation.loading import ConfigError
from tests.helpers import REPO, live_descendants, remove_boards_of, tiny_spec


def read_results(out: str | Path) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """runs/ without the wall time, and series/, both sorted for comparison."""
    runs = pd.read_parquet(Path(out) / "runs").drop(columns="seconds")
    runs = runs.sort_values("run_id").reset_index(drop=True)
    if not (Path(out) / "series").is_dir():
        return runs, None
    series = pd.read_parquet(Path(out) / "series")
    series = series.sort_values(["run_id", "metric", "step"]).reset_index(drop=True)
    return runs, series


@pytest.fixture(scope="module")
def dask_cluster():
    """One local Dask cluster of 2 single-threaded workers for the whole module (slow start)."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    yield cluster
    cluster.close()


# --------------------------------------------------------------------------------------------
# Same results on every executor
# --------------------------------------------------------------------------------------------


def test_results_are_identical_on_serial_process_pool_and_dask(tmp_path, dask_cluster, capsys):
    serial = load_spec(tiny_spec(tmp_path, "serial"))
    report = run_sweep(serial, SerialExecutor(), progress=False)
    assert (report.ok, report.failed, report.total) == (24, 0, 24)
    assert main(["sweep", tiny_spec(tmp_path, "pool"), "--workers", "2", "--quiet"]) == 0
    address = dask_cluster.scheduler_address
    assert main(["sweep", tiny_spec(tmp_path, "dask"), "--scheduler", address, "--quiet"]) == 0
    assert "24 ok, 0 failed of 24 runs" in capsys.readouterr().out

    runs, series = read_results(tmp_path / "serial")
    assert len(runs) == 24 and runs["run_id"].is_unique
    assert len(series) == 24 * 2 * 5
    for other in ("pool", "dask"):
        other_runs, other_series = read_results(tmp_path / other)
        pd.testing.assert_frame_equal(runs, other_runs, check_exact=True)
        pd.testing.assert_frame_equal(series, other_series, check_exact=True)


# --------------------------------------------------------------------------------------------
# The results folder follows the contract
# --------------------------------------------------------------------------------------------


def test_runs_and_series_have_the_contract_columns_and_the_models_values(tmp_path):
    spec = load_spec(tiny_spec(tmp_path))
    run_sweep(spec, SerialExecutor(), progress=False)
    runs = pd.read_parquet(tmp_path / "tiny" / "runs")
    parameter = "regime.fault_tolerance.tolerance"
    assert list(runs.columns) == [
        "run_id", "point", "replicate", "seed", "regime", "status", "error", "seconds",
        parameter, "inaction", "afraid", "bold", "wrongful_sanctions", "final_inaction",
        "afraid_share"]
    assert {c: str(t) for c, t in runs.dtypes.items() if c not in ("run_id", "regime", "status",
            "error")} == {"point": "int64", "replicate": "int64", "seed": "int64",
                          "seconds": "float64", parameter: "float64", "inaction": "float64",
                          "afraid": "float64", "bold": "float64",
                          "wrongful_sanctions": "float64", "final_inaction": "float64",
                          "afraid_share": "float64"}
    row = runs.set_index("run_id").loc["p00004-r0001"]
    assert row["regime"] == "guangdong_three_distinctions" and row[parameter] == 0.5
    assert row["seed"] == run_seed(11, 4, 1) and row["status"] == "ok" and row["error"] == ""

    config = ConfigBuilder(spec).config("guangdong_three_distinctions", {parameter: 0.5})
    table = CadreModel(config, seed=int(row["seed"])).run(5)
    assert row["afraid"] == table["afraid"].iloc[1:].mean()  # burn_in 1: steps 2..5
    assert row["final_inaction"] == table["inaction"].iloc[-1]

    series = pd.read_parquet(tmp_path / "tiny" / "series")
    assert list(series.columns) == ["run_id", "point", "replicate", "regime", "step", "metric",
                                    "value"]
    bold = series[(series["run_id"] == "p00004-r0001") & (series["metric"] == "bold")]
    assert list(bold["step"]) == [1, 2, 3, 4, 5]
    assert list(bold["value"]) == list(table["bold"])


def test_run_arm_gives_the_rows_a_sweep_writes(tmp_path):
    spec = load_spec(tiny_spec(tmp_path))
    run_sweep(spec, SerialExecutor(), progress=False)
    runs = pd.read_parquet(tmp_path / "tiny" / "runs").set_index("run_id")
    point = runs[runs["point"] == 4].sort_values("replicate")
    config = ConfigBuilder(spec).config("guangdong_three_distinctions",
                                        {"regime.fault_tolerance.tolerance": 0.5})
    arm = run_arm(config, point["seed"].tolist(), spec.steps, spec.burn_in,
                  metrics=spec.kept_metrics, series=spec.series)
    rows = arm.runs_table()
    for name in (*spec.kept_metrics, "final_inaction"):
        assert rows[name].tolist() == point[name].tolist(), name
    series = arm.series_table()
    assert len(series) == len(point) * spec.steps * len(spec.series)


def test_the_manifest_records_spec_design_points_runs_versions_and_status(tmp_path):
    spec = load_spec(tiny_spec(tmp_path))
    run_sweep(spec, SerialExecutor(), progress=False)
    manifest = json.loads((tmp_path / "tiny" / "manifest.json").read_text())
    assert manifest["spec"]["name"] == "tiny" and manifest["spec_hash"] == spec.spec_hash()
    assert manifest["design"] == {
        "kind": "grid", "parameters": {"regime.fault_tolerance.tolerance": [0.0, 0.5, 1.0]}}
    assert manifest["points"][4] == {"point": 4, "regime": "guangdong_three_distinctions",
                                     "parameters": {"regime.fault_tolerance.tolerance": 0.5}}
    assert len(manifest["runs"]) == 24
    run = manifest["runs"]["p00004-r0001"]
    assert run["seed"] == run_seed(11, 4, 1) and len(run["config_hash"]) == 64
    assert run["config_hash"] == manifest["runs"]["p00004-r0000"]["config_hash"]
    assert run["config_hash"] != manifest["runs"]["p00003-r0000"]["config_hash"]
    assert {"python", "cadresim", "mesa", "numpy", "pyarrow", "SALib"} <= set(manifest["versions"])
    assert manifest["code_version"] is None or isinstance(manifest["code_version"], str)
    assert manifest["started"] <= manifest["finished"]
    assert manifest["status"] == {"ok": 24, "failed": 0, "pending": 0}
    umask = os.umask(0)
    os.umask(umask)
    for path in [tmp_path / "tiny" / "manifest.json", *part_files(tmp_path / "tiny")]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask  # not mkstemp's 0600


def test_chunks_in_flight_stay_bounded(tmp_path):
    class CountingExecutor(Executor):
        def __init__(self):
            self.pool = ThreadPoolExecutor(2)
            self.in_flight = self.most = 0

        def submit(self, fn, /, *args, **kwargs) -> Future:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
            future = self.pool.submit(fn, *args, **kwargs)
            future.add_done_callback(lambda _: setattr(self, "in_flight", self.in_flight - 1))
            return future

    executor = CountingExecutor()
    spec = load_spec(tiny_spec(tmp_path, series=[]))
    report = run_sweep(spec, executor, progress=False, parallelism=2, chunk_size=1)
    executor.pool.shutdown()
    assert report.ok == 24 and len(part_files(tmp_path / "tiny")) == 24
    assert executor.most <= 4


# --------------------------------------------------------------------------------------------
# Failures
# --------------------------------------------------------------------------------------------


def fail_when_tolerant(config, seed, steps):
    """A model that raises for one parameter value (a run function injected in tests)."""
    if config.regime.fault_tolerance.tolerance == 1.0:
        raise ValueError(f"tolerance 1.0 breaks this model (seed {seed})")
    return CadreModel(config, seed=seed).run(steps)


def test_failing_runs_are_recorded_the_sweep_goes_on_and_a_rerun_retries_them(
    tmp_path, monkeypatch, capsys
):
    spec = tiny_spec(tmp_path)
    monkeypatch.setattr(execution, "simulate_run", fail_when_tolerant)  # in this process
    assert main(["sweep", spec, "--quiet", "--in-process"]) == 1
    captured = capsys.readouterr()
    assert "16 ok, 8 failed of 24 runs" in captured.out
    assert "failed" in captured.err

    runs, series = read_results(tmp_path / "tiny")
    failed = runs[runs["status"] == "failed"]
    assert len(failed) == 8
    assert (failed["regime.fault_tolerance.tolerance"] == 1.0).all()
    assert failed["error"].str.contains("ValueError: tolerance 1.0 breaks this model").all()
    assert failed.apply(lambda r: f"seed {r['seed']}" in r["error"], axis=1).all()
    assert failed["inaction"].isna().all()
    assert not series["run_id"].isin(failed["run_id"]).any()
    manifest = json.loads((tmp_path / "tiny" / "manifest.json").read_text())
    assert manifest["status"] == {"ok": 16, "failed": 8, "pending": 0}

    monkeypatch.undo()  # the model is fixed: a rerun retries the failed runs only
    assert main(["sweep", spec, "--quiet"]) == 0
    assert "24 ok, 0 failed of 24 runs (8 in this session, 16 done before" in (
        capsys.readouterr().out)
    runs_after, series_after = read_results(tmp_path / "tiny")
    assert runs_after["run_id"].is_unique and len(runs_after) == 24
    assert (runs_after["status"] == "ok").all()
    assert not series_after.duplicated(["run_id", "metric", "step"]).any()
    assert len(series_after) == 24 * 2 * 5
    kept = runs_after[~runs_after["run_id"].isin(failed["run_id"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, runs[runs["status"] == "ok"].reset_index(drop=True))


# --------------------------------------------------------------------------------------------
# Resume
# --------------------------------------------------------------------------------------------


def test_a_rerun_of_a_finished_sweep_runs_nothing(tmp_path, capsys):
    spec = tiny_spec(tmp_path)
    assert main(["sweep", spec, "--quiet"]) == 0
    parts = {p: p.stat().st_mtime_ns for p in part_files(tmp_path / "tiny")}
    assert main(["sweep", spec, "--quiet"]) == 0
    assert "(0 in this session, 24 done before" in capsys.readouterr().out
    assert {p: p.stat().st_mtime_ns for p in part_files(tmp_path / "tiny")} == parts


def test_a_series_part_without_its_runs_part_is_run_again_not_duplicated(tmp_path):
    spec = load_spec(tiny_spec(tmp_path))
    run_sweep(spec, SerialExecutor(), progress=False, chunk_size=5)
    expected = read_results(tmp_path / "tiny")
    # As if killed between writing a chunk's series part and its runs part:
    part_files(tmp_path / "tiny")[2].unlink()
    (tmp_path / "tiny" / "runs" / ".part-0001-000009.parquet.x.tmp").write_bytes(b"half")
    report = run_sweep(spec, SerialExecutor(), progress=False)
    assert (report.ran, report.ok) == (5, 24)
    runs, series = read_results(tmp_path / "tiny")
    pd.testing.assert_frame_equal(runs, expected[0])
    pd.testing.assert_frame_equal(series, expected[1])
    assert not list((tmp_path / "tiny" / "runs").glob(".*.tmp"))


def _run_until_parts(
    command: list[str], folder: Path, parts: int, before_kill=lambda pid: None
) -> int:
    """Start a sweep subprocess and kill -9 it once ``folder`` holds ``parts`` runs parts."""
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        if len(part_files(folder)) >= parts:
            before_kill(process.pid)
            process.send_signal(signal.SIGKILL)
            break
        time.sleep(0.002)
    return process.wait()


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_sweep_killed_with_sigkill_finishes_on_rerun_with_exactly_the_expected_runs(
    tmp_path,
):
    fields = {"regimes": ["seniority_baseline"], "replications": 6, "set": {
        "organisation.n_cadres": 150},
        "design": {"kind": "grid", "parameters": {
            "regime.fault_tolerance.tolerance": {"from": 0.0, "to": 1.0, "num": 10}}}}
    spec = tiny_spec(tmp_path, "killed", **fields)
    folder = tmp_path / "killed"
    # in the sweep's process (the folder is what is tested; a killed pool sweep is tested below)
    command = [sys.executable, "-m", "experiments.cli", "sweep", spec, "--chunk-size", "1",
               "--quiet", "--in-process"]
    assert _run_until_parts(command, folder, 3) == -signal.SIGKILL
    first = len(part_files(folder))
    assert 3 <= first < 60
    assert _run_until_parts(command, folder, first + 3) == -signal.SIGKILL  # killed again
    assert len(part_files(folder)) < 60
    assert subprocess.run(command, cwd=REPO, capture_output=True).returncode == 0

    runs, series = read_results(folder)
    expected_ids = [f"p{p:05d}-r{r:04d}" for p in range(10) for r in range(6)]
    assert list(runs["run_id"]) == expected_ids  # none missing, none twice
    assert not series.duplicated(["run_id", "metric", "step"]).any()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["status"] == {"ok": 60, "failed": 0, "pending": 0}
    assert len(manifest["sessions"]) == 3

    reference = load_spec(tiny_spec(tmp_path, "reference", **fields))
    run_sweep(reference, SerialExecutor(), progress=False)
    expected_runs, expected_series = read_results(tmp_path / "reference")
    pd.testing.assert_frame_equal(runs, expected_runs)
    pd.testing.assert_frame_equal(series, expected_series)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_a_killed_process_pool_sweep_leaves_no_workers_behind_and_resumes(tmp_path):
    spec = tiny_spec(tmp_path, "pool", replications=10, series=[])
    folder = tmp_path / "pool"
    workers: set[int] = set()
    command = [sys.executable, "-m", "experiments.cli", "sweep", spec, "--workers", "2",
               "--chunk-size", "1", "--quiet"]
    sweeps: list[int] = []
    killed = _run_until_parts(command, folder, 2, lambda pid: (
        sweeps.append(pid), workers.update(live_descendants(pid))))
    remove_boards_of(sweeps[0])
    assert killed == -signal.SIGKILL and len(workers) >= 2
    deadline = time.monotonic() + 15
    while any(map(_alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(map(_alive, workers)), "worker processes outlived the killed sweep"
    report = run_sweep(load_spec(spec), SerialExecutor(), progress=False)
    assert report.skipped >= 2 and report.ok == 60
    runs, _ = read_results(folder)
    assert list(runs["run_id"]) == [f"p{p:05d}-r{r:04d}" for p in range(6) for r in range(10)]


# --------------------------------------------------------------------------------------------
# The folder belongs to one spec and one sweep at a time
# --------------------------------------------------------------------------------------------


def test_a_changed_spec_is_refused_unless_fresh(tmp_path, capsys):
    spec = tiny_spec(tmp_path)
    assert main(["sweep", spec, "--quiet"]) == 0
    capsys.readouterr()
    changed = tiny_spec(tmp_path, steps=6)
    assert changed == spec  # same file, same output folder, new content
    assert main(["sweep", spec, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "different spec" in err and "--fresh" in err
    assert main(["sweep", spec, "--quiet", "--fresh"]) == 0
    runs, series = read_results(tmp_path / "tiny")
    assert len(runs) == 24 and set(series["step"]) == {1, 2, 3, 4, 5, 6}
    assert len(part_files(tmp_path / "tiny")) == len(part_files(tmp_path / "tiny", "series"))


def test_a_folder_made_by_another_model_is_refused_unless_said(tmp_path, capsys, monkeypatch):
    """Resuming after the model's code changed would mix two models' runs in one experiment."""
    import experiments.engine.sweep as sweeping

    spec = tiny_spec(tmp_path)
    out = tmp_path / "tiny"
    assert main(["sweep", spec, "--quiet"]) == 0
    first = json.loads((out / "manifest.json").read_text())
    assert first["model"] == first["sessions"][0]["model"] == sweeping.model_digest()
    capsys.readouterr()
    monkeypatch.setattr(sweeping, "model_digest", lambda: "0123456789abcdef")  # the code changed
    before = (out / "manifest.json").read_bytes(), {p: p.stat().st_mtime_ns
                                                    for p in part_files(out)}
    assert main(["sweep", spec, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "another version of the model" in err and first["model"] in err
    assert "0123456789abcdef" in err and "--fresh" in err and "--model-changed" in err
    assert ((out / "manifest.json").read_bytes(), {p: p.stat().st_mtime_ns
                                                   for p in part_files(out)}) == before
    assert main(["sweep", spec, "--quiet", "--model-changed"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert [s["model"] for s in manifest["sessions"]] == [first["model"], "0123456789abcdef"]
    assert manifest["model"] == "0123456789abcdef"
    assert main(["sweep", spec, "--quiet", "--fresh"]) == 0  # starting over is always allowed
    assert [s["model"] for s in json.loads((out / "manifest.json").read_text())["sessions"]
            ] == ["0123456789abcdef"]


def test_a_folder_from_before_the_model_was_recorded_resumes(tmp_path, monkeypatch):
    import experiments.engine.sweep as sweeping

    spec = load_spec(tiny_spec(tmp_path))
    run_sweep(spec, SerialExecutor(), progress=False)
    path = tmp_path / "tiny" / "manifest.json"
    manifest = json.loads(path.read_text())
    del manifest["model"]
    path.write_text(json.dumps(manifest))
    monkeypatch.setattr(sweeping, "model_digest", lambda: "0123456789abcdef")
    report = run_sweep(spec, SerialExecutor(), progress=False)
    assert report.skipped == 24 and report.ran == 0


def test_fresh_deletes_only_the_results(tmp_path):
    spec = load_spec(tiny_spec(tmp_path))
    run_sweep(spec, SerialExecutor(), progress=False)
    notes = tmp_path / "tiny" / "notes.txt"
    notes.write_text("mine")
    report = run_sweep(spec, SerialExecutor(), fresh=True, progress=False)
    assert report.ran == 24 and notes.read_text() == "mine"
    assert all(p.name.startswith("part-0001-") for p in part_files(tmp_path / "tiny"))


def test_a_second_sweep_into_a_busy_folder_is_refused(tmp_path, capsys):
    spec = tiny_spec(tmp_path)
    with results_lock(tmp_path / "tiny"):
        assert main(["sweep", spec, "--quiet"]) == 2
    assert "another sweep is writing" in capsys.readouterr().err


def test_no_resume_refuses_a_folder_with_results(tmp_path):
    spec = load_spec(tiny_spec(tmp_path))
    run_sweep(spec, SerialExecutor(), progress=False)
    with pytest.raises(ConfigError, match="--resume"):
        run_sweep(spec, SerialExecutor(), resume=False, progress=False)


def test_workers_and_dask_flags_do_not_mix(tmp_path, capsys):
    spec = tiny_spec(tmp_path)
    assert main(["sweep", spec, "--workers", "2", "--dask-local", "2"]) == 2
    assert "--workers" in capsys.readouterr().err


def test_the_progress_bar_shows_runs_and_failures_on_stderr(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(execution, "simulate_run", fail_when_tolerant)
    assert main(["sweep", tiny_spec(tmp_path), "--in-process"]) == 1
    err = capsys.readouterr().err
    assert "24/24" in err and "failed=8" in err


def test_every_run_has_its_own_seed(tmp_path):
    """Common random numbers (the default): replicate r of every point shares its seed, and
    replicates differ; opted out, every run has its own seed."""
    run_sweep(load_spec(tiny_spec(tmp_path)), SerialExecutor(), progress=False)
    runs, _ = read_results(tmp_path / "tiny")
    assert runs.groupby("replicate")["seed"].nunique().eq(1).all()
    assert runs.groupby("point")["seed"].apply(lambda s: s.is_unique).all()
    assert np.unique(runs["inaction"]).size > 12
    run_sweep(load_spec(tiny_spec(tmp_path, "own", common_random_numbers=False)),
              SerialExecutor(), progress=False)
    assert read_results(tmp_path / "own")[0]["seed"].is_unique
