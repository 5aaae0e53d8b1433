"""Reliability (issue 11): runs that kill their worker, hang, exit or yield NaN are recorded as
failed and the sweep goes on; damaged results folders are repaired or refused; malformed input
ends in the clean exit-2 message."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from experiments.cli import main
from experiments.cli.sweep import open_executor
from experiments.engine.executors import SerialExecutor
from experiments.engine.run import RunTimeout, run_deadline
from experiments.engine.runboard import PREFIX, RunBoard, process_running
from experiments.engine.spec import MAX_POINTS, MAX_RUNS, load_spec, parse_spec
from experiments.engine.storage import QUARANTINE, part_files, part_spec_hash, results_lock
from experiments.engine.supervise import MAX_TRIES
from experiments.engine.sweep import run_sweep
from simulation.loading import ConfigError
from tests import faulty_models
from tests.helpers import REPO, live_descendants, remove_boards_of, tiny_spec

POISONED_RUN = "p00002-r0000"


def skip_if_ignored(signum: int) -> None:
    """Skip where the test process itself ignores ``signum``: a suite started under ``nohup``
    or as a background job passes the ignore on, and a sweep rightly keeps an inherited ignore
    (experiments.engine.interrupts), so there is nothing to test."""
    if signal.getsignal(signum) == signal.SIG_IGN:
        pytest.skip(f"this process ignores {signal.Signals(signum).name} (nohup or a "
                    "background job); run the suite in the foreground to test it")


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


def sweep_with(tmp_path: Path, simulate, workers: int = 1, executor=None, **fields):
    """Run the tiny spec with a faulty model on ``workers`` processes (or on ``executor``).

    Without common random numbers, so that the poisoned seed belongs to one run only.
    """
    spec = load_spec(tiny_spec(tmp_path, **{"common_random_numbers": False, **fields}))
    if executor is not None:
        return run_sweep(spec, executor, progress=False, parallelism=2, simulate=simulate)
    with open_executor(workers, None, None) as (pool, n, _):
        return run_sweep(spec, pool, progress=False, parallelism=n, simulate=simulate)


def new_processes(before: set[int]) -> set[int]:
    """This process's live descendants not in ``before``, but for multiprocessing's helpers.

    The forkserver and the resource tracker are started once and serve every later pool.
    """
    found = set()
    for pid in live_descendants(os.getpid()) - before:
        command = command_line(pid)
        if not command:
            continue
        if b"forkserver" not in command and b"resource_tracker" not in command:
            found.add(pid)
    return found


def command_line(pid: int) -> bytes:
    """The command line of process ``pid`` (empty if it is gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def assert_no_process_left(before: set[int], wait: float = 15) -> None:
    """Every process started since ``before`` ends within ``wait`` seconds."""
    deadline = time.monotonic() + wait
    while new_processes(before) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not new_processes(before), "worker processes outlived their sweep"


@pytest.fixture
def no_process_left():
    """The test leaves no worker process behind."""
    before = live_descendants(os.getpid())
    yield
    assert_no_process_left(before)


# --------------------------------------------------------------------------------------------
# Runs that fail hard
# --------------------------------------------------------------------------------------------


@pytest.mark.slow  # each death costs a worker start (a pool rebuilt): 5-15 s on a loaded machine
@pytest.mark.parametrize("model, workers, cause", [
    (faulty_models.exits_for_one_seed, 2, "exited with code 7"),
    (faulty_models.killed_for_one_seed, 2, "killed by SIGKILL"),
    (faulty_models.exits_for_one_seed, 1, "exited with code 7"),
    (faulty_models.segfaults_for_one_seed, 1, "killed by SIGSEGV"),
])
def test_a_run_that_kills_its_worker_is_failed_after_its_tries_and_the_sweep_goes_on(
    tmp_path, no_process_left, model, workers, cause
):
    report = sweep_with(tmp_path, model, workers=workers)
    assert (report.ok, report.failed, report.pending) == (23, 1, 0)
    failed = failed_rows(tmp_path / "tiny")
    assert list(failed["run_id"]) == [POISONED_RUN]
    error = failed["error"][0]
    assert f"on each of its {MAX_TRIES} tries" in error and error.count(cause) == MAX_TRIES
    runs = pd.read_parquet(tmp_path / "tiny" / "runs")
    assert runs["run_id"].is_unique and len(runs) == 24


@pytest.mark.slow  # as above
def test_a_worker_that_dies_in_a_batch_of_replicates_fails_only_the_run_that_killed_it(
    no_process_left
):
    """The batch's runs all die with the worker; retried alone, only the culprit dies again."""
    from concurrent.futures import ProcessPoolExecutor

    from experiments.engine.batch import run_batch
    from experiments.engine.batching import batches
    from experiments.engine.design import run_id
    from experiments.engine.executors import worker_context
    from experiments.engine.run import RunSettings, RunTask
    from simulation.loading import load_config

    config = load_config(overrides={"organisation.n_cadres": 300, "steps": 6})
    seeds = [31, 32, 33, 34]
    tasks = [RunTask(run_id(0, i), 0, i, seed, config.name, {}, config)
             for i, seed in enumerate(seeds)]
    settings = RunSettings(6, 0, ("inaction", "bold"))
    assert [len(b) for b in batches(tasks, settings)] == [4]  # they do form one batch
    expected = pd.concat([run_batch([task], settings).runs_table() for task in tasks],
                         ignore_index=True)  # each run alone, in this process
    pool = ProcessPoolExecutor(max_workers=1, mp_context=worker_context(),
                               initializer=faulty_models.dies_in_a_batch_and_alone,
                               initargs=(33,))
    try:
        runs = run_batch(tasks, settings, pool, chunk_size=len(tasks)).runs_table()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    assert runs["status"].tolist() == ["ok", "ok", "failed", "ok"]
    error = runs["error"][2]  # died in the batch, then alone
    assert error.count("exited with code 8") == 1
    assert error.count("exited with code 7") == MAX_TRIES - 1
    ok = runs["status"] == "ok"
    for metric in ("inaction", "bold"):  # each survivor's result is its lone run's, bit for bit
        assert runs.loc[ok, metric].tolist() == expected.loc[ok, metric].tolist()


@pytest.mark.slow  # as above
def test_without_the_run_board_the_run_that_kills_its_worker_is_found_by_isolation(
    tmp_path, no_process_left, monkeypatch
):
    """As for workers on another machine: lost runs are resent one per task, then alone."""
    elsewhere = RunBoard(tempfile.mkdtemp(prefix=PREFIX), "another-machine")
    monkeypatch.setattr(RunBoard, "open", classmethod(lambda cls: elsewhere))
    report = sweep_with(tmp_path, faulty_models.exits_for_one_seed, workers=2)
    assert (report.ok, report.failed, report.pending) == (23, 1, 0)
    assert not Path(elsewhere.folder).exists()
    error = failed_rows(tmp_path / "tiny")["error"][0]
    assert error.count("exited with code 7") == MAX_TRIES
    assert pd.read_parquet(tmp_path / "tiny" / "runs")["run_id"].is_unique


@pytest.mark.slow  # a worker start after the kill, and the hard limit (timeout + grace)
@pytest.mark.parametrize("model, workers", [
    (faulty_models.sleeps_in_c_for_one_seed, 2),
    (faulty_models.hogs_the_gil_in_c_for_one_seed, 1),
])
def test_a_run_stuck_in_native_code_is_stopped_by_the_sweep_and_recorded_as_timed_out(
    tmp_path, no_process_left, model, workers
):
    report = sweep_with(tmp_path, model, workers=workers, run_timeout=2)
    assert (report.ok, report.failed, report.pending) == (23, 1, 0)
    failed = failed_rows(tmp_path / "tiny")
    assert list(failed["run_id"]) == [POISONED_RUN]
    assert failed["error"][0].startswith(
        "timed out: the run took longer than run_timeout = 2 s and did not stop")
    runs = pd.read_parquet(tmp_path / "tiny" / "runs")
    assert runs["run_id"].is_unique and len(runs) == 24


@pytest.fixture(scope="module")
def local_dask():
    """The executor of ``--dask-local 2``, for the module; its workers end with it."""
    pytest.importorskip("distributed")
    before = live_descendants(os.getpid())
    with open_executor(None, None, 2) as (executor, _, _):
        yield executor
    assert_no_process_left(before)


@pytest.mark.slow  # a local Dask cluster (5-20 s to start), and a worker restart per death
def test_on_dask_a_run_that_kills_its_worker_is_failed_after_its_tries(tmp_path, local_dask):
    report = sweep_with(tmp_path, faulty_models.exits_for_one_seed, executor=local_dask)
    assert (report.ok, report.failed, report.pending) == (23, 1, 0)
    failed = failed_rows(tmp_path / "tiny")
    assert list(failed["run_id"]) == [POISONED_RUN]
    error = failed["error"][0]
    assert f"on each of its {MAX_TRIES} tries" in error
    # Each try's death, named by the run board ("worker process N died") or, when the board
    # did not see it in time on a loaded machine, by Dask ("its Dask worker died (KilledWorker").
    deaths = re.findall(r"worker process \d+ died|its Dask worker died \(KilledWorker", error)
    assert len(deaths) == MAX_TRIES, error
    runs = pd.read_parquet(tmp_path / "tiny" / "runs")
    assert runs["run_id"].is_unique and len(runs) == 24


@pytest.mark.slow  # as above
def test_on_dask_a_run_stuck_in_native_code_is_stopped_and_recorded_as_timed_out(
    tmp_path, local_dask
):
    report = sweep_with(tmp_path, faulty_models.hogs_the_gil_in_c_for_one_seed,
                        executor=local_dask, run_timeout=2)
    assert (report.ok, report.failed, report.pending) == (23, 1, 0)
    failed = failed_rows(tmp_path / "tiny")
    assert list(failed["run_id"]) == [POISONED_RUN]
    assert "did not stop (stuck outside Python" in failed["error"][0]


INTERRUPTED_SWEEP = """
import sys
from experiments.cli.sweep import open_executor
from experiments.engine.sweep import run_sweep
from experiments.engine.spec import load_spec
from tests import faulty_models

if __name__ == "__main__":
    with open_executor(1, None, None) as (pool, n, _):
        try:
            run_sweep(load_spec(sys.argv[1]), pool, progress=False, parallelism=n,
                      simulate=faulty_models.hogs_the_gil_in_c_for_one_seed)
        except KeyboardInterrupt:
            sys.exit(130)
"""


@pytest.mark.slow  # a sweep in a subprocess (imports, a forkserver)
@pytest.mark.parametrize("how, code", [(signal.SIGINT, 130), (signal.SIGKILL, -signal.SIGKILL)])
def test_an_ended_sweep_leaves_no_worker_stuck_in_native_code(tmp_path, how, code):
    """Interrupted, the sweep kills its worker; killed, the kernel ends the worker with it."""
    spec = tiny_spec(tmp_path, common_random_numbers=False)  # no run_timeout: it would hang
    process = subprocess.Popen([sys.executable, "-c", INTERRUPTED_SWEEP, spec], cwd=REPO)
    folder = tmp_path / "tiny"
    deadline = time.monotonic() + 120
    while len(part_files(folder)) < 2 and time.monotonic() < deadline:  # runs 0-5 are done
        time.sleep(0.05)
    time.sleep(1.0)  # the chunk of runs 6-8 is stuck at run 8, the poisoned one
    workers = live_descendants(process.pid)
    process.send_signal(how)
    assert process.wait(timeout=60) == code
    remove_boards_of(process.pid)
    deadline = time.monotonic() + 15
    while any(map(process_running, workers)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert workers and not any(map(process_running, workers))
    kept = pd.read_parquet(folder / "runs")
    assert len(kept) == 6 and (kept["status"] == "ok").all()


@pytest.mark.slow  # a sweep in a subprocess (imports, a forkserver)
@pytest.mark.parametrize("how, workers", [
    (signal.SIGTERM, 1), (signal.SIGTERM, 2), (signal.SIGHUP, 1),
])
def test_sigterm_to_the_sweep_is_handled_like_ctrl_c(tmp_path, tmp_path_factory, how, workers):
    """The message, the finished runs kept, no leaked semaphore, no process left, no litter."""
    skip_if_ignored(how)
    spec = tiny_spec(tmp_path, replications=60)  # 360 runs: it is running when the signal comes
    temporary = tmp_path_factory.mktemp("t")  # short: the forkserver's socket is named in it
    process = subprocess.Popen(
        [sys.executable, "-m", "experiments.cli", "sweep", spec, "--workers", str(workers),
         "--chunk-size", "2", "--quiet"],
        cwd=REPO, env={**os.environ, "TMPDIR": str(temporary)}, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    folder = tmp_path / "tiny"
    deadline = time.monotonic() + 120
    while not part_files(folder) and time.monotonic() < deadline:
        time.sleep(0.05)
    family = live_descendants(process.pid)  # workers, their forkserver, the resource tracker
    tracker = {pid for pid in family if b"resource_tracker" in command_line(pid)}
    process.send_signal(how)
    _, err = process.communicate(timeout=120)  # stderr ends once every process holding it has
    assert process.returncode == 128 + how, err
    assert "interrupted; rerun the same command to resume" in err
    assert "Traceback" not in err and "leaked" not in err and "resource_tracker" not in err, err
    # the workers and their forkserver end before the sweep does
    assert len(family - tracker) >= 2 and not any(map(process_running, family - tracker))
    # the resource tracker ends by itself once it has read that nothing leaked
    deadline = time.monotonic() + 15
    while any(map(process_running, tracker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(map(process_running, tracker))
    kept = pd.read_parquet(folder / "runs")
    assert len(kept) >= 2 and (kept["status"] == "ok").all() and kept["run_id"].is_unique
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["status"]["ok"] == len(kept) and manifest["finished"] is None
    assert list(temporary.iterdir()) == []  # its run board and its forkserver's socket folder


@pytest.mark.sweep
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


@pytest.mark.sweep
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


@pytest.mark.sweep
def test_system_exit_in_a_run_is_a_failed_run_and_its_chunk_mates_are_kept(tmp_path):
    report = sweep_with(tmp_path, faulty_models.system_exit_for_one_seed)
    assert (report.ok, report.failed, report.pending) == (23, 1, 0)
    failed = failed_rows(tmp_path / "tiny")
    assert list(failed["run_id"]) == [POISONED_RUN] and "SystemExit: 3" in failed["error"][0]


@pytest.mark.sweep
@pytest.mark.parametrize("model, error", [
    (faulty_models.keyboard_interrupt_for_one_seed, "KeyboardInterrupt: raised by the run"),
    (faulty_models.base_exception_for_one_seed, "Unusual: a BaseException from the run"),
])
def test_a_keyboard_interrupt_a_run_raises_in_process_is_that_runs_failure(
    tmp_path, capsys, monkeypatch, model, error
):
    """Not the user's Ctrl-C: the run is failed with its message, the others are kept."""
    import experiments.engine.run as execution

    spec = tiny_spec(tmp_path, common_random_numbers=False)
    monkeypatch.setattr(execution, "simulate_run", model)
    assert cli(["sweep", spec, "--quiet", "--chunk-size", "2", "--in-process"]) == 1
    assert "interrupted" not in capsys.readouterr().err
    failed = failed_rows(tmp_path / "tiny")
    assert list(failed["run_id"]) == [POISONED_RUN] and error in failed["error"][0]
    assert len(pd.read_parquet(tmp_path / "tiny" / "runs")) == 24
    monkeypatch.undo()
    assert cli(["sweep", spec, "--quiet", "--in-process"]) == 0
    assert "24 ok, 0 failed of 24 runs (1 in this session, 23 done before" in (
        capsys.readouterr().out)


@pytest.mark.sweep
@pytest.mark.parametrize("model, error", [
    (faulty_models.keyboard_interrupt_for_one_seed, "KeyboardInterrupt: raised by the run"),
    (faulty_models.base_exception_for_one_seed, "Unusual: a BaseException from the run"),
    (faulty_models.signals_itself_for_one_seed, None),  # a worker ignores SIGINT: the run is ok
])
def test_a_keyboard_interrupt_a_run_raises_in_a_worker_is_that_runs_failure(
    tmp_path, model, error, no_process_left
):
    report = sweep_with(tmp_path, model, workers=1)
    assert not boards_of_this_process()  # the sweep's run board went with it
    rows = pd.read_parquet(tmp_path / "tiny" / "runs")
    assert len(rows) == 24 and rows["run_id"].is_unique
    if error is None:
        assert (report.ok, report.failed, report.pending) == (24, 0, 0)
        return
    assert (report.ok, report.failed, report.pending) == (23, 1, 0)
    failed = failed_rows(tmp_path / "tiny")
    assert list(failed["run_id"]) == [POISONED_RUN] and error in failed["error"][0]


@pytest.mark.sweep
def test_a_sigint_to_the_sweeps_own_process_in_process_is_the_users_interrupt(
    tmp_path, capsys, monkeypatch
):
    """In process, a signal to the sweep itself stops it; what finished is kept and resumes."""
    import experiments.engine.run as execution

    skip_if_ignored(signal.SIGINT)

    spec = tiny_spec(tmp_path, common_random_numbers=False)
    monkeypatch.setattr(execution, "simulate_run", faulty_models.signals_itself_for_one_seed)
    assert cli(["sweep", spec, "--quiet", "--chunk-size", "2", "--in-process"]) == 130
    assert "interrupted; rerun the same command to resume" in capsys.readouterr().err
    kept = pd.read_parquet(tmp_path / "tiny" / "runs")
    assert len(kept) == 8 and (kept["status"] == "ok").all()  # points 0 and 1: before it
    monkeypatch.undo()
    assert cli(["sweep", spec, "--quiet", "--in-process"]) == 0
    assert "24 ok, 0 failed of 24 runs (16 in this session, 8 done before" in (
        capsys.readouterr().out)


@pytest.mark.sweep
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


def test_the_run_board_shows_a_run_while_it_runs_and_tells_a_reused_pid_apart():
    board = RunBoard.open()
    try:
        with board.running(POISONED_RUN):
            (entry,) = board.entries()
            assert (entry.pid, entry.run_id) == (os.getpid(), POISONED_RUN)
            assert board.alive(entry) and time.time() - entry.since < 60
        assert board.entries() == []
        if Path("/proc/self/stat").exists():  # the same pid, started at another time
            (Path(board.folder) / f"{os.getpid()}_1_1_{POISONED_RUN}").touch()
            (stale,) = board.entries()
            assert not board.alive(stale)
    finally:
        board.close()
    assert not Path(board.folder).exists()


def test_a_board_left_by_a_killed_sweep_is_removed_by_the_next(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # a sweep process that is gone
    left, recent, live = (tmp_path / f"{PREFIX}{pid}-{tag}"
                          for pid, tag in ((child.pid, "a"), (child.pid, "b"), (os.getpid(), "c")))
    for folder in (left, recent, live):
        folder.mkdir()
    hour_ago = time.time() - 3700
    for folder in (left, live):
        os.utime(folder, (hour_ago, hour_ago))
    RunBoard.open().close()
    assert not left.exists() and recent.exists() and live.exists()


def boards_of_this_process() -> list[Path]:
    """The run boards this process has in the temporary folder."""
    return list(Path(tempfile.gettempdir()).glob(f"{PREFIX}{os.getpid()}-*"))


def test_a_board_is_removed_even_when_a_run_is_noted_while_it_closes(monkeypatch):
    import experiments.engine.runboard as runboard

    board = RunBoard.open()
    real, calls = shutil.rmtree, []

    def noted_meanwhile(path, ignore_errors=False):
        calls.append(path)
        real(path, ignore_errors=ignore_errors)
        if len(calls) == 1:  # a worker notes a run just as the folder is being removed
            Path(path).mkdir()
            (Path(path) / f"{os.getpid()}_0_1_p00000-r0000").touch()

    monkeypatch.setattr(runboard.shutil, "rmtree", noted_meanwhile)
    board.close()
    assert len(calls) == 2 and not os.path.lexists(board.folder)


def test_a_zombie_sweep_counts_as_gone_for_its_workers():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while process_running(child.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not process_running(child.pid)  # exited but not reaped: a zombie
    child.wait()
    assert process_running(os.getpid())


# --------------------------------------------------------------------------------------------
# Damaged results folders
# --------------------------------------------------------------------------------------------


@pytest.fixture
def finished(tmp_path) -> tuple[str, Path]:
    """A finished tiny sweep: its spec path and its results folder."""
    spec = tiny_spec(tmp_path)
    assert cli(["sweep", spec, "--quiet", "--chunk-size", "4"]) == 0
    return spec, tmp_path / "tiny"


@pytest.mark.sweep
def test_parts_carry_the_spec_hash(finished):
    spec, out = finished
    for part in part_files(out, "runs") + part_files(out, "series"):
        assert part_spec_hash(part) == load_spec(spec).spec_hash()


@pytest.mark.sweep
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


@pytest.mark.sweep
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


@pytest.mark.sweep
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


@pytest.mark.sweep
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


@pytest.mark.sweep
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
    (["run", "default", "--steps", "2", "--out", "afile/x.parquet"], "--out"),  # below a file
    (["sweep", "SPEC", "--scheduler", "bogus"], "--scheduler"),
    (["sweep", "SPEC", "--workers", "2", "--in-process"], "--workers"),
])
def test_bad_flags_end_in_the_clean_error(tmp_path, capsys, monkeypatch, argv, named):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "adir.parquet").mkdir()
    (tmp_path / "afile").write_text("")
    argv = [tiny_spec(tmp_path) if a == "SPEC" else a for a in argv]
    start = time.monotonic()
    assert cli(argv) == 2
    assert time.monotonic() - start < 60
    err = capsys.readouterr().err
    assert named in err and "Traceback" not in err
    assert not (tmp_path / "tiny").exists()


def test_a_large_design_is_announced_before_it_is_planned(tmp_path, capsys, monkeypatch):
    import experiments.cli.sweep as sweep_cli
    import experiments.engine.plan as execution  # the command imports it when it runs

    monkeypatch.setattr(sweep_cli, "LARGE_DESIGN", 5)
    path = tiny_spec(tmp_path)
    monkeypatch.setattr(execution, "plan_sweep", lambda *a, **k: (_ for _ in ()).throw(
        ConfigError("stop after the announcement")))
    assert cli(["sweep", path]) == 2
    err = capsys.readouterr().err
    assert "planning 6 points x 4 replications = 24 runs" in err


@pytest.mark.sweep
def test_the_spec_records_the_run_timeout_in_the_manifest(finished):
    _, out = finished
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["spec"]["run_timeout"] is None
