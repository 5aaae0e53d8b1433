"""The search itself: pymoo's NSGA-II (NSGA-III from four objectives on), asked and told.

The loop asks pymoo for a generation's candidates, judges them (runs stored, or replayed from a
previous session's store), and tells pymoo the values. pymoo is seeded with the spec's seed and
the replayed values are the stored floats, so a resumed search asks exactly the candidates the
uninterrupted one would have, and ends on the same front.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from math import comb
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.search.evaluate import Evaluator, Replicates, constraint_bounds, objective_matrix
from experiments.search.spec import SearchSpec
from experiments.search.store import SearchStore
from simulation.config import config_value
from simulation.loading import STATUS_QUO

#: Label of the status quo's runs (the constraints' ``status_quo`` bound).
STATUS_QUO_LABEL = "status-quo"
#: From this many objectives on, NSGA-III (reference directions) replaces NSGA-II, whose
#: crowding distance stops spreading a front in four or more dimensions.
NSGA3_FROM = 4


@dataclass
class SearchRun:
    """What a finished search holds: every judged candidate and the status quo's values."""

    spec: SearchSpec
    folder: Path
    candidates: pd.DataFrame
    status_quo: pd.Series
    bounds: dict[str, float]


def candidate_label(generation: int, index: int) -> str:
    """``g0003-c0012``: sorts by generation, then candidate."""
    return f"g{generation:04d}-c{index:04d}"


def reference_directions(objectives: int, population: int) -> np.ndarray:
    """Das-Dennis directions: the most partitions whose count fits in the population."""
    from pymoo.util.ref_dirs import get_reference_directions

    partitions = 1
    while comb(partitions + 1 + objectives - 1, objectives - 1) <= population:
        partitions += 1
    return get_reference_directions("das-dennis", objectives, n_partitions=partitions)


def first_population(spec: SearchSpec, start: np.ndarray) -> np.ndarray:
    """The preset's lever values, then a Latin hypercube of the bounds (seeded by the spec)."""
    from scipy.stats import qmc

    lows = np.array([spec.levers[p][0] for p in spec.lever_paths], float)
    highs = np.array([spec.levers[p][1] for p in spec.lever_paths], float)
    unit = qmc.LatinHypercube(d=len(lows), rng=np.random.default_rng(spec.seed)).random(
        spec.budget.population - 1)
    sample = np.vstack([np.clip(start, lows, highs), qmc.scale(unit, lows, highs)])
    return round_integers(spec, sample)


def round_integers(spec: SearchSpec, x: np.ndarray) -> np.ndarray:
    """Integer levers rounded half up (whole numbers stay whole through the search)."""
    x = np.array(x, float)
    for j, path in enumerate(spec.lever_paths):
        if spec.is_integer(path):
            x[:, j] = np.floor(x[:, j] + 0.5)
    return x


def make_algorithm(spec: SearchSpec, start: np.ndarray):
    """NSGA-II, or NSGA-III from four objectives on; integer levers repaired to whole numbers."""
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.algorithms.moo.nsga3 import NSGA3
    from pymoo.core.repair import Repair

    class WholeNumbers(Repair):
        def _do(self, problem, x, **kwargs):
            return round_integers(spec, x)

    options = {"pop_size": spec.budget.population, "sampling": first_population(spec, start),
               "repair": WholeNumbers(), "eliminate_duplicates": True}
    objectives = len(spec.objective_list)
    if objectives >= NSGA3_FROM:
        return NSGA3(ref_dirs=reference_directions(objectives, spec.budget.population),
                     **options)
    return NSGA2(**options)


def make_problem(spec: SearchSpec):
    """The lever box: its bounds and the numbers of objectives and constraints."""
    from pymoo.core.problem import Problem

    return Problem(n_var=len(spec.levers), n_obj=len(spec.objective_list),
                   n_ieq_constr=len(spec.constraints),
                   xl=np.array([spec.levers[p][0] for p in spec.lever_paths], float),
                   xu=np.array([spec.levers[p][1] for p in spec.lever_paths], float))


