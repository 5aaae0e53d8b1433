"""The promotion belief is learnt from a unit's promotion cases kept over the years (ODD 7.5.2).

Pinned exactly: the record keeps ``learning.promotion_memory`` of each past year and adds this
year's counts, and the statistic is the gap of the discounted rates; memory 0 is a record of this
year alone. Pinned statistically: the reason for the record, fewer cadres who read promotion
backwards (believing it rewards the bottom half of records).
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation import CadreModel
from simulation.formulas import promotion_gap
from simulation.promotion import SEEN_ROWS, no_promotions_seen, remember, statistic
from tests.conftest import small_config

#: Two years of one unit's cases (rows SEEN_ROWS: top, bottom, won top, won bottom), and a unit
#: that saw nobody in the second year.
YEAR_1 = np.array([[2.0, 1.0], [2.0, 3.0], [1.0, 0.0], [0.0, 1.0]])
YEAR_2 = np.array([[1.0, 0.0], [3.0, 0.0], [0.0, 0.0], [1.0, 0.0]])


def test_the_record_keeps_memory_of_each_past_year():
    """After two years at memory m the record is m * year 1 + year 2; the gap reads the sums:
    unit 0 = (m*1 + 0)/(m*2 + 1) - (m*0 + 1)/(m*2 + 3), and unit 1, unseen in year 2, keeps
    m times year 1's counts and so its gap (0/1 - 1/3) with m times the size behind it."""
    m = 0.8
    seen = no_promotions_seen(40, 20)
    assert seen.shape == (len(SEEN_ROWS), 2) and not seen.any()
    remember(seen, YEAR_1, m)
    out = remember(seen, YEAR_2, m)
    assert out is seen  # in place
    np.testing.assert_allclose(seen, m * YEAR_1 + YEAR_2)
    gap, size = promotion_gap(seen)
    np.testing.assert_allclose(gap, [m / (2 * m + 1) - 1 / (2 * m + 3), 0 - 1 / 3])
    np.testing.assert_allclose(size, [2 * m + 1, m * 1])


def test_memory_zero_is_this_years_cases_alone():
    """At memory 0 the record is exactly the year's counts, whatever came before."""
    seen = YEAR_1.copy()
    remember(seen, YEAR_2, 0.0)
    np.testing.assert_array_equal(seen, YEAR_2)
    gap, _ = promotion_gap(seen)
    assert gap[0] == pytest.approx(0 / 1 - 1 / 3) and np.isnan(gap[1])


def test_a_run_at_memory_zero_is_a_run_without_a_record():
    """A model at promotion memory 0 runs exactly as one that keeps no record at all (the
    statistic of each year's cases alone, ``hold_tournament`` without ``seen``)."""
    config = small_config({"learning.promotion_memory": 0.0, "steps": 8}, n_cadres=300)
    kept = CadreModel(config, seed=5)
    none = CadreModel(config, seed=5)
    none.promotions_seen = None
    for _ in range(8):
        kept.step()
        none.step()
    np.testing.assert_array_equal(kept.cadres.belief_promote, none.cadres.belief_promote)
    assert kept.results_table().equals(none.results_table())


def test_a_longer_memory_means_fewer_cadres_reading_promotion_backwards():
    """Four paired runs (seeds 0-3, 600 cadres, 25 years) at memory 0 and 0.8. Measured when the
    record was added: the share of cadres believing promotion rewards the bottom half of
    records is 0.20-0.30 at memory 0 and 0.13-0.17 at 0.8 in these runs (0.33 and 0.10 over 4
    runs of 1 000 cadres and 30 years, the mean belief staying at 0.04). The test asks for a
    fall in every seed and of at least 0.05 (half the fall measured) in the mean over the
    seeds; a memory that did nothing would leave the shares equal up to their noise between
    runs of a seed (the runs share their random numbers)."""
    shares = {}
    for memory in (0.0, 0.8):
        shares[memory] = np.array([
            _negative_share({"learning.promotion_memory": memory,
                             "learning.published_promotions": 0.0}, seed)
            for seed in range(4)])
    assert (shares[0.8] < shares[0.0]).all(), shares
    assert shares[0.0].mean() - shares[0.8].mean() >= 0.05, shares


def test_published_promotions_add_the_average_units_record():
    """At weight w each unit reads its record plus w times the mean record over the units:
    unit 0 = (2 + w*1.5)/(2 + w*2.5) ... taken row by row; weight 0 is the unit's own alone,
    and the record itself (``seen``) is not changed by what is published."""
    w = 2.0
    seen = no_promotions_seen(40, 20)
    gap, size = statistic(YEAR_1, seen, 0.8, w)
    pooled = YEAR_1 + w * YEAR_1.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(seen, YEAR_1)  # the unit's own record, nothing published in it
    top, bottom, won_top, won_bottom = pooled
    np.testing.assert_allclose(gap, won_top / top - won_bottom / bottom)
    np.testing.assert_allclose(size, np.minimum(top, bottom))
    own_gap, own_size = statistic(YEAR_1, None, 0.8, 0.0)
    np.testing.assert_allclose(own_gap, [1 / 2 - 0 / 2, 0 / 1 - 1 / 3])
    np.testing.assert_allclose(own_size, [2.0, 1.0])


def test_a_unit_that_never_saw_a_candidate_reads_the_published_list():
    """Unit 1 has no candidates yet: alone it has no statistic (NaN); with the organisation's
    list published it reads the average unit's gap, at w times the average's size."""
    counts = np.array([[4.0, 0.0], [4.0, 0.0], [2.0, 0.0], [1.0, 0.0]])
    alone, _ = statistic(counts, None, 0.8, 0.0)
    assert np.isnan(alone[1])
    gap, size = statistic(counts, None, 0.8, 1.0)
    assert gap[1] == pytest.approx(1.0 / 2.0 - 0.5 / 2.0)
    assert size[1] == pytest.approx(2.0)


def test_published_promotions_mean_fewer_cadres_reading_promotion_backwards():
    """Four paired runs (seeds 0-3, 600 cadres, 25 years, memory 0.8) without and with the
    organisation's list (weight 0 and 1). Measured when it was added: the share believing that
    promotion rewards the bottom half of records falls from 0.10-0.20 to 0.00-0.03 in these
    runs. The test asks for a fall in every seed and of at least 0.05 in the mean (about a third
    of the fall measured)."""
    shares = {
        w: np.array([_negative_share({"learning.published_promotions": w}, seed)
                     for seed in range(4)])
        for w in (0.0, 1.0)
    }
    assert (shares[1.0] < shares[0.0]).all(), shares
    assert shares[0.0].mean() - shares[1.0].mean() >= 0.05, shares


def _negative_share(overrides: dict, seed: int) -> float:
    config = small_config({**overrides, "steps": 25}, n_cadres=600)
    model = CadreModel(config, seed=seed)
    for _ in range(25):
        model.step()
    return float((model.cadres.belief_promote < 0).mean())
