"""Running a sweep on any ``concurrent.futures.Executor``, writing results as they arrive.

Runs go to the executor in chunks (a worker process is reused for many runs) with a bounded
number of chunks in flight, and each finished chunk becomes one Parquet part, so memory stays
flat however large the sweep. A run that raises is recorded as failed with its traceback; the
sweep goes on. Rerunning a sweep skips the runs already done and retries the failed ones
(docs/results-format.md, "Resuming").
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import importlib.metadata
import itertools
import math
import os
import platform
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    BrokenExecutor,
    Executor,
    Future,
    ProcessPoolExecutor,
    wait,
)
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from experiments.engine import adaptive, storage
from experiments.engine.design import (
    ConfigBuilder,
    Design,
    Point,
    RunKey,
    config_hash,
    expand,
    iter_runs,
    run_id,
)
from experiments.engine.posterior import Posterior
from experiments.engine.runboard import RunBoard, process_running
from experiments.engine.spec import Spec
from experiments.engine.storage import SERIES_COLUMNS
from simulation.config import ModelConfig
from simulation.loading import ConfigError
from simulation.outputs import OUTPUTS_VERSION, reduce_run, run_outputs

#: Packages whose versions go into the manifest.
VERSIONED = (
    "cadresim", "mesa", "numpy", "pandas", "pyarrow", "scipy", "SALib", "pydantic", "dask",
    "distributed",
)
#: Largest automatic chunk: bounds the work lost to a kill and the wait for the first part.
MAX_CHUNK = 32
#: Configs validated while planning are kept for this many points (about 14 KiB each), so each
#: is validated once; later points are validated again as their runs are submitted.
KEPT_CONFIGS = 4096

Simulate = Callable[[ModelConfig, int, int], pd.DataFrame]
#: prctl option: the signal this process gets when its parent ends (Linux).
PR_SET_PDEATHSIG = 1


class SerialExecutor(Executor):
    """Runs each task in this process when it is submitted (``--workers 1``, debugging)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._shut = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Run ``fn(*args, **kwargs)`` now; its result (or exception) is in the future."""
        with self._lock:
            if self._shut:
                raise RuntimeError("cannot submit after shutdown")
        future: Future = Future()
        future.set_running_or_notify_cancel()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # an interrupt (KeyboardInterrupt) propagates to the caller
            future.set_exception(exc)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Refuse further tasks (there are never tasks pending)."""
        with self._lock:
            self._shut = True


def exit_with_parent(parent_pid: int, interval: float = 1.0) -> None:
    """Worker-process initializer: exit when the sweep process ``parent_pid`` is gone.

    A process-pool worker blocks forever on its task queue if the sweep is killed (kill -9
    gives the pool no chance to stop it); this watcher thread ends such orphans. The sweep
    counts as gone when the worker's own parent changes (it was reparented: the sweep, or the
    forkserver that started the worker, died) or when ``parent_pid`` no longer runs: it does
    not exist or is a zombie not yet reaped (``os.kill(pid, 0)`` alone passes a zombie).
    A thread needs the GIL, which a run stuck in native code may hold; so on Linux the kernel
    also kills the worker when its parent process ends (see :func:`_die_with_parent`).
    """
    original_parent = os.getppid()
    _die_with_parent()

    def watch() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != original_parent or not process_running(parent_pid):
                os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _die_with_parent() -> None:
    """Linux: have the kernel kill this worker when its parent process ends (no GIL needed).

    A forkserver's worker has the forkserver for parent, and the forkserver lives on while any
    process holds its liveness pipe, which it hands to every worker. The worker lets go of it
    (it starts no processes of its own), so a killed sweep ends its forkserver, and that ends
    the worker, even one stuck in native code. (For the kernel, the parent is the thread that
    started the worker: with the fork or spawn start methods, workers must be started from a
    thread that lives as long as the pool.)
    """
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    alive = getattr(server, "_forkserver_alive_fd", None)
    if alive is not None:  # this process's copy: the sweep keeps its own
        with contextlib.suppress(OSError):
            os.close(alive)
        server._forkserver_alive_fd = None


# --------------------------------------------------------------------------------------------
# One run, one chunk (what a worker executes)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunSettings:
    """What every run of a sweep shares: its length and what it keeps."""

    steps: int
    burn_in: int
    metrics: tuple[str, ...]
    series: tuple[str, ...] = ()
    #: Seconds a run may take before it is stopped and recorded as failed (None: no limit).
    timeout: float | None = None

    @property
    def outputs(self) -> tuple[str, ...]:
        """The run values stored per run: kept per-step means, then the derived outputs."""
        return run_outputs(self.metrics)


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs for one run; the config travels validated."""

    run_id: str
    point: int
    replicate: int
    seed: int
    regime: str
    parameters: dict[str, int | float]
    config: ModelConfig
    #: The posterior particle whose values the config holds (None: the spec has no posterior).
    particle: int | None = None


def simulate_run(config: ModelConfig, seed: int, steps: int) -> pd.DataFrame:
    """One model run: the per-step table of ``CadreModel(config, seed).run(steps)``."""
    from simulation.model import CadreModel

    return CadreModel(config, seed=seed).run(steps)


def _simulate(simulate: Simulate | None) -> Simulate:
    # Looked up at call time, so a test can replace simulate_run in this module.
    return simulate if simulate is not None else globals()["simulate_run"]


def run_one(
    task: RunTask, settings: RunSettings, simulate: Simulate | None = None
) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """Run one run: its ``runs/`` row (status ok or failed) and its long-format series columns.

    Never raises for a failing model: the row says ``failed`` and holds the traceback. So do a
    run that raises SystemExit, one that outlives ``settings.timeout`` and one whose outputs
    are NaN or infinite.
    """
    start = time.perf_counter()
    try:
        with run_deadline(settings.timeout):
            table = _simulate(simulate)(task.config, task.seed, settings.steps)
        if len(table) != settings.steps:
            raise RuntimeError(f"the run returned {len(table)} steps, expected {settings.steps}")
        values = reduce_run(table, settings.burn_in, settings.outputs)
        check_finite(values, table, settings.series)
        row = run_row(task, settings, values)
        series = _series(task, settings, table)
    except RunTimeout:
        error = f"timed out: the run took longer than run_timeout = {settings.timeout:g} s"
        row, series = run_row(task, settings, error=error), _empty_series()
    except (Exception, SystemExit):
        row, series = run_row(task, settings, error=traceback.format_exc()), _empty_series()
    row["seconds"] = time.perf_counter() - start
    return row, series


class RunTimeout(Exception):
    """Raised inside a run that outlives its sweep's ``run_timeout``."""


