"""Trait draws are finite over the whole allowed range, and so is every model built from them."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import CadreModel, load_config
from simulation.population import GAMMA_MAX_CV, beta_draw, gamma_draw
from tests.strategies import allowed_floats

SD_EDGES = [0.0, 5e-324, 1e-300, 1e-160, 1e-155, 1e-7, 0.5, 10.0]
MEAN_EDGES = [0.0, 5e-324, 1e-300, 1e-160, 1e-6, 1.0, 10.0]


@pytest.mark.parametrize(("mean", "sd"), list(itertools.product(MEAN_EDGES, SD_EDGES)))
def test_gamma_draws_are_finite_and_non_negative_at_every_corner(mean, sd):
    draws = gamma_draw(np.random.default_rng(0), mean, sd, 20_000)
    assert np.isfinite(draws).all()
    assert (draws >= 0).all()


def test_gamma_draws_keep_mean_and_sd_in_the_ordinary_range():
    draws = gamma_draw(np.random.default_rng(1), 1.0, 0.5, 200_000)
    assert draws.mean() == pytest.approx(1.0, rel=0.01)
    assert draws.std() == pytest.approx(0.5, rel=0.01)


def test_a_negligible_sd_gives_everyone_the_mean():
    """A standard deviation of 1e-160 used to overflow the shape; 5e-324 gave NaN risk aversion."""
    for sd in (1e-160, 5e-324, 1e-7):
        np.testing.assert_array_equal(gamma_draw(np.random.default_rng(2), 2.0, sd, 50), 2.0)


def test_a_huge_sd_relative_to_the_mean_gives_bounded_draws():
    mean = 1e-6
    draws = gamma_draw(np.random.default_rng(3), mean, 10.0, 2_000_000)
    assert np.isfinite(draws).all()
    assert draws.max() < 1e3 * mean * GAMMA_MAX_CV**2


def test_a_large_sd_relative_to_the_mean_keeps_mean_and_sd():
    draws = gamma_draw(np.random.default_rng(5), 0.5, 1.5, 2_000_000)
    assert draws.mean() == pytest.approx(0.5, rel=0.02)
    assert draws.std() == pytest.approx(1.5, rel=0.05)


@pytest.mark.parametrize(
    ("mean", "concentration"), list(itertools.product([0.01, 0.5, 0.99], [1.0, 1000.0]))
)
def test_beta_draws_are_finite_in_the_unit_interval_at_every_corner(mean, concentration):
    draws = beta_draw(np.random.default_rng(4), mean, concentration, 200_000)
    assert np.isfinite(draws).all()
    assert ((draws >= 0) & (draws <= 1)).all()


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
