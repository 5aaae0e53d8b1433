"""Trait draws are finite over the whole allowed range, and so is every model built from them."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from simulation import CadreModel, load_config
from simulation.population import GAMMA_MAX_CV, beta_draw, gamma_draw
from tests.strategies import allowed_floats

SD_EDGES = [0.0, 5e-324, 1e-300, 1e-160, 1e-155, 1e-7, 0.5, 10.0]
MEAN_EDGES = [0.0, 5e-324, 1e-300, 1e-160, 1e-6, 1.0, 10.0]


def words(seed: int, size: int, width: int) -> np.ndarray:
    """Random 64-bit words (size, width) as the streams give them; the first rows are the
    extreme words (all zero bits, all one bits) in every column."""
    w = np.random.default_rng(seed).integers(0, 2**64, (size, width), dtype=np.uint64)
    w[0], w[1] = 0, 2**64 - 1
    return w


@pytest.mark.parametrize(("mean", "sd"), list(itertools.product(MEAN_EDGES, SD_EDGES)))
def test_gamma_draws_are_finite_and_non_negative_at_every_corner(mean, sd):
    draws = gamma_draw(words(0, 20_000, 3), mean, sd)
    assert np.isfinite(draws).all()
    assert (draws >= 0).all()


def test_gamma_draws_keep_mean_and_sd_in_the_ordinary_range():
    draws = gamma_draw(words(1, 200_000, 3), 1.0, 0.5)
    assert draws.mean() == pytest.approx(1.0, rel=0.01)
    assert draws.std() == pytest.approx(0.5, rel=0.01)


def test_a_negligible_sd_gives_everyone_the_mean():
    """A standard deviation of 1e-160 used to overflow the shape; 5e-324 gave NaN risk aversion."""
    for sd in (1e-160, 5e-324, 1e-7):
        np.testing.assert_array_equal(gamma_draw(words(2, 50, 3), 2.0, sd), 2.0)


def test_a_huge_sd_relative_to_the_mean_gives_bounded_draws():
    mean = 1e-6
    draws = gamma_draw(words(3, 2_000_000, 3), mean, 10.0)
    assert np.isfinite(draws).all()
    assert draws.max() < 1e3 * mean * GAMMA_MAX_CV**2


def test_a_large_sd_relative_to_the_mean_keeps_mean_and_sd():
    draws = gamma_draw(words(5, 2_000_000, 3), 0.5, 1.5)
    assert draws.mean() == pytest.approx(0.5, rel=0.02)
    assert draws.std() == pytest.approx(1.5, rel=0.05)


@pytest.mark.parametrize(
    ("mean", "concentration"), list(itertools.product([0.01, 0.5, 0.99], [1.0, 1000.0]))
)
def test_beta_draws_are_finite_in_the_unit_interval_at_every_corner(mean, concentration):
    draws = beta_draw(words(4, 200_000, 6), mean, concentration)
    assert np.isfinite(draws).all()
    assert ((draws >= 0) & (draws <= 1)).all()
    assert draws[5:].mean() == pytest.approx(mean, abs=0.01)


@pytest.mark.parametrize(("mean", "concentration"), [(0.55, 12.0), (0.01, 1.0), (0.3, 1.5)])
def test_beta_draws_follow_the_beta_law(mean, concentration):
    """Kolmogorov-Smirnov against scipy's Beta, 100 000 draws, fixed seed: p above 0.001."""
    draws = beta_draw(words(7, 100_000, 6), mean, concentration)
    law = stats.beta(mean * concentration, (1.0 - mean) * concentration)
    assert stats.kstest(draws, law.cdf).pvalue > 0.001


@pytest.mark.parametrize(("mean", "sd"), [(1.0, 0.5), (1.0, 1.5), (2.0, 0.1)])
def test_gamma_draws_follow_the_gamma_law(mean, sd):
    """Kolmogorov-Smirnov against scipy's gamma, 100 000 draws, fixed seed: p above 0.001."""
    draws = gamma_draw(words(8, 100_000, 3), mean, sd)
    law = stats.gamma((mean / sd) ** 2, scale=sd**2 / mean)
    assert stats.kstest(draws, law.cdf).pvalue > 0.001


def test_a_small_change_of_mean_moves_few_draws_far():
    """Common random numbers for trait levers: mean 0.55 -> 0.56 moves 95 % of draws by less
    than 0.03 (an accepted trial is a smooth function of the shape; few trials flip)."""
    w = words(9, 20_000, 6)
    moved = np.abs(beta_draw(w, 0.56, 12.0) - beta_draw(w, 0.55, 12.0))
    assert np.quantile(moved, 0.95) < 0.03


@st.composite
def population_overrides(draw) -> dict[str, float | int]:
    out = {
        f"population.{name}": draw(allowed_floats(f"population.{name}"))
        for name in (
            "ability_mean", "motivation_mean", "trait_concentration", "risk_aversion_mean",
            "risk_aversion_sd", "violation_prone_share",
        )
    }
    entry_min = draw(st.integers(18, 40))
    entry_max = draw(st.integers(entry_min, 50))
    out["population.entry_age_min"] = entry_min
    out["population.entry_age_max"] = entry_max
    out["population.retirement_age"] = draw(st.integers(max(45, entry_max + 1), 75))
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    overrides=population_overrides(),
    n_cadres=st.integers(40, 100),
    steps=st.integers(2, 3),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_valid_population_gives_finite_outputs(overrides, n_cadres, steps, seed):
    config = load_config(None, {**overrides, "organisation.n_cadres": n_cadres})
    model = CadreModel(config, seed=seed)
    for name in ("ability", "motivation", "risk_aversion"):
        assert np.isfinite(getattr(model.cadres, name)).all(), name
    table = model.run(steps)
    numbers = table.select_dtypes("number")
    assert len(table) == steps
    assert np.isfinite(numbers.to_numpy()).all(), numbers.columns[
        ~np.isfinite(numbers.to_numpy()).all(axis=0)
    ].tolist()
    assert np.isfinite(model.cadres.risk_aversion).all()