class NonFiniteOutput(ValueError):
    """A run's outputs hold NaN or infinite values: the run failed."""


def check_finite(
    values: dict[str, float], table: pd.DataFrame, series: Iterable[str] = ()
) -> None:
    """Raise :class:`NonFiniteOutput` naming the outputs (or kept series) that are NaN or inf."""
    bad = [name for name, value in values.items() if not math.isfinite(value)]
    bad += [
        f"{name} (per-step series)" for name in series
        if name in table and not np.isfinite(table[name].to_numpy(float)).all()
    ]
    if bad:
        raise NonFiniteOutput(f"the run's outputs are NaN or infinite: {', '.join(bad)}")


@contextlib.contextmanager
def run_deadline(seconds: float | None) -> Iterator[None]:
    """Raise :class:`RunTimeout` in this thread if the block lasts longer than ``seconds``.

    In a process's main thread (process-pool workers, the serial executor) a SIGALRM timer
    interrupts the run, sleeping included; in another thread (a Dask worker's) a timer thread
    raises the exception asynchronously, which takes effect at the run's next Python line.
    """
    if not seconds:
        yield
        return
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        def alarm(signum: int, frame: Any) -> None:
            raise RunTimeout

        previous = signal.signal(signal.SIGALRM, alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        return
    ident = threading.get_ident()
    guard = threading.Lock()
    done = []

    def interrupt() -> None:
        with guard:
            if not done:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(
                    ctypes.c_ulong(ident), ctypes.py_object(RunTimeout)
                )

    timer = threading.Timer(seconds, interrupt)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with guard:
            done.append(True)
        timer.cancel()


def run_row(
    task: RunTask, settings: RunSettings, values: dict[str, float] | None = None, error: str = ""
) -> dict[str, Any]:
    """A run's ``runs/`` row: ok with its output ``values``, or failed with ``error`` (NaNs)."""
    row: dict[str, Any] = {
        "run_id": task.run_id, "point": task.point, "replicate": task.replicate,
        "seed": task.seed, "regime": task.regime, "status": "failed" if error else "ok",
        "error": error, "seconds": math.nan if error else 0.0, **task.parameters,
    }
    if task.particle is not None:
        row["particle"] = task.particle
    if values is None:
        values = dict.fromkeys(settings.outputs, math.nan)
    row.update(values)
    return row


def _series(task: RunTask, settings: RunSettings, table: pd.DataFrame) -> dict[str, list[Any]]:
    """The run's kept per-step series in long format (``SERIES_COLUMNS``)."""
    series = _empty_series()
    steps = table["step"].to_numpy(np.int64).tolist()
    for metric in settings.series:
        values = table[metric].to_numpy(float).tolist()
        series["run_id"] += [task.run_id] * len(steps)
        series["point"] += [task.point] * len(steps)
        series["replicate"] += [task.replicate] * len(steps)
        series["regime"] += [task.regime] * len(steps)
        series["step"] += steps
        series["metric"] += [metric] * len(steps)
        series["value"] += values
    return series


def _empty_series() -> dict[str, list[Any]]:
    return {name: [] for name in SERIES_COLUMNS}


def run_chunk(
    tasks: list[RunTask],
    settings: RunSettings,
    simulate: Simulate | None = None,
    board: RunBoard | None = None,
) -> tuple[list[dict[str, Any]], dict[str, list[Any]]]:
    """Run several runs in turn (one executor task): their rows and their series, joined.

    Each run is noted on the sweep's ``board`` while it runs (see :class:`RunBoard`).
    """
    rows = []
    series = _empty_series()
    for task in tasks:
        with board.running(task.run_id) if board is not None else contextlib.nullcontext():
            row, run_series = run_one(task, settings, simulate)
        rows.append(row)
        for name, values in run_series.items():
            series[name] += values
    return rows, series


# --------------------------------------------------------------------------------------------
# The plan: points, configs, seeds, schemas
# --------------------------------------------------------------------------------------------


@dataclass
class SweepPlan:
    """A validated sweep: its points, each point's config hash, and how runs are stored."""

    spec: Spec
    origin: str
    design: Design
    builder: ConfigBuilder
    point_hashes: list[str]
    #: Configs validated while planning, handed to the first task of their point (then dropped).
    configs: dict[int, ModelConfig] = field(default_factory=dict, repr=False)
    #: With a posterior: the config hash of each (point, particle) the replicates can draw.
    drawn_hashes: dict[tuple[int, int], str] = field(default_factory=dict, repr=False)
    settings: RunSettings = field(init=False)
    #: Replicates planned per point (grows stage by stage with replications by precision).
    counts: list[int] = field(init=False)

    def __post_init__(self) -> None:
        spec = self.spec
        self.settings = RunSettings(
            spec.steps, spec.burn_in, tuple(spec.kept_metrics), tuple(spec.series),
            spec.run_timeout,
        )
        self.counts = [spec.initial_replications] * len(self.design.points)

    @property
    def points(self) -> list[Point]:
        """The design points in order."""
        return self.design.points

    @property
    def n_runs(self) -> int:
        """Runs planned: points x replications (by precision: the replicates planned so far)."""
        return sum(self.counts)

    @property
    def out(self) -> Path:
        """The results folder."""
        return Path(self.spec.output_dir)

    def runs(self) -> Iterator[RunKey]:
        """Every run of the sweep in run_id order."""
        return iter_runs(self.spec, len(self.points), self.counts, self.builder.posterior)

    def config(self, point: Point) -> ModelConfig:
        """The validated config of a point: the one planning validated, else built now."""
        config = self.configs.pop(point.point, None)
        return config if config is not None else self.builder.config(point.regime,
                                                                     point.parameters)

    def tasks(self, keys: Iterable[RunKey]) -> Iterator[RunTask]:
        """Tasks for the given runs, each with its point's config.

        Tasks for the given runs, with each point's config once per stretch of its replicates
        (beyond the first KEPT_CONFIGS points, configs are made as they are submitted, so memory
        stays bounded however large the design).
        """
        cached: tuple[int, ModelConfig] | None = None
        drawn: dict[int, ModelConfig] = {}  # this point's configs by particle
        for key in keys:
            point = self.points[key.point]
            if cached is None or cached[0] != key.point:
                cached = (key.point, self.config(point))
                drawn.clear()
            config = cached[1]
            if key.particle is not None:
                if key.particle not in drawn:
                    drawn[key.particle] = self.builder.config(
                        point.regime, point.parameters, key.particle)
                config = drawn[key.particle]
            yield RunTask(
                key.run_id, key.point, key.replicate, key.seed,
                self.builder.regime_label(point.regime), point.parameters, config, key.particle,
            )

    def runs_schema(self) -> pa.Schema:
        """Columns of runs/ parts (docs/results-format.md)."""
        fields = [
            ("run_id", pa.string()), ("point", pa.int64()), ("replicate", pa.int64()),
            ("seed", pa.int64()), ("regime", pa.string()), ("status", pa.string()),
            ("error", pa.string()), ("seconds", pa.float64()),
        ]
        if self.builder.posterior is not None:
            fields.append(("particle", pa.int64()))
        fields += [
            (path, pa.int64() if kind is int else pa.float64())
            for path, kind in self.design.parameters.items()
        ]
        fields += [(name, pa.float64()) for name in self.settings.outputs]
        return pa.schema(fields)

    def series_schema(self) -> pa.Schema | None:
        """Columns of series/ parts, or None when the spec keeps no series."""
        if not self.settings.series:
            return None
        types = {"point": pa.int64(), "replicate": pa.int64(), "step": pa.int64(),
                 "value": pa.float64()}
        return pa.schema([(name, types.get(name, pa.string())) for name in SERIES_COLUMNS])

    def run_records(self) -> dict[str, dict[str, Any]]:
        """The manifest's ``runs``: point, replicate, seed and config hash of every run.

        With a posterior, also the run's particle, and the hash is of the config with its values.
        """
        records: dict[str, dict[str, Any]] = {}
        for key in self.runs():
            record = {"point": key.point, "replicate": key.replicate, "seed": key.seed,
                      "config_hash": self.point_hashes[key.point]}
            if key.particle is not None:
                record |= {"particle": key.particle,
                           "config_hash": self.drawn_hashes[(key.point, key.particle)]}
            records[key.run_id] = record
        return records


def plan_sweep(spec: Spec, origin: str = "<spec>") -> SweepPlan:
    """Expand a spec and validate every point's config before anything runs.

    A point whose config is invalid (e.g. two varied fields that must stay ordered) is a spec
    error: the sweep cannot run as declared.
    """
    builder = ConfigBuilder(spec, origin)
    design = expand(spec, builder)
    particles = drawn_particles(spec, builder.posterior)
    hashes: list[str] = []
    drawn_hashes: dict[tuple[int, int], str] = {}
    problems: list[str] = []
    configs: dict[int, ModelConfig] = {}
    for point in design.points:
        particle = None
        try:
            config = builder.config(point.regime, point.parameters)
            for particle in particles:
                drawn = builder.config(point.regime, point.parameters, particle)
                drawn_hashes[(point.point, particle)] = config_hash(drawn)
        except ConfigError as exc:
            hashes.append("")
            if len(problems) < 5:
                problems.append(_point_problem(point, particle, exc))
            elif len(problems) == 5:
                problems.append("  - ... (more points fail)")
            continue
        hashes.append(config_hash(config))
        if point.point < KEPT_CONFIGS:
            configs[point.point] = config
    if problems:
        raise ConfigError(
            f"spec {origin!r}: design points with invalid configs:\n" + "\n".join(problems)
        )
    return SweepPlan(spec, origin, design, builder, hashes, configs, drawn_hashes)


def drawn_particles(spec: Spec, posterior: Posterior | None) -> list[int]:
    """The distinct particles the spec's replicates can draw (up to ``replications.max``)."""
    if posterior is None:
        return []
    target = spec.replication_target
    most = target.max if target is not None else spec.initial_replications
    return sorted({posterior.particle(spec.seed, r) for r in range(most)})


def _point_problem(point: Point, particle: int | None, exc: ConfigError) -> str:
    """One line for a point whose config (or the config of one of its particles) is invalid."""
    shown = "; ".join([point.regime, *(f"{k}={v:g}" for k, v in point.parameters.items())])
    if particle is not None:
        shown += f"; posterior particle {particle}"
    lines = str(exc).splitlines()
    detail = " ".join(line.strip(" -") for line in lines[1:]) or lines[0]
    return f"  - point {point.point} ({shown}): {detail}"


# --------------------------------------------------------------------------------------------
# The manifest
# --------------------------------------------------------------------------------------------


def package_versions(names: Sequence[str] = VERSIONED) -> dict[str, str | None]:
    """Python's and the key packages' versions (None for one not installed)."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def code_version() -> str | None:
    """``git describe --always --dirty`` of the code's checkout, or None outside git."""
    here = Path(__file__).resolve().parent
    try:
        done = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=here, capture_output=True,
            text=True, timeout=10, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _status(plan: SweepPlan, finished: dict[str, tuple[str, str]]) -> dict[str, int]:
    ok = sum(status == "ok" for status, _ in finished.values())
    failed = len(finished) - ok
    return {"ok": ok, "failed": failed, "pending": plan.n_runs - ok - failed}


def build_manifest(
    plan: SweepPlan, previous: dict[str, Any] | None, runs: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """The manifest at the start of a session (status pending; sessions appended on resume)."""
    versions = package_versions()
    version = code_version()
    session = {"started": _now(), "finished": None, "code_version": version,
               "versions": versions}
    sessions = [*(previous or {}).get("sessions", []), session]
    return {
        "spec": plan.spec.as_data(),
        "spec_hash": plan.spec.spec_hash(),
        "outputs_version": OUTPUTS_VERSION,
        "outputs": storage.describe_outputs(plan.settings.outputs),
        "design": plan.design.info,
        "points": [
            {"point": p.point, "regime": plan.builder.regime_label(p.regime),
             "parameters": p.parameters}
            for p in plan.points
        ],
        "runs": runs,
        **posterior_entry(plan),
        "versions": versions,
        "code_version": version,
        "started": (previous or {}).get("started") or session["started"],
        "finished": None,
        "status": {"ok": 0, "failed": 0, "pending": plan.n_runs},
        "sessions": sessions,
    }


def posterior_entry(plan: SweepPlan) -> dict[str, Any]:
    """The manifest's ``posterior`` (file, digest, drawn particles' values), if the spec has one."""
    posterior = plan.builder.posterior
    if posterior is None:
        return {}
    return {"posterior": posterior.manifest_entry(drawn_particles(plan.spec, posterior))}


# --------------------------------------------------------------------------------------------
# The sweep
# --------------------------------------------------------------------------------------------


@dataclass
class SweepReport:
    """What a sweep did: final status counts and this session's share."""

    out: Path
    total: int
    ok: int
    failed: int
    pending: int
    skipped: int  # already done (ok) when this session started
    ran: int  # runs executed in this session
    seconds: float


def default_chunk_size(pending: int, parallelism: int) -> int:
    """Runs per executor task: about eight tasks per worker, at most MAX_CHUNK runs each."""
    return max(1, min(MAX_CHUNK, math.ceil(pending / (8 * max(1, parallelism)))))


def run_sweep(
    spec: Spec | SweepPlan,
    executor: Executor,
    resume: bool = True,
    fresh: bool = False,
    progress: bool = True,
    *,
    parallelism: int | None = None,
    chunk_size: int | None = None,
    simulate: Simulate | None = None,
    run_timeout: float | None = None,
) -> SweepReport:
    """Run every run of a spec that is not yet done, on ``executor``; return the counts.

    Args:
        spec: the validated spec (or its plan from :func:`plan_sweep`).
        executor: any ``concurrent.futures.Executor``: :class:`SerialExecutor`, a process
            pool, a Dask ``client.get_executor()``.
        resume: continue a folder holding earlier results of the same spec: runs done are
            skipped, failed runs are run again. False refuses a folder that has results.
        fresh: delete the folder's results (manifest, runs/, series/) first.
        progress: a progress bar on stderr (runs done, failures, ETA).
        parallelism: how many runs the executor runs at once (sets the chunks in flight:
            twice this); default: the executor's ``_max_workers``, else 2.
        chunk_size: runs per executor task (default: :func:`default_chunk_size`).
        simulate: the function that runs the model, ``(config, seed, steps) -> table``
            (tests inject failures through it; for a process pool or Dask it must be a
            module-level function, so that it can be pickled).
        run_timeout: seconds a run may take before it is recorded as failed (overrides the
            spec's ``run_timeout``).
    """
    plan = spec if isinstance(spec, SweepPlan) else plan_sweep(spec)
    if run_timeout is not None:
        plan.settings = dataclasses.replace(plan.settings, timeout=run_timeout)
    out = plan.out
    storage.check_output_folder(out)
    started = time.perf_counter()
    with storage.results_lock(out):
        previous = storage.prepare_results_folder(out, plan.spec.spec_hash(), fresh=fresh)
        target = plan.spec.replication_target
        if target is not None:  # replay the stages the runs on disk completed
            plan.counts = adaptive.replay(
                adaptive.completed_values(out, list(target.precision)), plan.counts, target)
        records = plan.run_records()
        if previous is not None and _records_differ(previous.get("runs"), records, target):
            raise ConfigError(
                f"{out} holds results made from different configs (the base config, a preset "
                "or the model's defaults changed since); rerun with --fresh to start over"
            )
        for message in storage.check_parts(out, plan.spec.spec_hash(), records):
            print(f"cadresim sweep: {out}: {message}", file=sys.stderr)
        storage.remove_debris(out)
        finished = storage.finished_runs(out)
        if finished and not resume:
            raise ConfigError(
                f"{out} already holds {len(finished)} runs of this spec; rerun with --resume to "
                "continue or --fresh to start over"
            )
        retry = {rid: part for rid, (status, part) in finished.items() if status != "ok"}
        storage.drop_runs(out, retry)
        done = {rid for rid, (status, _) in finished.items() if status == "ok"}
        manifest = build_manifest(plan, previous, records)
        del records
        manifest["status"] = _status(plan, {rid: ("ok", "") for rid in done})
        storage.write_json_atomic(manifest, out / storage.MANIFEST)

        writer = storage.PartWriter(
            out, storage.next_session(out), plan.runs_schema(), plan.series_schema(),
            plan.spec.spec_hash(),
        )
        counts = {"ok": 0, "failed": 0}
        parallelism = parallelism or getattr(executor, "_max_workers", None) or 2
        pending = (key for key in plan.runs() if key.run_id not in done)
        size = chunk_size or default_chunk_size(plan.n_runs - len(done), parallelism)
        chunks = (list(plan.tasks(batch)) for batch in itertools.batched(pending, size))
        complete = target is None
        try:
            _execute(chunks, plan.n_runs, len(done), plan.settings, executor, writer, counts,
                     progress, parallelism, simulate, plan.spec.name)
            while not complete:  # replications by precision: stage after stage
                complete = _next_stage(plan, manifest, executor, writer, counts, progress,
                                       parallelism, simulate)
        finally:
            finished = storage.finished_runs(out)
            manifest["status"] = _status(plan, finished)
            session = manifest["sessions"][-1]
            session.update(finished=_now(), ran=counts["ok"] + counts["failed"], **counts)
            if manifest["status"]["pending"] == 0 and complete:
                manifest["finished"] = session["finished"]
            storage.write_json_atomic(manifest, out / storage.MANIFEST)
    status = manifest["status"]
    return SweepReport(
        out, plan.n_runs, status["ok"], status["failed"], status["pending"], len(done),
        counts["ok"] + counts["failed"], time.perf_counter() - started,
    )


def _records_differ(previous: Any, records: dict[str, dict[str, Any]], target: Any) -> bool:
    """Whether a folder's recorded runs contradict this plan's.

    Any difference for fixed replications; for replications by precision, a difference on the runs
    both name.
    """
    if target is None or not isinstance(previous, dict):
        return previous != records
    return any(previous[rid] != rec for rid, rec in records.items() if rid in previous)


def _next_stage(
    plan: SweepPlan,
    manifest: dict[str, Any],
    executor: Executor,
    writer: storage.PartWriter,
    counts: dict[str, int],
    progress: bool,
    parallelism: int,
    simulate: Simulate | None,
) -> bool:
    """Decide, record and run the next stage of replications by precision.

    The stage is decided from the completed runs and recorded in the manifest. True when this
    session has nothing more to run: no point grows, or a failed run leaves the stage undecided
    (a rerun retries it and goes on).
    """
    target = plan.spec.replication_target
    assert target is not None
    values = adaptive.completed_values(plan.out, list(target.precision))
    done, ok = adaptive.stage_complete(values, plan.counts)
    grown = adaptive.next_counts(values, plan.counts, target) if done and ok else plan.counts
    complete = done and ok and grown == plan.counts
    if done and not ok:  # a failed run: stop here, a rerun retries it and decides
        manifest["precision"] = adaptive.manifest_entry(values, plan.counts, target, False)
        return True
    old = plan.counts
    plan.counts = grown
    manifest["runs"] = plan.run_records()
    manifest["precision"] = adaptive.manifest_entry(values, old, target, complete)
    manifest["status"] = _status(plan, storage.finished_runs(plan.out))
    storage.write_json_atomic(manifest, plan.out / storage.MANIFEST)
    if complete:
        return True
    new = [key for key in plan.runs() if key.replicate >= old[key.point]]
    size = default_chunk_size(len(new), parallelism)
    chunks = (list(plan.tasks(batch)) for batch in itertools.batched(new, size))
    _execute(chunks, plan.n_runs, plan.n_runs - len(new), plan.settings, executor, writer,
             counts, progress, parallelism, simulate, plan.spec.name)
    return False


def _execute(
    chunks: Iterable[list[RunTask]],
    total: int,
    initial: int,
    settings: RunSettings,
    executor: Executor,
    sink: storage.PartWriter | MemorySink,
    counts: dict[str, int],
    progress: bool,
    parallelism: int,
    simulate: Simulate | None,
    desc: str,
) -> None:
    """Submit chunks of runs and write their results as they complete.

    At most 2 x parallelism chunks are in flight; each chunk's results go to the sink (one part
    of a results folder, or memory) as soon as it completes. Worker processes that die are
    survived (see :class:`Supervisor`).
    """
    from tqdm.auto import tqdm

    bar = tqdm(
        total=total, initial=initial, desc=desc, unit="run",
        file=sys.stderr, disable=not progress, dynamic_ncols=True, smoothing=0.05,
        mininterval=0.5,
    )

    def write(rows: list[dict[str, Any]], series: dict[str, list[Any]] | None) -> None:
        sink.write(rows, series)
        failed = sum(row["status"] != "ok" for row in rows)
        counts["failed"] += failed
        counts["ok"] += len(rows) - failed
        bar.set_postfix(failed=counts["failed"], refresh=False)
        bar.update(len(rows))

    supervisor = Supervisor(executor, settings, simulate, write, 2 * parallelism)
    with bar:
        supervisor.run(chunks)


#: A run whose worker process dies under it this many times is recorded as failed (never
#: retried forever).
MAX_TRIES = 2
#: Seconds past ``run_timeout`` after which the sweep kills the worker process of a run that
#: has not stopped itself (it is stuck outside Python, where its own timeout cannot reach).
HARD_TIMEOUT_GRACE = 2.0


@dataclass
class _Submitted:
    """Runs sent as one executor task.

    ``tier`` 0 is a chunk, 1 a run resent on its own after a failure of its chunk, 2 a run
    resent with nothing else in flight.
    """

    tasks: list[RunTask]
    tier: int


class Supervisor:
    """Feeds runs to an executor, bounded in flight, and survives workers that die or hang.

    Worker processes on this machine note each run they execute on a :class:`RunBoard`. So
    the sweep knows which run a dead worker was running, and it kills the worker of a run
    still going :data:`HARD_TIMEOUT_GRACE` seconds past ``run_timeout`` (stuck in native code,
    where the run's own timeout cannot interrupt it); that run is recorded as timed out.

    When a worker dies (a process pool breaks, or Dask reports ``KilledWorker``), the results
    already returned are kept, a broken pool is rebuilt, and the lost runs are sent again: the
    run the board names is retried with nothing else in flight, the others as tasks of their
    own. A run whose worker dies under it :data:`MAX_TRIES` times is recorded as failed with
    the causes (exit codes or signals, where known). Without the board's word (a worker on
    another machine), the lost runs are suspects: each is resent on its own, then alone, so
    that a death names its run. A Dask task that fails otherwise outside the model has its
    runs resent one per task once; a run that fails so on its own is recorded as failed.
    """

    def __init__(
        self,
        executor: Executor,
        settings: RunSettings,
        simulate: Simulate | None,
        write: Callable[[list[dict[str, Any]], dict[str, list[Any]] | None], None],
        limit: int,
    ) -> None:
        """Supervise ``executor``; ``write`` takes each finished batch of rows and series."""
        self.executor = executor
        self.settings = settings
        self.simulate = simulate
        self.write = write
        self.limit = max(1, limit)
        # Dask would give a resent run the key (and the failure) of its first try
        dask = type(executor).__module__.split(".")[0] == "distributed"
        self.options: dict[str, Any] = {"pure": False} if dask else {}
        # workers in other processes note their runs on a board (closed by run)
        self.board = None if isinstance(executor, SerialExecutor) else RunBoard.open()
        self.hard_limit: float | None = None  # seconds after which a run's worker is killed
        self.poll: float | None = None  # how often the board is read for runs past it
        if settings.timeout and self.board is not None:
            self.hard_limit = settings.timeout + HARD_TIMEOUT_GRACE
            self.poll = min(1.0, max(0.05, settings.timeout / 10))
        self.in_flight: dict[Future, _Submitted] = {}
        self.resend: list[RunTask] = []  # tier 1, sent in parallel
        self.alone: list[RunTask] = []  # tier 2, sent one at a time
        self.deaths: dict[str, list[str]] = {}  # run_id: what ended its worker, each try
        self.unsettled: set[str] = set()  # runs the board saw die with their worker
        self.verdicts: dict[str, str] = {}  # runs whose worker the watchdog killed: the error
        self.killed: set[tuple[int, str]] = set()  # (pid, start) of the processes it killed
        self.processes: dict[int, Any] = {}
        self.rebuilt: list[Executor] = []

    def run(self, chunks: Iterable[list[RunTask]]) -> None:
        """Run every chunk (and every resent run) to a row in the sink."""
        pending = iter(chunks)
        ended = False
        try:
            while self._fill(pending) or self.in_flight:
                if not self.in_flight:
                    continue
                order = list(self.in_flight)
                finished, _ = wait(order, timeout=self.poll, return_when=FIRST_COMPLETED)
                for future in sorted(finished, key=order.index):
                    if future in self.in_flight:
                        self._collect(future)
                self._watch()
            ended = True
        finally:
            for future in self.in_flight:
                future.cancel()
            if not ended:
                self._end_runs()
            for executor in self.rebuilt:
                executor.shutdown(wait=True, cancel_futures=True)
            if self.board is not None:
                self.board.close()

    def _fill(self, pending: Iterator[list[RunTask]]) -> bool:
        """Submit up to the limit (runs resent on their own first); False when all is sent."""
        while not self.alone and len(self.in_flight) < self.limit:
            if self.resend:
                self._submit([self.resend.pop(0)], 1)
                continue
            tasks = next(pending, None)
            if tasks is None:
                break
            self._submit(tasks, 0)
        else:
            if self.alone and not self.in_flight:
                self._submit([self.alone.pop(0)], 2)
            return True
        return bool(self.resend or self.alone)

    def _submit(self, tasks: list[RunTask], tier: int) -> None:
        try:
            future = self.executor.submit(
                run_chunk, tasks, self.settings, self.simulate, self.board, **self.options
            )
        except BrokenExecutor:  # the pool broke before its broken futures were collected
            if tier == 2:
                self.alone.insert(0, tasks[0])
            else:
                self.resend[:0] = tasks
            self._pool_broke()
            return
        self.in_flight[future] = _Submitted(tasks, tier)
        self.processes.update(getattr(self.executor, "_processes", None) or {})

    def _collect(self, future: Future) -> None:
        sent = self.in_flight.pop(future)
        try:
            rows, series = future.result()
        except BrokenExecutor:
            self.in_flight[future] = sent
            self._pool_broke()
            return
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # the task failed outside the model (e.g. Dask's KilledWorker)
            named = self._note_deaths({})
            if type(exc).__name__ == "KilledWorker" or named & {t.run_id for t in sent.tasks}:
                self._lost([sent], f"its Dask worker died ({type(exc).__name__}: {exc})")
                return
            if len(sent.tasks) > 1:
                self.resend += sent.tasks
                return
            error = "the run failed outside the model:\n" + traceback.format_exc()
            rows, series = [run_row(task, self.settings, error=error) for task in sent.tasks], None
        self.write(rows, series)

    def _pool_broke(self) -> None:
        """Keep what finished, settle or resend what was in flight, start a fresh pool."""
        codes = self._exit_codes()
        self._note_deaths(codes)
        cause = ", ".join(exit_cause(pid, code) for pid, code in codes.items() if code) or (
            "a worker process ended abruptly")
        lost: list[_Submitted] = []
        for future, sent in list(self.in_flight.items()):
            if future.done() and not future.cancelled() and future.exception() is None:
                self._collect(future)
            else:
                lost.append(sent)
        self.in_flight.clear()
        self.executor = self._fresh_executor()
        self._lost(lost, cause)

    def _lost(self, lost: list[_Submitted], cause: str) -> None:
        """Settle the runs of tasks lost with their worker.

        A run the watchdog stopped is failed (timed out); a run the board saw die with its
        worker is retried alone or failed (:meth:`_settle`), and the runs lost beside it are
        resent. Without such a run, a run lost on its own is blamed (``cause``), and several
        lost together are suspects: resent one per task, or alone if they were already.
        """
        runs = [(task, sent.tier) for sent in lost for task in sent.tasks]
        named = any(t.run_id in self.verdicts or t.run_id in self.unsettled for t, _ in runs)
        for task, tier in runs:
            if task.run_id in self.verdicts:
                self._fail(task, self.verdicts.pop(task.run_id))
            elif task.run_id in self.unsettled:
                self.unsettled.discard(task.run_id)
                self._settle(task)
            elif named:  # it only shared a worker (or a pool) with the run that ended it
                self.resend.append(task)
            elif len(runs) == 1:
                self.deaths.setdefault(task.run_id, []).append(cause)
                self._settle(task)
            else:
                (self.resend if tier == 0 else self.alone).append(task)

    def _settle(self, task: RunTask) -> None:
        """Retry a run whose worker died under it, alone; fail it after MAX_TRIES deaths."""
        deaths = self.deaths[task.run_id]
        if len(deaths) < MAX_TRIES:
            self.alone.append(task)
            return
        self._fail(task, (
            f"the worker process died while running this run, on each of its {len(deaths)} "
            f"tries (a run is tried until its worker has died MAX_TRIES = {MAX_TRIES} times): "
            + "; ".join(deaths)
        ))

    def _fail(self, task: RunTask, error: str) -> None:
        self.write([run_row(task, self.settings, error=error)], None)

    def _note_deaths(self, codes: dict[int, int | None]) -> set[str]:
        """Record a death for each run the board shows in a dead process; their run ids.

        ``codes`` are a broken pool's exit codes by pid. The pool ends its other workers
        (SIGTERM) when one dies: runs in those are not blamed when another death (or the
        watchdog) explains the break. Runs in a process the watchdog killed are not blamed.
        """
        if self.board is None:
            return set()
        dead = [e for e in self.board.entries() if e.pid != os.getpid() and not self.board.alive(e)]
        for entry in dead:
            self.board.remove(entry)
        dead = [e for e in dead if (e.pid, e.start) not in self.killed
                and e.run_id not in self.verdicts]
        ended = [e for e in dead if codes.get(e.pid) == -signal.SIGTERM]
        if len(ended) < len(dead) or any(pid in codes for pid, _ in self.killed):
            dead = [e for e in dead if e not in ended]
        for entry in dead:
            cause = exit_cause(entry.pid, codes.get(entry.pid))
            self.deaths.setdefault(entry.run_id, []).append(cause)
            self.unsettled.add(entry.run_id)
        return {entry.run_id for entry in dead}

    def _watch(self) -> None:
        """Kill the worker process of a run still going past its hard limit: it timed out."""
        if self.board is None or self.hard_limit is None:
            return
        now = time.time()
        for entry in self.board.entries():
            if (now - entry.since <= self.hard_limit or entry.pid == os.getpid()
                    or (entry.pid, entry.start) in self.killed or not self.board.alive(entry)):
                continue
            try:
                os.kill(entry.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):  # it died meanwhile, or is not ours
                continue
            self.killed.add((entry.pid, entry.start))
            self.verdicts[entry.run_id] = (
                f"timed out: the run took longer than run_timeout = {self.settings.timeout:g} s "
                "and did not stop (stuck outside Python, e.g. in native code), so its worker "
                f"process {entry.pid} was killed"
            )

    def _end_runs(self) -> None:
        """On an abnormal end, kill the pool workers still running runs.

        Their results would be lost anyway, and shutting the pool down must not wait on a run
        stuck in native code.
        """
        if self.board is None:
            return
        for entry in self.board.entries():
            if entry.pid in self.processes and self.board.alive(entry):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(entry.pid, signal.SIGKILL)

    def _exit_codes(self) -> dict[int, int | None]:
        """The exit codes of the broken pool's processes by pid, once the pool has ended them.

        The pool's own thread ends and reaps them (an exit code read from two threads can be
        lost); a worker still running after a few seconds (it ignores SIGTERM) is killed, and
        counted as ended by the pool.
        """
        manager = getattr(self.executor, "_executor_manager_thread", None)
        outlived: set[int] = set()
        if manager is not None:
            manager.join(timeout=5.0)
            for pid, process in self.processes.items():
                if manager.is_alive() and process.is_alive():
                    outlived.add(pid)
                    process.kill()
            manager.join(timeout=5.0)
        codes = {
            pid: -signal.SIGTERM if pid in outlived else getattr(process, "exitcode", None)
            for pid, process in self.processes.items()
        }
        self.processes.clear()
        return codes

    def _fresh_executor(self) -> Executor:
        """A new process pool configured like the broken one (which is shut down)."""
        old = self.executor
        if not isinstance(old, ProcessPoolExecutor):
            raise BrokenExecutor(f"the executor {old!r} is broken and cannot be rebuilt")
        old.shutdown(wait=False, cancel_futures=True)
        fresh = ProcessPoolExecutor(
            max_workers=getattr(old, "_max_workers", None),
            mp_context=getattr(old, "_mp_context", None),
            initializer=getattr(old, "_initializer", None),
            initargs=getattr(old, "_initargs", ()),
        )
        self.rebuilt.append(fresh)
        return fresh


def exit_cause(pid: int, code: int | None) -> str:
    """What ended worker process ``pid``: its exit code or signal (``None``: unknown)."""
    if code is None:
        return f"worker process {pid} died"
    if code >= 0:
        return f"worker process {pid} exited with code {code}"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = f"signal {-code}"
    hint = " (e.g. the out-of-memory killer)" if -code == signal.SIGKILL else ""
    return f"worker process {pid} was killed by {name}{hint}"


# --------------------------------------------------------------------------------------------
# Sinks: where finished runs go (a results folder, or memory)
# --------------------------------------------------------------------------------------------


class MemorySink:
    """Keeps finished runs in memory: the sink of small batches (validation arms, tests).

    It has the :class:`~experiments.engine.storage.PartWriter` interface (``write``), so the
    same executor loop feeds both.
    """

    def __init__(self) -> None:
        """Start empty."""
        self.rows: list[dict[str, Any]] = []
        self.series: dict[str, list[Any]] = _empty_series()

    def write(self, rows: list[dict[str, Any]], series: dict[str, list[Any]] | None = None) -> str:
        """Keep a batch of rows and their series; returns a name for the batch."""
        self.rows += rows
        for name, values in (series or {}).items():
            self.series[name] += values
        return f"batch-{len(self.rows)}"

    def runs_table(self) -> pd.DataFrame:
        """One row per run, in run order."""
        return pd.DataFrame(self.rows).sort_values("run_id", kind="stable").reset_index(drop=True)

    def series_table(self) -> pd.DataFrame:
        """The kept series in long format (``SERIES_COLUMNS``)."""
        return pd.DataFrame(self.series, columns=list(SERIES_COLUMNS))


def run_arm(
    configs: Iterable[ModelConfig] | ModelConfig,
    seeds: Iterable[int],
    steps: int,
    burn_in: int = 0,
    metrics: Iterable[str] = (),
    series: Iterable[str] = (),
    *,
    simulate: Simulate | None = None,
) -> MemorySink:
    """Run one config (or one config per seed) for each seed, in this process, into memory.

    The runner of the validation suite and the directional tests: the sweep's own code path
    (:func:`run_chunk`, :func:`~simulation.outputs.reduce_run`, the burn-in convention of
    ``simulation.outputs``) without a spec or a results folder. Runs are numbered in seed order
    (``replicate``); a failed run raises, with the model's traceback.
    """
    seed_list = list(seeds)
    config_list = (
        [configs] * len(seed_list) if isinstance(configs, ModelConfig) else list(configs)
    )
    if len(config_list) != len(seed_list):
        raise ValueError(f"{len(config_list)} configs for {len(seed_list)} seeds")
    settings = RunSettings(steps, burn_in, tuple(metrics), tuple(series))
    tasks = [
        RunTask(run_id(0, i), 0, i, seed, config.name, {}, config)
        for i, (config, seed) in enumerate(zip(config_list, seed_list, strict=True))
    ]
    sink = MemorySink()
    _execute(
        [tasks], len(tasks), 0, settings, SerialExecutor(), sink, {"ok": 0, "failed": 0},
        progress=False, parallelism=1, simulate=simulate, desc="arm",
    )
    failed = [row for row in sink.rows if row["status"] != "ok"]
    if failed:
        raise RuntimeError(f"a run of seed {failed[0]['seed']} failed:\n{failed[0]['error']}")
    return sink
