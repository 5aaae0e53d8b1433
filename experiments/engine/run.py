"""One run and one chunk of runs: what a worker executes.

A run never raises for a failing model: its row says ``failed`` and holds the traceback (so do
a run that raises SystemExit or KeyboardInterrupt, one that outlives its timeout, and one whose
outputs are NaN or infinite). Only the user's interrupt of the sweep itself
(``experiments.engine.interrupts``) passes through.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from experiments.engine.interrupts import SweepInterrupted
from experiments.engine.runboard import RunBoard
from experiments.engine.storage import SERIES_COLUMNS
from simulation import accounting
from simulation.config import ModelConfig
from simulation.outputs import reduce_run, run_outputs

Simulate = Callable[[ModelConfig, int, int], pd.DataFrame]


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


#: The model's own run, which batches of replicates may replace (``_batches``).
_MODEL_RUN = simulate_run


def _simulate(simulate: Simulate | None) -> Simulate:
    # Looked up at call time, so a test can replace simulate_run in this module.
    return simulate if simulate is not None else globals()["simulate_run"]


def run_one(
    task: RunTask, settings: RunSettings, simulate: Simulate | None = None
) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """Run one run: its ``runs/`` row (status ok or failed) and its long-format series columns.

    Never raises for a failing model: the row says ``failed`` and holds the traceback. So do a
    run that raises SystemExit, KeyboardInterrupt or any other BaseException, one that outlives
    ``settings.timeout`` and one whose outputs are NaN or infinite. Only
    :class:`SweepInterrupted`, a signal to the sweep's own process, ends the sweep.
    """
    start = time.perf_counter()
    try:
        # The inaction accounting only if a kept output or series reads it (same bits else).
        with run_deadline(settings.timeout), accounting.only_for(
                settings.outputs + settings.series):
            table = _simulate(simulate)(task.config, task.seed, settings.steps)
    except RunTimeout:
        error = f"timed out: the run took longer than run_timeout = {settings.timeout:g} s"
        row, series = finish_run(task, settings, None, error)
    except SweepInterrupted:
        raise
    except BaseException:  # whatever else the run raised is the run's failure
        row, series = finish_run(task, settings, None, traceback.format_exc())
    else:
        row, series = finish_run(task, settings, table)
    row["seconds"] = time.perf_counter() - start
    return row, series


def finish_run(
    task: RunTask, settings: RunSettings, table: pd.DataFrame | None, error: str = ""
) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """A run's row and series from its per-step table (or the ``error`` that stopped it)."""
    if table is None:
        return run_row(task, settings, error=error), empty_series()
    try:
        if len(table) != settings.steps:
            raise RuntimeError(f"the run returned {len(table)} steps, expected {settings.steps}")
        values = reduce_run(table, settings.burn_in, settings.outputs)
        check_finite(values, table, settings.series)
        row = run_row(task, settings, values)
        series = _series(task, settings, table)
    except SweepInterrupted:
        raise
    except BaseException:  # whatever else the run raised is the run's failure
        row, series = run_row(task, settings, error=traceback.format_exc()), empty_series()
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
    series = empty_series()
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


def empty_series() -> dict[str, list[Any]]:
    """Empty long-format series columns (``SERIES_COLUMNS``)."""
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
    series = empty_series()
    for batch in _batches(tasks, settings, simulate):
        with contextlib.ExitStack() as noted:
            for task in batch:
                noted.enter_context(board.running(task.run_id) if board is not None
                                    else contextlib.nullcontext())
            results = (run_batch_of_replicates(batch, settings) if len(batch) > 1
                       else [run_one(batch[0], settings, simulate)])
        for row, run_series in results:
            rows.append(row)
            for name, values in run_series.items():
                series[name] += values
    return rows, series


def _batches(tasks: list[RunTask], settings: RunSettings, simulate: Simulate | None
             ) -> Iterator[list[RunTask]]:
    """The chunk's runs in batches of replicates (``experiments.engine.batching``).

    Only runs of the model itself are batched: a chunk given its own ``simulate`` (or whose
    ``simulate_run`` a test replaced) runs run by run.
    """
    if _simulate(simulate) is not _MODEL_RUN:
        yield from ([task] for task in tasks)
        return
    from experiments.engine.batching import batches

    yield from batches(tasks, settings)


def chunk_size_for(default: int, n_cadres: int | None, pending: int, parallelism: int,
                   settings: RunSettings, simulate: Simulate | None = None) -> int:
    """The default chunk size, raised to one batch of replicates where the runs batch.

    Only for the model's own runs (``_batches``); see ``batching.chunk_size``.
    """
    if _simulate(simulate) is not _MODEL_RUN:
        return default
    from experiments.engine.batching import chunk_size

    return chunk_size(default, n_cadres, pending, parallelism, settings)


def run_batch_of_replicates(
    tasks: list[RunTask], settings: RunSettings
) -> list[tuple[dict[str, Any], dict[str, list[Any]]]]:
    """Runs of one design point as one batch; each run alone again if the batch raises.

    Each run's row and series are those ``run_one`` gives (its table is its lone run's), so
    a failing run fails alone and the others of its batch succeed.
    """
    from experiments.engine.batching import simulate_batch

    start = time.perf_counter()
    try:
        with accounting.only_for(settings.outputs + settings.series):
            tables = simulate_batch(tasks, settings.steps)
    except SweepInterrupted:
        raise
    except BaseException:  # the batch's failure: each run alone says whose
        return [run_one(task, settings) for task in tasks]
    seconds = (time.perf_counter() - start) / len(tasks)
    results = []
    for task, table in zip(tasks, tables, strict=True):
        row, series = finish_run(task, settings, table)
        row["seconds"] = seconds
        results.append((row, series))
    return results

