"""Replications by precision: a sweep adds replicates until each point's 95% half-width reaches
its target (or max), the counts do not depend on the executor, and a sweep interrupted in the
middle of a stage (or killed with SIGKILL) resumes without running any replicate twice."""

from __future__ import annotations

import json
import multiprocessing
import signal
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from experiments.analysis.report import format_report
from experiments.analysis.results import load_results
from experiments.analysis.statistics import analyze
from experiments.engine.executors import SerialExecutor
from experiments.engine.spec import load_spec
from experiments.engine.storage import part_files
from experiments.engine.sweep import run_sweep

REPO = Path(__file__).resolve().parent.parent
TOL = "regime.fault_tolerance.tolerance"
#: Per point (by its tolerance): the run-to-run sd of inaction. Point 0 reaches the target
#: 0.01 with the minimum 4 replicates, point 1 needs more, point 2 cannot within max = 40.
SPREAD = {0.0: 0.004, 0.5: 0.02, 1.0: 0.2}
CALLS = {"left": None}


def fake_simulate(config, seed, steps):
    """A stand-in model: each run's inaction is 0.3 + sd z, with z from the run's seed."""
    if CALLS["left"] is not None:
        CALLS["left"] -= 1
        if CALLS["left"] < 0:
            raise KeyboardInterrupt  # as Ctrl-C in the middle of a stage
    sd = SPREAD[config.regime.fault_tolerance.tolerance]
    z = np.random.default_rng(seed).normal()
    values = np.full(steps, 0.3 + sd * z)
    return pd.DataFrame({"step": np.arange(1, steps + 1), "inaction": values,
                         "bold": values / 2})


def adaptive_spec(tmp_path: Path, name: str, **fields) -> str:
    data = {
        "name": name, "set": {"organisation.n_cadres": 80},
        "design": {"kind": "grid", "parameters": {TOL: [0.0, 0.5, 1.0]}},
        "replications": {"precision": {"inaction": 0.01}, "min": 4, "max": 40},
        "steps": 3, "metrics": ["inaction", "bold"], "seed": 5,
        "output": str(tmp_path / name), **fields,
    }
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return str(path)


def _runs(folder: Path) -> pd.DataFrame:
    runs = pd.read_parquet(folder / "runs").drop(columns="seconds")
    return runs.sort_values("run_id").reset_index(drop=True)


def test_adaptive_replication_stops_at_the_target_or_at_max(tmp_path):
    report = run_sweep(load_spec(adaptive_spec(tmp_path, "a")), SerialExecutor(),
                       progress=False, simulate=fake_simulate)
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    precision = manifest["precision"]
    assert precision["done"] and manifest["finished"] is not None
    points = precision["points"]
    assert [p["reached"] for p in points] == [True, True, False]
    assert points[0]["replications"] == 4  # reached at min: no extra replicates
    assert 4 < points[1]["replications"] < 40
    assert points[1]["half_widths"]["inaction"] <= 0.01
    assert points[2]["replications"] == 40  # max
    runs = _runs(tmp_path / "a")
    assert runs.groupby("point").size().tolist() == [p["replications"] for p in points]
    assert report.pending == 0 and report.total == len(runs)
    assert set(manifest["runs"]) == set(runs["run_id"])
    results = load_results(tmp_path / "a")
    analysis = analyze(results)
    assert analysis.precision["reached"].tolist() == [True, True, False]
    assert "2 of 3 points reached every target" in format_report(results, analysis)


def test_adaptive_counts_are_the_same_with_one_or_two_workers(tmp_path):
    run_sweep(load_spec(adaptive_spec(tmp_path, "one")), SerialExecutor(), progress=False,
              simulate=fake_simulate)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("forkserver")) as pool:
        run_sweep(load_spec(adaptive_spec(tmp_path, "two")), pool, progress=False,
                  simulate=fake_simulate, chunk_size=3)
    pd.testing.assert_frame_equal(_runs(tmp_path / "one"), _runs(tmp_path / "two"))


def test_an_interrupted_adaptive_sweep_resumes_without_duplicate_runs(tmp_path):
    spec = adaptive_spec(tmp_path, "cut")
    for left in (9, 17):  # stopped in the first stage, then in a later one
        CALLS["left"] = left
        try:
            run_sweep(load_spec(spec), SerialExecutor(), progress=False,
                      simulate=fake_simulate, chunk_size=1)
        except KeyboardInterrupt:
            pass
        finally:
            CALLS["left"] = None
    run_sweep(load_spec(spec), SerialExecutor(), progress=False, simulate=fake_simulate)
    run_sweep(load_spec(adaptive_spec(tmp_path, "whole")), SerialExecutor(), progress=False,
              simulate=fake_simulate)
    resumed, whole = _runs(tmp_path / "cut"), _runs(tmp_path / "whole")
    assert not resumed["run_id"].duplicated().any()
    pd.testing.assert_frame_equal(resumed, whole)
    manifest = json.loads((tmp_path / "cut" / "manifest.json").read_text())
    assert len(manifest["sessions"]) == 3 and manifest["precision"]["done"]


def test_an_adaptive_sweep_killed_with_sigkill_resumes_to_the_same_runs(tmp_path):
    fields = {"design": {"kind": "grid", "parameters": {TOL: [0.0, 1.0]}},
              "replications": {"precision": {"inaction": 0.004}, "min": 3, "max": 12},
              "steps": 4}
    spec = adaptive_spec(tmp_path, "killed", **fields)
    folder = tmp_path / "killed"
    command = [sys.executable, "-m", "experiments.cli", "sweep", spec, "--chunk-size", "1",
               "--quiet"]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        process.wait(timeout=60) if not _wait_for_parts(folder, 8, process) else None
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        code = process.wait()
    assert code == -signal.SIGKILL, "the sweep finished before it could be killed"
    assert subprocess.run(command, cwd=REPO, capture_output=True).returncode in (0, 1)
    run_sweep(load_spec(adaptive_spec(tmp_path, "ref", **fields)), SerialExecutor(),
              progress=False)
    resumed = _runs(folder)
    assert not resumed["run_id"].duplicated().any()
    pd.testing.assert_frame_equal(resumed, _runs(tmp_path / "ref"))


def _wait_for_parts(folder: Path, parts: int, process: subprocess.Popen) -> bool:
    """Wait until ``folder`` holds ``parts`` runs parts (True), or the process ended (False)."""
    import time

    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        if len(part_files(folder)) >= parts:
            return True
        time.sleep(0.002)
    return False
