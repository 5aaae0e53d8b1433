"""The built-in defaults are the shipped calibration's point estimate, and they meet its figures.

The status quo researchers get (`configs/default.yaml`, `simulation/config.py`) must be the
point its provenance (`configs/posteriors/status_quo_2018.yaml`) records, a particle of
`configs/posteriors/status_quo_2018.parquet` chosen by the incentive patterns or else the
posterior median (docs/calibration.md, section 8), and must reproduce each
published figure of the calibration within 2 of its tolerances (the bar the fit was shipped on),
averaged over 12 seeds at the fit's size (400 cadres): the across-seed s.e. of a mean is at
most 0.03 here, a quarter of the smallest tolerance, so a pass is not luck.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from experiments.calibration.simulate import Draw, simulate_draws
from experiments.calibration.targets import load_targets
from simulation.config import ModelConfig, config_value

ROOT = Path(__file__).resolve().parents[1]
POSTERIOR = ROOT / "configs" / "posteriors" / "status_quo_2018.parquet"
PROVENANCE = yaml.safe_load(POSTERIOR.with_suffix(".yaml").read_text(encoding="utf-8"))
TARGETS = load_targets(ROOT / "configs" / "targets" / "peoples_tribune_2015_2018.yaml")
SEEDS = range(4000, 4012)


def weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """The smallest value with at least half the weight at or below it."""
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order]) / weights.sum()
    return float(values[order][np.searchsorted(cumulative, 0.5)])


def test_each_fitted_default_is_the_shipped_point():
    """The pattern-oriented particle's values where the provenance names one (to the 3
    significant digits a default is shipped with), else the weighted posterior median."""
    particles = pd.read_parquet(POSTERIOR)
    weights = particles["weight"].to_numpy()
    fitted = [c for c in particles.columns if c not in ("weight", "generation")]
    assert len(fitted) == 7
    point = PROVENANCE.get("point")
    for path in fitted:
        if point:
            shipped = float(particles[path].iloc[point["particle"]])
        else:
            # A weighted median is defined up to its neighbours.
            shipped = weighted_median(particles[path].to_numpy(), weights)
        assert config_value(ModelConfig(), path) == pytest.approx(shipped, rel=0.01), path


def test_the_generated_defaults_say_which_values_are_calibrated():
    from scripts.gen_docs import calibrated_fields, default_yaml

    fitted = [c for c in pd.read_parquet(POSTERIOR).columns if c not in ("weight", "generation")]
    assert set(calibrated_fields()) == set(fitted)
    lines = {line.split(":")[0].strip(): line for line in default_yaml().splitlines()}
    for path in fitted:
        how = "pattern-oriented point" if PROVENANCE.get("point") else "posterior median"
        assert f"calibrated ({how} of status_quo_2018)" in lines[path.split(".")[-1]]
    assert "calibrated" not in lines["trait_concentration"]


@pytest.mark.slow
def test_the_defaults_reproduce_every_published_figure_within_two_tolerances():
    stats = simulate_draws([Draw({}, seed) for seed in SEEDS], TARGETS)
    for target in TARGETS.targets:
        mean = float(np.mean([s[target.name] for s in stats]))
        z = (mean - target.value) / target.tolerance
        assert abs(z) <= 2.0, f"{target.name}: {mean:.3f} against {target.value} (z = {z:+.2f})"