def preset_levers(evaluator: Evaluator, preset: str | None = None) -> dict[str, float]:
    """The lever values a preset (default the spec's) holds."""
    config = evaluator.config({}, None, preset)
    return {p: config_value(config, p) for p in evaluator.spec.lever_paths}


def search(spec: SearchSpec, folder: Path, executor: Executor | None = None,
           report: Callable[[str], None] | None = None) -> SearchRun:
    """Run (or resume) the search into ``folder``; every judged candidate in order."""
    from pymoo.core.evaluator import Evaluator as PymooEvaluator
    from pymoo.problems.static import StaticProblem

    say = report or (lambda line: print(line, file=sys.stderr, flush=True))
    store = SearchStore(folder, spec)
    evaluator = Evaluator(spec, store, executor)
    replicates = Replicates.of(spec.seed, spec.replications, evaluator.posterior)
    sq_runs = evaluator.run([(STATUS_QUO_LABEL, preset_levers(evaluator, STATUS_QUO),
                              STATUS_QUO)], replicates)
    status_quo = evaluator.judge(sq_runs).iloc[0]
    bounds = constraint_bounds(spec, status_quo)
    start = np.array(list(preset_levers(evaluator).values()), float)
    problem = make_problem(spec)
    algorithm = make_algorithm(spec, start)
    algorithm.setup(problem, termination=("n_gen", spec.budget.generations), seed=spec.seed,
                    verbose=False)
    judged_all = []
    began = time.perf_counter()
    generation = 0
    while algorithm.has_next():
        population = algorithm.ask()
        x = population.get("X")
        labels = [candidate_label(generation, i) for i in range(len(x))]
        runs = evaluator.run([(label, evaluator.typed(row), None)
                              for label, row in zip(labels, x, strict=True)], replicates)
        judged = evaluator.judge(runs).loc[labels]
        f, g = objective_matrix(spec, judged, bounds)
        static = StaticProblem(problem, F=f, G=g) if spec.constraints else StaticProblem(
            problem, F=f)
        PymooEvaluator().eval(static, population)
        algorithm.tell(infills=population)
        judged_all.append(_candidate_rows(spec, evaluator, generation, labels, x, judged, g))
        generation += 1
        say(progress_line(spec, generation, len(x), evaluator, began))
    candidates = pd.concat(judged_all, ignore_index=True)
    return SearchRun(spec, Path(folder), candidates, status_quo, bounds)


def _candidate_rows(spec: SearchSpec, evaluator: Evaluator, generation: int, labels: list[str],
                    x: np.ndarray, judged: pd.DataFrame, g: np.ndarray) -> pd.DataFrame:
    """One row per candidate: its label, generation, lever values, judged outputs, feasibility."""
    levers = pd.DataFrame([evaluator.typed(row) for row in x], index=labels)
    table = pd.concat([levers, judged], axis=1)
    table.insert(0, "generation", generation)
    table.insert(0, "candidate", labels)
    table["feasible"] = (g <= 0).all(axis=1) if g.size else True
    return table.reset_index(drop=True)


def progress_line(spec: SearchSpec, generation: int, size: int, evaluator: Evaluator,
                  began: float) -> str:
    """``generation 3/10: 12 candidates, 40 s so far, about 1 min 30 s left``.

    The time left is the seconds per candidate run in this session times the candidates still
    to come (the remaining generations and the re-evaluation), replayed candidates being free.
    """
    total = spec.budget.generations
    elapsed = time.perf_counter() - began
    line = f"generation {generation}/{total}: {size} candidates, {_duration(elapsed)} so far"
    if evaluator.run_candidates:
        per = evaluator.seconds / evaluator.run_candidates
        left = (total - generation) * spec.budget.population * per
        left += per * spec.reevaluate / spec.replications * (spec.budget.population + 11)
        line += f", about {_duration(left)} left (front re-evaluation included)"
    else:
        line += " (replayed from the store)"
    return line


def _duration(seconds: float) -> str:
    """``1 min 30 s`` or ``40 s``."""
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"
