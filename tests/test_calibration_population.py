"""The calibration's population size does not move its target statistics (by measurement).

The shipped fit simulates each particle at the targets file's ``simulation.n_cadres``; its
expected target statistics must match those of a ten times larger population to well within
each target's tolerance. ``benchmarks/calibration_population.py`` measures this at four
parameter points and four sizes; the test here repeats the comparison at the defaults with fewer
seeds, and checks the benchmark's statistics on synthetic data with known answers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from benchmarks.calibration_population import (
    TARGETS,
    THRESHOLD,
    compare,
    pooled_chi_square,
    sample_statistics,
)
from experiments.calibration.simulate import draw_seeds
from experiments.calibration.targets import load_targets

#: Ten times the fit's size: the reference the fit's size is compared with.
REFERENCE = 4000
#: Seeds at the fit's size and at the reference (about 20 s of CPU).
RUNS_FIT, RUNS_REFERENCE = 400, 40


def synthetic(shift: float, runs: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two samples of two targets, the first shifted by ``shift`` in the first target only."""
    rng = np.random.default_rng(seed)
    small = pd.DataFrame({"a": rng.normal(shift, 1.0, runs), "b": rng.normal(0.0, 1.0, runs)})
    reference = pd.DataFrame({"a": rng.normal(0.0, 0.3, runs), "b": rng.normal(0.0, 0.3, runs)})
    return small, reference


def test_compare_finds_a_shift_of_half_a_tolerance_and_none_where_there_is_none():
    """Welch's test and the tolerance units of ``compare``, against scipy and a known shift."""
    small, reference = synthetic(shift=0.5, runs=2000, seed=1)
    table = compare(small, reference, {"a": 1.0, "b": 1.0}, comparisons=2).set_index("target")
    welch = stats.ttest_ind(small["a"], reference["a"], equal_var=False)
    assert table.loc["a", "p"] == pytest.approx(welch.pvalue)
    se = np.sqrt(small["a"].var() / 2000 + reference["a"].var() / 2000)
    assert table.loc["a", "se_tol"] == pytest.approx(se)
    # the shift is found, and its bound says it is not small ...
    assert table.loc["a", "p_bonferroni"] < 1e-6
    assert table.loc["a", "difference_tol"] == pytest.approx(0.5, abs=4 * se)
    assert table.loc["a", "bound_tol"] > THRESHOLD
    # ... the unshifted target is neither significant nor far from 0
    assert table.loc["b", "p_bonferroni"] > 0.05
    assert table.loc["b", "bound_tol"] < THRESHOLD
    # detectable at 80% power: (z_{1 - 0.05/4} + z_{0.8}) standard errors
    assert table.loc["b", "detectable_tol"] == pytest.approx(
        (stats.norm.isf(0.0125) + stats.norm.ppf(0.8)) * table.loc["b", "se_tol"])


def test_a_constant_statistic_compares_as_no_difference():
    """A share that is 0 in every run at both sizes is no difference, not NaN."""
    zeros = pd.DataFrame({"a": np.zeros(20)})
    row = compare(zeros, zeros, {"a": 0.1}, comparisons=1).iloc[0]
    assert row["t"] == 0.0 and row["p"] == 1.0 and row["bound_tol"] == 0.0


def test_pooled_chi_square_counts_correlated_comparisons_once():
    """Ten perfectly correlated z of 2 are one z of 2 (p 0.046), not ten (p 2e-5)."""
    z = np.full(10, 2.0)
    pooled = pooled_chi_square(z, np.ones((10, 10)), seed=0, draws=200_000)
    assert pooled["sum_z2"] == pytest.approx(40.0)
    assert pooled["p_naive"] == pytest.approx(stats.chi2.sf(40.0, 10))
    assert pooled["p"] == pytest.approx(2 * stats.norm.sf(2.0), abs=0.003)
    independent = pooled_chi_square(z, np.eye(10), seed=0, draws=200_000)
    assert independent["p"] == pytest.approx(independent["p_naive"], abs=1e-4)


@pytest.mark.slow
def test_the_fit_size_gives_the_target_statistics_of_ten_times_as_many_cadres():
    """At the defaults, every target's mean at the fit's size is within 0.25 tolerances of 4000's.

    Fixed seeds. With these runs the difference's standard error is at most about 0.06
    tolerances, so a true size effect of 0 passes (|d| < 0.25 is over 4 standard errors) and one
    of 0.45 tolerances fails with probability over 0.99; the test also checks that the larger
    population is less noisy (the size reached the model).
    """
    targets = load_targets(TARGETS)
    fit_size = targets.simulation.n_cadres
    assert fit_size < REFERENCE
    small = sample_statistics(targets, {}, fit_size, draw_seeds([23, fit_size], RUNS_FIT))
    large = sample_statistics(targets, {}, REFERENCE, draw_seeds([23, REFERENCE],
                                                                 RUNS_REFERENCE))
    table = compare(small, large, targets.tolerances(), comparisons=len(targets.targets))
    table = table.set_index("target")
    assert (table["se_tol"] < 0.07).all(), table["se_tol"]
    assert (table["sd_reference"] < table["sd_small"]).all()
    assert (table["difference_tol"].abs() < THRESHOLD).all(), table[
        ["mean_small", "mean_reference", "difference_tol", "se_tol"]]
