"""Simulating target statistics for a parameter draw, and running many draws on an Executor.

``simulate_targets`` is the pure core: (parameter values, targets, seed) -> the targets' model
statistics, one model run per regime the targets need (and per replication). Everything that
runs many of them (the ABC sampler, the posterior predictive check, posterior-driven regime
comparisons) goes through :func:`map_ordered`, which sends chunks of work to any
``concurrent.futures.Executor`` and returns results in submission order, so that what is
computed never depends on the executor, the number of workers or the order of completion.
"""

from __future__ import annotations

import math
import multiprocessing
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from experiments.calibration.targets import (
    DEFAULT_REGIME,
    SimulationSettings,
    TargetSet,
    target_statistics,
)
from simulation import CadreModel, ModelConfig, load_config


def regime_config(
    regime: str, params: Mapping[str, float], settings: SimulationSettings
) -> ModelConfig:
    """The validated config of ``regime`` (a preset or ``default``) with the drawn parameters.

    Args:
        regime: preset name, or ``default`` for the built-in defaults.
        params: dotted config path -> value (behavioural and population parameters).
        settings: population size and run length.
    """
    source = None if regime == DEFAULT_REGIME else regime
    overrides = {"organisation.n_cadres": settings.n_cadres, **{k: float(v) for k, v in
                                                                 params.items()}}
    return load_config(source, overrides)


def run_seeds(seed: int, replications: int) -> list[int]:
    """The model seeds of one draw's replications, derived from the draw's seed."""
    children = np.random.SeedSequence(seed).spawn(replications)
    return [int(c.generate_state(1)[0]) for c in children]


def simulate_regime(
    regime: str, params: Mapping[str, float], settings: SimulationSettings, seed: int
) -> pd.DataFrame:
    """Per-step tables of ``settings.replications`` runs of one regime, stacked (``run`` column).

    Every regime run with the same ``seed`` gets the same model seeds (common random numbers).
    """
    config = regime_config(regime, params, settings)
    tables = [
        CadreModel(config, seed=s).run(settings.steps).assign(run=i)
        for i, s in enumerate(run_seeds(seed, settings.replications))
    ]
    return pd.concat(tables, ignore_index=True)


def simulate_targets(
    params: Mapping[str, float], targets: TargetSet, seed: int
) -> dict[str, float]:
    """The targets' model statistics for one parameter draw: a pure function of its arguments.

    Args:
        params: dotted config path -> value.
        targets: the target set (its regimes and simulation settings).
        seed: the draw's seed; each replication's model seed derives from it.

    Returns:
        Target name -> statistic (NaN where a ratio's denominator is 0).
    """
    tables = {
        regime: simulate_regime(regime, params, targets.simulation, seed)
        for regime in targets.regimes
    }
    return target_statistics(tables, targets)


# --------------------------------------------------------------------------------------------
# Executors
# --------------------------------------------------------------------------------------------


class InlineExecutor(Executor):
    """Runs each task in this process when it is submitted (tests, debugging, notebooks)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Run ``fn(*args, **kwargs)`` now; a finished future holds its result or exception."""
        future: Future = Future()
        future.set_running_or_notify_cancel()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future


def default_executor(workers: int = 2) -> Executor:
    """A process pool of ``workers`` processes (spawned: safe with threads in the parent)."""
    if workers <= 1:
        return InlineExecutor()
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


def as_executor(executor: Any) -> Executor:
    """A ``concurrent.futures.Executor``: a Dask ``Client`` becomes ``client.get_executor()``."""
    if not isinstance(executor, Executor) and hasattr(executor, "get_executor"):
        return executor.get_executor()
    return executor


def parallelism(executor: Executor, default: int = 2) -> int:
    """How many tasks the executor runs at once, where it says (process pools, Dask clients)."""
    if isinstance(executor, InlineExecutor):
        return 1
    workers = getattr(executor, "_max_workers", None)
    if workers:
        return int(workers)
    client = getattr(executor, "_client", executor)  # Dask: ClientExecutor or Client
    ncores = getattr(client, "ncores", None)
    if callable(ncores):
        try:
            return max(1, sum(ncores().values()))
        except Exception:  # a client that cannot be asked: fall back
            return default
    return default


def _apply_chunk[T, R](fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    return [fn(item) for item in items]


def map_ordered[T, R](
    fn: Callable[[T], R],
    items: Sequence[T],
    executor: Executor,
    *,
    chunk_size: int | None = None,
    desc: str = "",
    progress: bool = True,
    on_chunk: Callable[[int, list[R]], None] | None = None,
) -> list[R]:
    """``[fn(x) for x in items]`` on ``executor``, in chunks, results in the order of ``items``.

    At most two chunks per worker are in flight, and each finished chunk is handed to
    ``on_chunk`` before more are submitted, so what finished is stored even if the run is
    interrupted (an exception, Ctrl-C) before the end.

    Args:
        fn: a picklable function (module level) of one item.
        items: the work.
        executor: any ``concurrent.futures.Executor``.
        chunk_size: items per task (default: about four tasks per worker).
        desc: progress-bar label.
        progress: show a tqdm bar (on stderr).
        on_chunk: called in the parent with (index of the chunk's first item, its results) as
            each chunk finishes, e.g. to store them (resume after a kill).
    """
    if not items:
        return []
    executor = as_executor(executor)
    workers = parallelism(executor)
    if chunk_size is None:
        chunk_size = max(1, math.ceil(len(items) / (4 * workers)))
    starts = list(range(0, len(items), chunk_size))
    results: dict[int, list[R]] = {}
    pending: dict[Future, int] = {}

    def collect(done: Iterable[Future]) -> None:
        for future in done:
            start = pending.pop(future)
            chunk = future.result()
            results[start] = chunk
            if on_chunk is not None:
                on_chunk(start, chunk)
            bar.update(len(chunk))

    with tqdm(total=len(items), desc=desc, disable=not progress or None, leave=False) as bar:
        for start in starts:
            while len(pending) >= 2 * workers:
                collect(wait(pending, return_when=FIRST_COMPLETED).done)
            future = executor.submit(_apply_chunk, fn, list(items[start : start + chunk_size]))
            pending[future] = start
            collect([f for f in list(pending) if f.done()])
        while pending:
            collect(wait(pending, return_when=FIRST_COMPLETED).done)
    return [r for s in sorted(results) for r in results[s]]


def draw_seeds(seed: int | Iterable[int], n: int) -> list[int]:
    """``n`` independent 32-bit seeds from a seed (or a seed sequence's entropy)."""
    children = np.random.SeedSequence(seed).spawn(n)
    return [int(c.generate_state(1)[0]) for c in children]
