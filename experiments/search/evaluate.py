"""Judging candidates: each regime run on the same replicate seeds, through the engine's runner.

Replicate r of every candidate runs with the seed replicate r of a sweep with the spec's seed
gets (``experiments.engine.design.run_seed``), and with a posterior with the same particle:
candidates differ only by their levers (common random numbers), so the search compares them on
the same luck. Runs go through :func:`experiments.engine.batch.run_batch` into the search's
store, one candidate per chunk, and a run already stored is replayed, not run again.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from experiments.engine.batch import run_batch
from experiments.engine.design import run_seed
from experiments.engine.posterior import Posterior, load_posterior
from experiments.engine.run import RunSettings, RunTask
from experiments.search.spec import SearchSpec
from experiments.search.store import SearchStore
from simulation.config import ModelConfig
from simulation.loading import set_dotted, validate_config
from simulation.outputs import OUTPUTS

#: Entropy tag of the fresh seeds the front is re-evaluated with ("frsh" in ASCII), so they
#: never coincide with the search's own seeds.
FRESH_STREAM = 0x66727368


def fresh_seed(seed: int) -> int:
    """The root seed of the re-evaluation: a stream of the spec's seed the search never used."""
    return int(np.random.SeedSequence((seed, FRESH_STREAM)).generate_state(1)[0])


def kept_metrics(names: Sequence[str]) -> tuple[str, ...]:
    """The per-step outputs a run must keep to give ``names`` (a ratio keeps both columns)."""
    columns: list[str] = []
    for name in names:
        out = OUTPUTS[name]
        columns += [c for c in (out.column, out.per) if c is not None]
    return tuple(dict.fromkeys(columns))


@dataclass(frozen=True)
class Replicates:
    """The seeds (and posterior particles) every candidate of one evaluation round runs with."""

    seeds: tuple[int, ...]
    particles: tuple[int | None, ...]

    @classmethod
    def of(cls, root: int, count: int, posterior: Posterior | None) -> Replicates:
        """Replicates 0..count-1 of root seed ``root``: common to every candidate."""
        seeds = tuple(run_seed(root, 0, r) for r in range(count))
        particles = tuple(posterior.particle(root, r) if posterior else None
                          for r in range(count))
        return cls(seeds, particles)


class Evaluator:
    """Runs candidates (lever values or whole presets) and judges them as the spec says."""

    def __init__(self, spec: SearchSpec, store: SearchStore,
                 executor: Executor | None = None) -> None:
        self.spec = spec
        self.store = store
        self.executor = executor
        self.posterior = load_posterior(spec.posterior) if spec.posterior else None
        names = [o.output for o in spec.objective_list] + [c.output for c in spec.constraints]
        self.outputs = tuple(dict.fromkeys(names))
        self.settings = RunSettings(spec.steps, spec.burn_in, kept_metrics(self.outputs))
        self._base = spec.base_data()
        #: Seconds spent running candidates in this session, and how many were run.
        self.seconds = 0.0
        self.run_candidates = 0

    def config(self, levers: Mapping[str, float], particle: int | None,
               preset: str | None = None) -> ModelConfig:
        """The validated config of lever values over the spec's preset (or another preset)."""
        data = self._base if preset is None else self.spec.base_data(preset)
        for path, value in levers.items():
            data = set_dotted(data, path, value)
        if particle is not None and self.posterior is not None:
            for path, value in self.posterior.draw(particle).items():
                data = set_dotted(data, path, value)
        return validate_config(data, origin=f"search {self.spec.name}")

    def typed(self, values: Sequence[float]) -> dict[str, float | int]:
        """A candidate's lever values by path, integer levers as ints."""
        return {
            path: math.floor(v + 0.5) if self.spec.is_integer(path) else float(v)
            for path, v in zip(self.spec.lever_paths, values, strict=True)
        }

    def run(self, candidates: Sequence[tuple[str, dict[str, float | int], str | None]],
            replicates: Replicates) -> pd.DataFrame:
        """Run (or replay) each ``(label, levers, preset)`` on the replicates; one row per run."""
        tasks, wanted = [], []
        for index, (label, levers, preset) in enumerate(candidates):
            for r, (seed, particle) in enumerate(zip(replicates.seeds, replicates.particles,
                                                     strict=True)):
                rid = f"{label}-r{r:04d}"
                wanted.append(rid)
                if not self.store.has(rid):
                    config = self.config(levers, particle, preset)
                    tasks.append(RunTask(rid, index, r, seed, label, dict(levers), config,
                                         particle))
        if tasks:
            start = time.perf_counter()
            run_batch(tasks, self.settings, self.executor, sink=self.store,
                      chunk_size=len(replicates.seeds), desc="search")
            self.seconds += time.perf_counter() - start
            self.run_candidates += len(tasks) / len(replicates.seeds)
        rows = pd.DataFrame([self.store.runs[rid] for rid in wanted])
        failed = rows[rows["status"] != "ok"]
        if len(failed):
            raise RuntimeError(f"run {failed['run_id'].iloc[0]} failed:\n"
                               f"{failed['error'].iloc[0]}")
        return rows

    def judge(self, runs: pd.DataFrame) -> pd.DataFrame:
        """One row per candidate (``regime`` label, in run order): each output as judged."""
        q = self.spec.judge.q
        judged = {}
        for label, group in runs.groupby("regime", sort=False):
            values = {}
            for name in self.outputs:
                values[name] = judged_value(group[name].to_numpy(float), self.direction(name),
                                            self.spec.judge.statistic, q)
            judged[label] = values
        return pd.DataFrame.from_dict(judged, orient="index")

    def direction(self, name: str) -> str:
        """Which side of an output is bad for this spec (an objective's, or a constraint's)."""
        for objective in self.spec.objective_list:
            if objective.output == name:
                return objective.direction
        upper = next(c.upper for c in self.spec.constraints if c.output == name)
        return "lower" if upper else "higher"


def judged_value(values: np.ndarray, direction: str, statistic: str, q: float) -> float:
    """The mean, or the ``q`` quantile on the bad side (upper for lower-is-better)."""
    if statistic == "mean":
        return float(np.mean(values))
    return float(np.quantile(values, q if direction == "lower" else 1.0 - q))


def objective_matrix(spec: SearchSpec, judged: pd.DataFrame,
                     bounds: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Pymoo's F (minimised: higher-is-better objectives negated) and G (<= 0 is feasible)."""
    f = np.column_stack([o.sign * judged[o.output].to_numpy(float)
                         for o in spec.objective_list])
    if not spec.constraints:
        return f, np.zeros((len(judged), 0))
    g = np.column_stack([
        (judged[c.output].to_numpy(float) - bounds[c.output]) * (1.0 if c.upper else -1.0)
        for c in spec.constraints
    ])
    return f, g


def constraint_bounds(spec: SearchSpec, status_quo: pd.Series) -> dict[str, float]:
    """Each constraint's bound: its number, or the status quo's judged value."""
    return {c.output: float(status_quo[c.output]) if c.bound == "status_quo" else float(c.bound)
            for c in spec.constraints}
