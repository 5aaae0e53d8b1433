"""Simulating calibration draws through the engine: a draw's runs become its target statistics.

A draw is (parameter values, seed): one model run per regime the targets need and per
replication, the model seeds derived from the draw's seed (every regime gets the same ones:
common random numbers). :func:`simulate_draws` sends the runs of many draws as one batch down
the engine's path (``experiments.engine.batch.run_batch``: chunks on any executor, supervised,
into memory) and turns each draw's per-step series into the targets' statistics (from arrays of
the kept years, no tables) as soon as its last run is back. The statistics are a pure function
of the draw, whatever the executor, the number of workers or the order of completion.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np

from experiments.calibration.targets import (
    SimulationSettings,
    TargetSet,
    kept_statistic,
    parse_statistic,
)
from experiments.engine.batch import run_batch
from experiments.engine.design import run_id
from experiments.engine.run import RunSettings, RunTask
from simulation import ModelConfig, load_config
from simulation.loading import STATUS_QUO, config_with_overrides


@dataclass(frozen=True)
class Draw:
    """One parameter draw to simulate: dotted config path -> value, and the draw's seed."""

    params: Mapping[str, float]
    seed: int


#: Called with each batch of finished draws: (index in the batch, the targets' statistics).
OnDraws = Callable[[list[tuple[int, dict[str, float]]]], None]


def regime_config(
    regime: str, params: Mapping[str, float], settings: SimulationSettings
) -> ModelConfig:
    """The validated config of ``regime`` (a preset or ``default``) with the drawn parameters.

    With a switch in ``settings`` the run starts under ``regime`` and the switch's preset is
    phased in from its year (``simulation.schedule``).

    Args:
        regime: preset name, or ``default`` for the built-in defaults.
        params: dotted config path -> value (behavioural and population parameters).
        settings: population size, run length and the switch between survey periods.
    """
    fixed = {"organisation.n_cadres": settings.n_cadres, **settings.switch_overrides()}
    base = _regime_base(regime, tuple(fixed.items()))
    return config_with_overrides(base, {k: float(v) for k, v in params.items()})


@functools.lru_cache(maxsize=16)
def _regime_base(regime: str, fixed: tuple[tuple[str, Any], ...]) -> ModelConfig:
    """``regime`` at the targets' settings, read once a batch of draws: each draw starts from it."""
    return load_config(None if regime == STATUS_QUO else regime, dict(fixed))


def run_seeds(seed: int, replications: int) -> list[int]:
    """The model seeds of one draw's replications, derived from the draw's seed."""
    children = np.random.SeedSequence(seed).spawn(replications)
    return [int(c.generate_state(1)[0]) for c in children]


def draw_seeds(seed: int | Iterable[int], n: int) -> list[int]:
    """``n`` independent 32-bit seeds from a seed (or a seed sequence's entropy)."""
    children = np.random.SeedSequence(seed).spawn(n)
    return [int(c.generate_state(1)[0]) for c in children]


def target_columns(targets: TargetSet) -> tuple[str, ...]:
    """The per-step columns the targets' statistics read, each once, in first-use order."""
    names = [name for t in targets.targets for name in parse_statistic(t.statistic) if name]
    return tuple(dict.fromkeys(names))


def run_settings(targets: TargetSet, timeout: float | None = None) -> RunSettings:
    """What every run of a calibration keeps: the per-step series its targets read."""
    simulation = targets.simulation
    return RunSettings(simulation.steps, simulation.burn_in, (), target_columns(targets),
                       timeout)


def draw_tasks(index: int, draw: Draw, targets: TargetSet) -> list[RunTask]:
    """The runs of draw ``index``: per regime (in target order), one per replication.

    Run ``replicate`` numbers the draw's runs regime by regime; the seeds repeat per regime.
    """
    simulation = targets.simulation
    seeds = run_seeds(draw.seed, simulation.replications)
    tasks = []
    for position, regime in enumerate(targets.regimes):
        config = regime_config(regime, draw.params, simulation)
        for k, seed in enumerate(seeds):
            replicate = position * simulation.replications + k
            tasks.append(RunTask(run_id(index, replicate), index, replicate, seed, regime, {},
                                 config))
    return tasks


