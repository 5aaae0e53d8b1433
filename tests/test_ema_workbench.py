"""The EMA Workbench example (docs/ema-workbench.md) runs, gives CadreSim's own results and
compares policies on common random numbers. Skipped where ema_workbench is not installed."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

ema_workbench = pytest.importorskip("ema_workbench")

from experiments.ema import CadreSimRun, replicate_seeds  # noqa: E402
from experiments.engine.design import run_seed  # noqa: E402
from experiments.engine.run import RunSettings, RunTask, run_one  # noqa: E402
from simulation import CadreModel, load_config  # noqa: E402
from simulation.outputs import reduce_run  # noqa: E402

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "ema_workbench_example.py"
TINY = {"scenarios": 2, "policies": 2, "replications": 2, "n_cadres": 40, "steps": 4,
        "burn_in": 1, "seed": 11}
#: (seed, parameters) of every run the example makes, in order (the evaluator is sequential).
CALLS: list[tuple[int, dict]] = []


class RecordingRun(CadreSimRun):
    """CadreSimRun noting each call's seed and parameters."""

    def __call__(self, seed: int, **parameters):
        """Note the call, then run."""
        CALLS.append((seed, parameters))
        return super().__call__(seed, **parameters)


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("ema_workbench_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.CadreSimRun = RecordingRun  # what explore() builds its runs with
    CALLS.clear()
    experiments, outcomes = module.explore(**TINY)
    return module, experiments, outcomes


def overrides(row, module) -> dict:
    """The experiment's config overrides, read from EMA's experiments table by dotted path."""
    paths = [*module.UNCERTAINTIES, *module.LEVERS]
    return {"organisation.n_cadres": TINY["n_cadres"],
            **{path: row[path.replace(".", "__")] for path in paths}}


def test_every_experiment_runs_the_same_replicate_seeds(example):
    module, experiments, outcomes = example
    n = TINY["scenarios"] * TINY["policies"]
    assert len(experiments) == n and experiments["policy"].nunique() == TINY["policies"]
    seeds = replicate_seeds(TINY["seed"], TINY["replications"])
    assert len(set(seeds)) == TINY["replications"]
    assert [seed for seed, _ in CALLS] == seeds * n  # replicate r: one seed in every experiment
    # The seeds a CadreSim sweep with the same root gives replicate r of any point.
    assert seeds == [run_seed(TINY["seed"], 3, r) for r in range(TINY["replications"])]
    for name in module.OUTCOMES:
        assert outcomes[name].shape == (n, TINY["replications"])


def test_outcomes_equal_cadresims_own_runs(example):
    module, experiments, outcomes = example
    seeds = replicate_seeds(TINY["seed"], TINY["replications"])
    for i, row in experiments.iterrows():
        config = load_config("default", overrides(row, module))
        for r, seed in enumerate(seeds):
            table = CadreModel(config, seed=seed).run(TINY["steps"])
            direct = reduce_run(table, TINY["burn_in"], module.OUTCOMES)
            assert {k: outcomes[k][i, r] for k in module.OUTCOMES} == direct, (i, r)
    # The sweep engine's run of the first experiment, replicate 1, stores the same values.
    config = load_config("default", overrides(experiments.iloc[0], module))
    task = RunTask("p00000-r0001", 0, 1, seeds[1], "default", {}, config)
    row, _ = run_one(task, RunSettings(TINY["steps"], TINY["burn_in"], ("inaction",)))
    assert row["status"] == "ok" and row["inaction"] == outcomes["inaction"][0, 1]


def test_seeds_matter_so_the_equality_is_informative(example):
    module, experiments, outcomes = example
    config = load_config("default", overrides(experiments.iloc[0], module))
    values = {reduce_run(CadreModel(config, seed=s).run(TINY["steps"]), TINY["burn_in"],
                         ["real_output"])["real_output"] for s in (1, 2, 3)}
    assert len(values) > 1
    assert not np.array_equal(outcomes["real_output"][:, 0], outcomes["real_output"][:, 1])
