"""The built-in defaults are the shipped calibration's point estimate, and they meet its figures.

The status quo researchers get (`configs/default.yaml`, `simulation/config.py`) must be the
posterior median of `configs/posteriors/status_quo_2018.parquet` and must reproduce each
published figure of the calibration within 2 of its tolerances (the bar the fit was shipped on),
averaged over 12 seeds at the fit's size (400 cadres): the across-seed s.e. of a mean is at
most 0.03 here, a quarter of the smallest tolerance, so a pass is not luck.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.calibration.simulate import Draw, simulate_draws
from experiments.calibration.targets import load_targets
from simulation.config import ModelConfig, config_value

ROOT = Path(__file__).resolve().parents[1]
POSTERIOR = ROOT / "configs" / "posteriors" / "status_quo_2018.parquet"
TARGETS = load_targets(ROOT / "configs" / "targets" / "peoples_tribune_2015_2018.yaml")
SEEDS = range(4000, 4012)


def weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """The smallest value with at least half the weight at or below it."""
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order]) / weights.sum()
    return float(values[order][np.searchsorted(cumulative, 0.5)])


def test_each_fitted_default_is_the_posterior_median():
    particles = pd.read_parquet(POSTERIOR)
    weights = particles["weight"].to_numpy()
    fitted = [c for c in particles.columns if c not in ("weight", "generation")]
    assert len(fitted) == 7
    for path in fitted:
        median = weighted_median(particles[path].to_numpy(), weights)
        # Shipped to 3 significant digits; a weighted median is defined up to its neighbours.
        assert config_value(ModelConfig(), path) == pytest.approx(median, rel=0.01), path


def test_the_generated_defaults_say_which_values_are_calibrated():
    from scripts.gen_docs import calibrated_fields, default_yaml

    fitted = [c for c in pd.read_parquet(POSTERIOR).columns if c not in ("weight", "generation")]
    assert set(calibrated_fields()) == set(fitted)
    lines = {line.split(":")[0].strip(): line for line in default_yaml().splitlines()}
    for path in fitted:
        assert "calibrated (posterior median of status_quo_2018)" in lines[path.split(".")[-1]]
    assert "calibrated" not in lines["trait_concentration"]


@pytest.mark.slow
def test_the_defaults_reproduce_every_published_figure_within_two_tolerances():
    stats = simulate_draws([Draw({}, seed) for seed in SEEDS], TARGETS)
    for target in TARGETS.targets:
        mean = float(np.mean([s[target.name] for s in stats]))
        z = (mean - target.value) / target.tolerance
        assert abs(z) <= 2.0, f"{target.name}: {mean:.3f} against {target.value} (z = {z:+.2f})"
