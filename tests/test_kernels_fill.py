"""The compiled fill of promotion places and the fast-track band equal NumPy's, and leave ties
to it."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from simulation import CadreModel, load_config, promotion
from simulation.positions import occupancy

kp = pytest.importorskip("simulation.kernels.promotion")


@pytest.mark.parametrize("k", [0, 1, 7, 499, 500, 501])
def test_top_k_without_ties_is_the_k_largest(k):
    values = np.random.default_rng(k).normal(size=500)
    mask, settled = kp.top_k(values, k)
    assert settled
    assert np.array_equal(mask, promotion.top_k(values, k))


def test_top_k_leaves_a_tie_at_the_boundary_or_a_nan_unsettled():
    assert not kp.top_k(np.array([3.0, 1.0, 2.0, 2.0]), 2)[1]  # 2 and 2 compete for one place
    assert kp.top_k(np.array([3.0, 3.0, 2.0, 1.0]), 2)[1]  # ties inside the k are settled
    assert not kp.top_k(np.array([3.0, np.nan, 2.0, 1.0]), 2)[1]


def pool_of(model):
    cadres, config = model.cadres, model.config
    promo = config.regime.promotion
    n = cadres.n
    rng = np.random.default_rng(0)
    return promotion.form_pool(cadres, config.organisation.n_ranks, promo, rng.random(n),
                               rng.normal(0.0, promo.score_noise, n), None)


@pytest.mark.parametrize("quota", [0.0, 0.5])
def test_fill_equals_numpy_and_returns_none_on_ties(quota):
    model = CadreModel(load_config(None, {"organisation.n_cadres": 2000}), seed=3)
    model.run(5)
    pool = pool_of(model)
    n, ranks = model.cadres.n, model.config.organisation.n_ranks

    def both(pool):
        occupied = occupancy(model.cadres.rank, ranks)
        expected = promotion.fill(pool, model.capacities, occupied.copy(), n, quota)
        got = kp.fill(pool, model.capacities, occupied.copy(), n, quota)
        return expected, got

    expected, got = both(pool)
    assert got is not None
    for a, b in zip(got, expected, strict=True):
        assert np.array_equal(a, b)
    assert expected[0].any() and expected[1].any()  # promotions and passed-over cadres
    tied = pool._replace(record=np.round(pool.record, 1))  # records that tie
    assert both(tied)[1] is None


@pytest.mark.parametrize("share", [0.0, 0.1, 0.5, 1.0])
def test_fast_track_band_equals_numpy_or_leaves_ties_to_it(share):
    model = CadreModel(load_config(None, {"organisation.n_cadres": 2000}), seed=4)
    model.run(5)
    cadres, ranks = model.cadres, model.config.organisation.n_ranks
    expected = promotion.fast_track_band(cadres, ranks, share)
    got = kp.fast_track_band(cadres, ranks, share)
    assert expected.any() == (share > 0)
    if share != 0.5:  # at a half, this year's records tie at the band's edge in some rank
        assert got is not None and np.array_equal(got, expected)
    assert got is None or np.array_equal(got, expected)
    cadres.record[:] = np.round(cadres.record, 1)  # records that tie at the band's edge
    if 0 < share < 1:
        assert kp.fast_track_band(cadres, ranks, share) is None


@pytest.mark.parametrize("preset", [None, "hubei_opinions"])
def test_a_year_with_tied_records_promotes_as_the_numpy_path(preset):
    model = CadreModel(load_config(preset, {"organisation.n_cadres": 500}), seed=2)
    model.run(3)
    model.cadres.record[:] = np.round(model.cadres.record, 1)
    twin = copy.deepcopy(model)
    config, regime = model.config, model.regime
    ours = promotion.hold_tournament(model.cadres, config, regime, model.capacities,
                                     model.streams, 9, None, kp.form_pool, kp.publish, kp.fill,
                                     kp.fast_track_band)
    ref = promotion.hold_tournament(twin.cadres, config, regime, twin.capacities, twin.streams, 9)
    assert np.array_equal(ours.promoted, ref.promoted)
    assert np.array_equal(ours.passed_over, ref.passed_over)
    assert np.array_equal(model.cadres.rank, twin.cadres.rank)
