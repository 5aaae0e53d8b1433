"""Posterior-driven regime comparisons: a sweep under the posterior, with common random numbers,
deterministic given the seed, resumable after a kill, and a robustness summary that reads
correctly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments.analysis.robustness import robustness
from experiments.calibration.compare import compare_regimes
from experiments.calibration.errors import CalibrationError
from experiments.calibration.targets import SimulationSettings
from experiments.engine.executors import SerialExecutor
from experiments.engine.storage import part_files
from simulation.loading import ConfigError
from tests.helpers import KilledAfter

SETTINGS = SimulationSettings(n_cadres=40, steps=6, burn_in=2)
POSTERIOR = pd.DataFrame({
    "population.risk_aversion_mean": [0.5, 1.0, 2.0, 3.0],
    "population.motivation_mean": [0.4, 0.5, 0.6, 0.7],
    "weight": [0.1, 0.2, 0.3, 0.4],
})
REGIMES = ["strict_accountability", "guangdong_three_distinctions"]


@pytest.fixture(scope="module")
def posterior(tmp_path_factory):
    """A calibration-like folder holding POSTERIOR as posterior.parquet."""
    folder = tmp_path_factory.mktemp("calibration")
    POSTERIOR.to_parquet(folder / "posterior.parquet", index=False)
    return folder


def compare(posterior, out=None, executor=None, seed=4):
    return compare_regimes(posterior, REGIMES, out, draws=5, settings=SETTINGS, seed=seed,
                           executor=executor or SerialExecutor(), progress=False)


def test_every_regime_runs_on_the_same_draw_and_seed(posterior):
    runs = compare(posterior).runs
    assert set(runs["regime"]) == {"default", *REGIMES}
    per_replicate = runs.groupby("replicate")
    assert (per_replicate["seed"].nunique() == 1).all()
    assert (per_replicate["particle"].nunique() == 1).all()
    assert (per_replicate["param:population.motivation_mean"].nunique() == 1).all()
    drawn = POSTERIOR.iloc[runs["particle"]]["population.motivation_mean"].to_numpy()
    np.testing.assert_array_equal(runs["param:population.motivation_mean"], drawn)
    assert runs["replicate"].nunique() == 5


def test_comparison_is_deterministic_given_its_seed(posterior):
    a, b = compare(posterior), compare(posterior)
    pd.testing.assert_frame_equal(a.runs, b.runs)
    pd.testing.assert_frame_equal(a.robustness, b.robustness)
    assert not compare(posterior, seed=5).runs["inaction"].equals(a.runs["inaction"])


def test_comparison_is_a_sweep_that_resumes_after_a_kill(posterior, tmp_path, monkeypatch):
    from experiments.engine import batching

    monkeypatch.setattr(batching, "MAX_REPLICATES", 2)  # tasks of 2 runs: 8, killed after 5
    whole = compare(posterior, tmp_path / "whole")
    with pytest.raises(KeyboardInterrupt):
        compare(posterior, tmp_path / "killed", executor=KilledAfter(5))
    stored = sum(len(pd.read_parquet(p)) for p in part_files(tmp_path / "killed"))
    assert 0 < stored < len(whole.runs)
    calls = []

    class Counting(SerialExecutor):
        def submit(self, fn, /, *args, **kwargs):
            calls.append(len(args[0]))  # runs in the chunk
            return super().submit(fn, *args, **kwargs)

    resumed = compare(posterior, tmp_path / "killed", executor=Counting())
    assert sum(calls) == len(whole.runs) - stored
    pd.testing.assert_frame_equal(whole.runs, resumed.runs)
    assert (tmp_path / "killed" / "analysis" / "robustness.parquet").is_file()
    with pytest.raises(ConfigError, match="different spec"):
        compare(posterior, tmp_path / "killed", seed=9)


def test_uncalibrated_comparison_runs_at_the_defaults():
    runs = compare(None).runs
    assert "particle" not in runs
    assert not any(c.startswith("param:") for c in runs.columns)


def test_robustness_counts_draws_beating_the_status_quo_by_the_smallest_effect():
    runs = pd.DataFrame({
        "replicate": np.repeat(range(4), 3),
        "regime": ["default", "a", "b"] * 4,
        "inaction": [0.30, 0.25, 0.31,
                     0.30, 0.28, 0.20,
                     0.30, 0.295, 0.20,
                     0.30, 0.25, 0.20],
    })
    table = robustness(runs, "default", smallest_effect=0.01).set_index("regime")
    assert table.loc["a", "share_better"] == 0.75  # 0.05, 0.02, 0.005 (< 0.01), 0.05
    assert table.loc["b", "share_better"] == 0.75
    assert table.loc["b", "share_best"] == 0.75
    assert table.loc["a", "verdict"] == "depends on the parameters"
    assert table.loc["default", "verdict"] == "baseline"


def test_unknown_regime_is_rejected():
    with pytest.raises(CalibrationError, match="unknown regimes"):
        compare_regimes(None, ["utopia"], draws=1, settings=SETTINGS,
                        executor=SerialExecutor(), progress=False)
