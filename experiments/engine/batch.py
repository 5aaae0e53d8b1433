"""Batches of runs kept in memory: validation arms, calibration draws, tests.

The same plan -> execute -> supervise path as a sweep, with a sink in memory instead of a
results folder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor
from typing import Any

import pandas as pd

from experiments.engine.design import run_id
from experiments.engine.executors import SerialExecutor, parallelism
from experiments.engine.plan import default_chunk_size
from experiments.engine.run import RunSettings, RunTask, Simulate, chunk_size_for, empty_series
from experiments.engine.storage import SERIES_COLUMNS
from experiments.engine.supervise import Sink, execute
from simulation.config import ModelConfig


class MemorySink:
    """Keeps finished runs in memory: the sink of small batches (validation arms, tests).

    It has the :class:`~experiments.engine.storage.PartWriter` interface (``write``), so the
    same executor loop feeds both.
    """

    def __init__(self) -> None:
        """Start empty."""
        self.rows: list[dict[str, Any]] = []
        self.series: dict[str, list[Any]] = empty_series()

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
    (:func:`run_batch`, :func:`~experiments.engine.run.run_chunk`,
    :func:`~simulation.outputs.reduce_run`, the burn-in convention of ``simulation.outputs``)
    without a spec or a results folder. Runs are numbered in seed order
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
    sink = run_batch(tasks, settings, chunk_size=len(tasks), simulate=simulate, desc="arm")
    failed = [row for row in sink.rows if row["status"] != "ok"]
    if failed:
        raise RuntimeError(f"a run of seed {failed[0]['seed']} failed:\n{failed[0]['error']}")
    return sink


def run_batch[S: Sink](
    tasks: list[RunTask],
    settings: RunSettings,
    executor: Executor | None = None,
    *,
    sink: S | None = None,
    chunk_size: int | None = None,
    simulate: Simulate | None = None,
    progress: bool = False,
    desc: str = "batch",
    enough: Callable[[], bool] | None = None,
) -> S | MemorySink:
    """Run ``tasks`` on ``executor`` (default: this process), supervised, into ``sink``.

    The sink (default: a new :class:`MemorySink`) gets each finished chunk as it comes back;
    failed runs are rows with status ``failed``, as in a sweep. ``enough``, asked before each
    chunk is sent, ends the batch early when it says True: the chunks not sent yet are left
    out (a calibration that has accepted all the particles it needs).
    """
    executor = executor if executor is not None else SerialExecutor()
    workers = parallelism(executor)
    size = chunk_size or chunk_size_for(
        default_chunk_size(len(tasks), workers),
        tasks[0].config.organisation.n_cadres if tasks else None, len(tasks), workers, settings,
        simulate)

    def chunks() -> Iterator[list[RunTask]]:  # sent lazily: at most 2 x workers in flight
        for start in range(0, len(tasks), size):
            if enough is not None and enough():
                return
            yield tasks[start : start + size]

    kept = sink if sink is not None else MemorySink()
    execute(chunks(), len(tasks), 0, settings, executor, kept, {"ok": 0, "failed": 0}, progress,
            workers, simulate, desc)
    return kept