class DrawSink:
    """The engine's sink for calibration draws: runs grouped by draw, statistics when complete.

    Each run is kept as the arrays of its kept years (after the burn-in), one per column the
    targets read; a draw's statistics are taken from them (``targets.kept_statistic``) as soon
    as its last run is back. A failed run (the model raised, timed out, or killed its worker on
    every try) stops the calibration with the run's error: a calibration cannot go on with a
    draw missing.
    """

    def __init__(self, targets: TargetSet, on_draws: OnDraws) -> None:
        """Collect the runs of ``targets``' draws; ``on_draws`` gets each batch of finished ones."""
        self.targets = targets
        self.on_draws = on_draws
        self.runs_per_draw = len(targets.regimes) * targets.simulation.replications
        self.runs: dict[int, dict[int, dict[str, np.ndarray]]] = {}

    def write(self, rows: list[dict[str, Any]], series: dict[str, list[Any]] | None = None) -> str:
        """Keep a chunk's runs; report the draws whose last run this chunk brought."""
        failed = [row for row in rows if row["status"] != "ok"]
        if failed:
            row = failed[0]
            raise RuntimeError(
                f"calibration run {row['run_id']} (regime {row['regime']}, seed {row['seed']}) "
                f"failed:\n{row['error']}"
            )
        burn_in = self.targets.simulation.burn_in
        for (index, replicate), columns in kept_runs(series or {}, burn_in).items():
            self.runs.setdefault(index, {})[replicate] = columns
        done = sorted(i for i, runs in self.runs.items() if len(runs) == self.runs_per_draw)
        if done:
            self.on_draws([(index, self._statistics(self.runs.pop(index))) for index in done])
        return f"draws-{len(done)}"

    def _statistics(self, runs: dict[int, dict[str, np.ndarray]]) -> dict[str, float]:
        """The targets' statistics of one draw: its runs' kept years joined per regime."""
        replications = self.targets.simulation.replications
        position = {regime: p for p, regime in enumerate(self.targets.regimes)}
        stats = {}
        for t in self.targets.targets:
            first = position[t.regime] * replications
            rows = self.targets.kept_rows(t)
            stacked = [runs[first + k] for k in range(replications)]
            columns = {
                name: _joined([run[name] if rows is None else run[name][rows]
                               for run in stacked])
                for name in parse_statistic(t.statistic) if name
            }
            stats[t.name] = kept_statistic(columns, t.statistic)
        return stats


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    """One array of the parts (the part itself when there is one)."""
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def kept_runs(
    series: Mapping[str, list[Any]], burn_in: int
) -> dict[tuple[int, int], dict[str, np.ndarray]]:
    """Each run's kept years (steps after ``burn_in``) per column, from long-format series.

    Keyed by (point, replicate); a run's values keep their order.
    """
    value = np.asarray(series.get("value", ()), dtype=float)
    if not len(value):
        return {}
    point = np.asarray(series["point"], dtype=np.int64)
    replicate = np.asarray(series["replicate"], dtype=np.int64)
    metric = np.asarray(series["metric"])
    kept = np.asarray(series["step"], dtype=np.int64) > burn_in
    changes = (point[1:] != point[:-1]) | (replicate[1:] != replicate[:-1]) | (
        metric[1:] != metric[:-1])
    bounds = [0, *(np.flatnonzero(changes) + 1).tolist(), len(value)]
    pieces: dict[tuple[int, int], dict[str, list[np.ndarray]]] = {}
    for start, stop in itertools.pairwise(bounds):
        key = (int(point[start]), int(replicate[start]))
        block = value[start:stop][kept[start:stop]]
        pieces.setdefault(key, {}).setdefault(str(metric[start]), []).append(block)
    return {
        key: {name: parts[0] if len(parts) == 1 else np.concatenate(parts)
              for name, parts in run.items()}
        for key, run in pieces.items()
    }


def simulate_draws(
    draws: Sequence[Draw],
    targets: TargetSet,
    executor: Executor | None = None,
    *,
    on_draws: OnDraws | None = None,
    run_timeout: float | None = None,
    progress: bool = False,
    desc: str = "calibration",
    enough: Callable[[], bool] | None = None,
    chunk_size: int | None = None,
) -> list[dict[str, float]]:
    """The targets' statistics of each draw, in draw order, its runs supervised by the engine.

    Args:
        draws: the draws to simulate.
        targets: the target set (its regimes and simulation settings).
        executor: any ``concurrent.futures.Executor`` (default: this process).
        on_draws: called in this process with each batch of finished draws, as they finish
            (e.g. to store them, so that a killed calibration repeats no finished draw).
        run_timeout: seconds a run may take; a run past it stops the calibration.
        progress: show a progress bar of runs on stderr.
        desc: the bar's label.
        enough: asked before each chunk of runs is sent; True sends no more (the draws not
            simulated then are missing from the result).
        chunk_size: runs per executor task (default: the engine's, ``default_chunk_size``).

    Returns:
        Per draw in draw order, target name -> statistic (NaN where a ratio's denominator is
        0): every draw, unless ``enough`` ended the batch early (then up to the first draw
        not simulated).
    """
    results: dict[int, dict[str, float]] = {}

    def keep(finished: list[tuple[int, dict[str, float]]]) -> None:
        results.update(finished)
        if on_draws is not None:
            on_draws(finished)

    _regime_base.cache_clear()  # each batch reads its presets afresh: an edit is never missed
    tasks = [task for index, draw in enumerate(draws) for task in draw_tasks(index, draw,
                                                                            targets)]
    run_batch(tasks, run_settings(targets, run_timeout), executor, sink=DrawSink(targets, keep),
              progress=progress, desc=desc, enough=enough, chunk_size=chunk_size)
    return [results[i] for i in itertools.takewhile(results.__contains__, range(len(draws)))]


def simulate_targets(
    params: Mapping[str, float], targets: TargetSet, seed: int
) -> dict[str, float]:
    """The targets' model statistics for one parameter draw, run in this process.

    Args:
        params: dotted config path -> value.
        targets: the target set (its regimes and simulation settings).
        seed: the draw's seed; each replication's model seed derives from it.

    Returns:
        Target name -> statistic (NaN where a ratio's denominator is 0).
    """
    return simulate_draws([Draw(params, seed)], targets)[0]
