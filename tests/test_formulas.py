"""Unit tests of the pure formulas (simulation/formulas.py) and of positions.move_down.

Expected values are derived by hand (shown in comments) or from closed forms computed
independently of the function under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation import formulas as f
from simulation.network import peer_matrix, peer_sums
from simulation.positions import move_down, occupancy

# --------------------------------------------------------------------------------------------
# Logit choice
# --------------------------------------------------------------------------------------------


def test_logit_probabilities_match_closed_form():
    # U = (0, 1, 2, 3), tau = 1: P_k = e^k / (1 + e + e^2 + e^3).
    denom = 1 + math.e + math.e**2 + math.e**3
    expected = [1 / denom, math.e / denom, math.e**2 / denom, math.e**3 / denom]
    p = f.logit_probabilities(np.array([[0.0, 1.0, 2.0, 3.0]]), 1.0)
    np.testing.assert_allclose(p[0], expected, rtol=1e-12)


def test_logit_probabilities_scale_utilities_by_temperature():
    # Two actions with utilities 0 and 0.3 at tau = 0.15: P(second) = 1 / (1 + e^-2).
    p = f.logit_probabilities(np.array([[0.0, 0.3]]), 0.15)
    np.testing.assert_allclose(p[0, 1], 1.0 / (1.0 + math.exp(-2.0)), rtol=1e-12)
    np.testing.assert_allclose(p[0, 0], math.exp(-2.0) / (1.0 + math.exp(-2.0)), rtol=1e-12)


def test_logit_probabilities_are_invariant_to_adding_a_constant_and_survive_large_utilities():
    u = np.array([[0.2, -1.0, 0.7, 0.1]])
    p = f.logit_probabilities(u, 0.3)
    np.testing.assert_allclose(f.logit_probabilities(u + 1000.0, 0.3), p, rtol=1e-12)
    assert np.all(np.isfinite(f.logit_probabilities(u * 1e4, 0.01)))


def test_equal_utilities_give_uniform_probabilities():
    p = f.logit_probabilities(np.full((3, 4), 1.7), 0.5)
    np.testing.assert_allclose(p, 0.25, rtol=1e-12)


@settings(max_examples=50, deadline=None)
@given(
    rows=st.lists(
        st.lists(st.floats(-20, 20, allow_nan=False), min_size=4, max_size=4),
        min_size=1,
        max_size=6,
    ),
    temperature=st.one_of(st.just(0.0), st.floats(1e-3, 10.0)),
)
def test_logit_rows_are_probability_distributions(rows, temperature):
    p = f.logit_probabilities(np.array(rows), temperature)
    assert np.all(p >= 0.0) and np.all(p <= 1.0)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)


def test_low_temperature_approaches_best_response():
    u = np.array([[0.1, 0.5, 0.4, -0.2], [1.0, 0.0, 0.0, 0.99]])
    p = f.logit_probabilities(u, 1e-4)
    np.testing.assert_allclose(p, [[0, 1, 0, 0], [1, 0, 0, 0]], atol=1e-12)


def test_zero_temperature_is_best_response_with_ties_shared():
    u = np.array([[0.1, 0.5, 0.4, -0.2], [1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0]])
    p = f.logit_probabilities(u, 0.0)
    expected = [[0, 1, 0, 0], [0, 0.5, 0.5, 0], [0.25, 0.25, 0.25, 0.25]]
    np.testing.assert_allclose(p, expected, atol=0.0)


def test_bold_success_is_one_half_at_difficulty():
    assert f.bold_success_probability(0.37, 0.37, 0.12) == pytest.approx(0.5, abs=1e-15)


def test_bold_success_is_logistic_in_ability():
    # At ability = difficulty + spread * ln 3 the logistic is 3 / 4.
    a = 0.5 + 0.1 * math.log(3.0)
    assert f.bold_success_probability(a, 0.5, 0.1) == pytest.approx(0.75, rel=1e-12)


def test_bold_success_increases_with_ability():
    p = f.bold_success_probability(np.linspace(0.0, 1.0, 101), 0.5, 0.12)
    assert np.all(np.diff(p) > 0)
    assert 0.0 < p[0] < 0.05 and 0.95 < p[-1] < 1.0


def test_effort_cost_matches_hand_value():
    # 0.5 * 0.6^2 * (1 + 1.5 * (1 - 0.4)) * (1 + 0.3) * (1 - 0.25) = 0.33345
    assert f.effort_cost(0.6, 0.4, 0.5, 1.5, 0.3, 0.25) == pytest.approx(0.33345, rel=1e-12)


def test_effort_cost_is_zero_without_effort_and_quadratic_in_effort():
    assert f.effort_cost(0.0, 0.3, 0.5, 1.5, 0.3, 0.0) == 0.0
    c1 = f.effort_cost(0.4, 0.3, 0.5, 1.5, 0.3, 0.0)
    c2 = f.effort_cost(0.8, 0.3, 0.5, 1.5, 0.3, 0.0)
    assert c2 == pytest.approx(4.0 * c1, rel=1e-12)


def test_effort_cost_is_higher_for_lower_ability():
    cost = f.effort_cost(0.6, np.linspace(0.0, 1.0, 11), 0.5, 1.5, 0.3, 0.0)
    assert np.all(np.diff(cost) < 0)


def test_effort_cost_is_higher_under_heavier_burden():
    light = f.effort_cost(0.6, 0.5, 0.5, 1.5, 0.0, 0.0)
    heavy = f.effort_cost(0.6, 0.5, 0.5, 1.5, 2.0, 0.0)
    assert heavy == pytest.approx(3.0 * light, rel=1e-12)


def test_effort_cost_is_lower_with_care():
    without = f.effort_cost(0.6, 0.5, 0.5, 1.5, 0.3, 0.0)
    with_care = f.effort_cost(0.6, 0.5, 0.5, 1.5, 0.3, 0.25)
    assert with_care == pytest.approx(0.75 * without, rel=1e-12)


def test_effort_cost_broadcasts_actions_against_cadres():
    efforts = np.array([0.0, 0.35, 0.6, 1.0])
    ability = np.array([[0.2], [0.9]])
    cost = f.effort_cost(efforts, ability, 0.5, 1.5, 0.3, 0.0)
    assert cost.shape == (2, 4)
    # (row 1, bold) = 0.5 * 1 * (1 + 1.5 * 0.1) * 1.3 = 0.7475
    assert cost[1, 3] == pytest.approx(0.7475, rel=1e-12)


def test_detection_probability_combines_independent_channels():
    # 1 - 0.9 * 0.8 * 0.5 = 0.64
    assert f.detection_probability(0.1, 0.2, 0.5) == pytest.approx(0.64, rel=1e-12)
    assert f.detection_probability(0.3) == pytest.approx(0.3, rel=1e-12)
    assert f.detection_probability(0.0, 0.0, 0.0) == 0.0
    assert f.detection_probability(0.2, 1.0, 0.0) == 1.0
    assert f.detection_probability() == 0.0


def test_shield_probability_is_tolerance_times_imprecision():
    assert f.shield_probability(0.8, 0.95) == pytest.approx(0.04, rel=1e-12)
    assert f.shield_probability(0.8, 0.3) == pytest.approx(0.56, rel=1e-12)
    assert f.shield_probability(0.0, 0.0) == 0.0
    assert f.shield_probability(1.0, 1.0) == 0.0


def test_next_sanction_cost_climbs_the_ladder_and_caps_at_removal():
    costs = (0.4, 1.5, 4.0)
    got = f.next_sanction_cost(np.array([0, 1, 2, 3, 7, 100], dtype=np.int8), costs)
    np.testing.assert_array_equal(got, [0.4, 1.5, 4.0, 4.0, 4.0, 4.0])


def test_risk_weighting_multiplies_by_one_plus_rho():
    np.testing.assert_allclose(f.risk_weighted([0.5, 0.5], [0.0, 2.0]), [0.5, 1.5])


def test_formal_credit_and_measurement_noise_shrink_with_evaluation_precision():
    assert f.formal_credit(0.4, 0.25) == pytest.approx(0.3)
    assert f.formal_credit(0.4, 1.0) == 0.0
    assert f.measurement_noise_sd(0.5, 0.6) == pytest.approx(0.2)
    assert f.measurement_noise_sd(0.5, 1.0) == 0.0


# --------------------------------------------------------------------------------------------
# Promotion and learning helpers
# --------------------------------------------------------------------------------------------


def test_career_weight_discounts_waiting_and_is_zero_when_ineligible():
    w = f.career_weight(np.array([0, 1, 3, 0]), 0.8, np.array([True, True, True, False]))
    np.testing.assert_allclose(w, [1.0, 0.8, 0.512, 0.0], rtol=1e-12)


def test_smooth_moves_a_share_of_the_way():
    assert f.smooth(0.2, 1.0, 0.3) == pytest.approx(0.44)
    np.testing.assert_allclose(f.smooth([0.2, 0.9], [1.0, 0.1], 0.0), [0.2, 0.9])
    np.testing.assert_allclose(f.smooth([0.2, 0.9], [1.0, 0.1], 1.0), [1.0, 0.1])
    np.testing.assert_allclose(f.smooth([0.2, 0.9], [1.0, 0.1], [0.5, 0.25]), [0.6, 0.7])


def test_standardise_gives_population_z_scores():
    # mean 2, population s.d. sqrt(2/3)
    z = f.standardise([1.0, 2.0, 3.0])
    np.testing.assert_allclose(z, [-math.sqrt(1.5), 0.0, math.sqrt(1.5)], rtol=1e-12)
    rng = np.random.default_rng(0)
    z = f.standardise(rng.normal(5.0, 3.0, 1000))
    assert z.mean() == pytest.approx(0.0, abs=1e-12)
    assert z.std() == pytest.approx(1.0, rel=1e-12)


def test_standardise_of_constant_input_is_zero():
    np.testing.assert_array_equal(f.standardise([4.0, 4.0, 4.0]), [0.0, 0.0, 0.0])


def test_promotion_score_mixes_merit_and_seniority_by_weight():
    record = np.array([1.0, 2.0, 3.0])
    seniority = np.array([3.0, 2.0, 1.0])  # z(seniority) = -z(record)
    z = np.array([-math.sqrt(1.5), 0.0, math.sqrt(1.5)])
    no_noise = np.zeros(3)
    np.testing.assert_allclose(f.promotion_score(record, seniority, 0.9, no_noise), 0.8 * z)
    np.testing.assert_allclose(f.promotion_score(record, seniority, 1.0, no_noise), z)
    np.testing.assert_allclose(f.promotion_score(record, seniority, 0.0, no_noise), -z)
    np.testing.assert_allclose(f.promotion_score(record, seniority, 0.5, no_noise), 0.0, atol=1e-15)
    noise = np.array([0.1, -0.2, 0.3])
    np.testing.assert_allclose(f.promotion_score(record, seniority, 1.0, noise), z + noise)


def test_promotion_score_is_scale_free_in_its_components():
    record = np.array([0.1, 0.5, 0.2, 0.9])
    seniority = np.array([4.0, 1.0, 7.0, 2.0])
    base = f.promotion_score(record, seniority, 0.3, np.zeros(4))
    scaled = f.promotion_score(10 * record + 3, 0.5 * seniority, 0.3, np.zeros(4))
    np.testing.assert_allclose(scaled, base, rtol=1e-12, atol=1e-12)


def test_rank_capacities_form_a_pyramid_with_unbounded_bottom():
    # q = 0.5, 4 ranks: weights 1, .5, .25, .125 (sum 1.875); n = 1000 ->
    # ranks 1..3: 266.67 -> 267, 133.33 -> 133, 66.67 -> 67; rank 0 holds everyone (1000).
    caps = f.rank_capacities(1000, 4, 0.5)
    np.testing.assert_array_equal(caps, [1000, 267, 133, 67])


@pytest.mark.parametrize(("n", "ranks", "q"), [(1000, 4, 0.35), (537, 6, 0.7), (20, 2, 0.1)])
def test_rank_capacities_follow_the_ratio_within_rounding(n, ranks, q):
    caps = f.rank_capacities(n, ranks, q)
    assert caps.shape == (ranks,)
    assert caps[0] == n
    weights = q ** np.arange(ranks)
    exact = n * weights / weights.sum()
    assert np.all(np.abs(caps[1:] - exact[1:]) <= 0.5)
    assert np.all(np.diff(caps[1:]) <= 0)  # never more posts higher up
    # The senior posts are the pyramid's share of n, within rounding of half a post per rank.
    assert abs(caps[1:].sum() - n * (1 - 1 / weights.sum())) <= 0.5 * (ranks - 1)


def test_rank_ability_correlation_matches_numpy():
    rng = np.random.default_rng(7)
    rank = rng.integers(0, 4, 500)
    ability = 0.1 * rank + rng.normal(0, 0.2, 500)
    expected = np.corrcoef(rank, ability)[0, 1]
    assert f.rank_ability_correlation(rank, ability) == pytest.approx(expected, rel=1e-10)
    assert f.rank_ability_correlation([0, 1, 2], [0.1, 0.2, 0.3]) == pytest.approx(1.0)
    assert f.rank_ability_correlation([0, 1, 2], [0.3, 0.2, 0.1]) == pytest.approx(-1.0)


def test_rank_ability_correlation_is_zero_for_constant_input():
    assert f.rank_ability_correlation([0, 0, 0], [0.1, 0.5, 0.9]) == 0.0
    assert f.rank_ability_correlation([0, 1, 2], [0.5, 0.5, 0.5]) == 0.0


def test_peer_sums_equal_summing_each_cadres_peers_by_hand():
    rng = np.random.default_rng(4)
    peers = rng.integers(0, 50, (50, 5))
    peers[3] = [7, 7, 7, 1, 2]  # a repeated tie counts each time
    values = rng.random((50, 3))
    expected = np.array([values[row].sum(axis=0) for row in peers])
    np.testing.assert_allclose(peer_sums(peer_matrix(peers), values), expected, rtol=1e-5)


def test_move_down_demotes_one_rank_when_there_is_room():
    caps = np.array([10, 3, 2, 1])
    rank = np.array([3, 2, 1, 0, 0, 0], dtype=np.int8)
    move_down(rank, np.array([0, 1]), caps, np.random.default_rng(0).random(6))
    np.testing.assert_array_equal(rank, [2, 1, 1, 0, 0, 0])


def test_move_down_sends_overflow_to_the_next_rank_with_room():
    # Rank 2 (1 post) is taken by slot 2; rank 1 (3 posts) has one free post.
    # Both rank-3 movers want rank 2: both overflow to rank 1, one gets the free post and the
    # other falls to rank 0.
    caps = np.array([10, 3, 1, 2])
    rank = np.array([3, 3, 2, 1, 1, 0], dtype=np.int8)
    move_down(rank, np.array([0, 1]), caps, np.random.default_rng(1).random(6))
    assert sorted(rank[:2].tolist()) == [0, 1]
    np.testing.assert_array_equal(rank[2:], [2, 1, 1, 0])
    np.testing.assert_array_equal(occupancy(rank, 4), [2, 3, 1, 0])


def test_move_down_fills_places_vacated_by_other_movers():
    # Slot 1 leaves rank 2 in the same call, so slot 0 (rank 3) can take its post.
    caps = np.array([10, 2, 1, 1])
    rank = np.array([3, 2, 1, 1, 0], dtype=np.int8)
    move_down(rank, np.array([0, 1]), caps, np.random.default_rng(2).random(5))
    # Slot 1 wants rank 1, which is full (slots 2, 3): it falls to rank 0.
    np.testing.assert_array_equal(rank, [2, 0, 1, 1, 0])


def test_move_down_leaves_rank_zero_movers_and_bystanders_alone():
    caps = np.array([10, 2, 1])
    rank = np.array([0, 0, 1, 2], dtype=np.int8)
    move_down(rank, np.array([0, 1]), caps, np.random.default_rng(3).random(4))
    np.testing.assert_array_equal(rank, [0, 0, 1, 2])
    move_down(rank, np.array([], dtype=np.intp), caps, np.random.default_rng(3).random(4))
    np.testing.assert_array_equal(rank, [0, 0, 1, 2])


def test_move_down_chooses_who_keeps_a_scarce_post_at_random():
    """Two rank-2 movers compete for one rank-1 post: each wins about half the time.

    400 fixed-seed trials; the win count must lie within 4 s.d. (+-40) of 200.
    """
    caps = np.array([10, 1, 2])
    rng = np.random.default_rng(4)
    wins = 0
    for _ in range(400):
        rank = np.array([2, 2, 0], dtype=np.int8)
        move_down(rank, np.array([0, 1]), caps, rng.random(3))
        assert sorted(rank[:2].tolist()) == [0, 1]
        wins += int(rank[0] == 1)
    assert abs(wins - 200) <= 40


def test_move_down_gives_scarce_posts_to_the_smallest_keys_whoever_else_moves():
    """The order is keyed by slot: adding a mover never reorders the others."""
    caps = np.array([10, 1, 3])
    order = np.array([0.9, 0.2, 0.5, 0.1])
    for movers, expected in (([0, 1], [0, 1, 2, 0]), ([0, 1, 2], [0, 1, 0, 0]),
                             ([0, 2], [0, 2, 1, 0])):
        rank = np.array([2, 2, 2, 0], dtype=np.int8)
        moved = move_down(rank, np.array(movers), caps, order)
        np.testing.assert_array_equal(rank, expected)
        assert moved.tolist() == sorted(movers, key=lambda slot: order[slot])


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    n_ranks=st.integers(2, 6),
    n=st.integers(5, 60),
)
def test_move_down_never_exceeds_capacity_and_moves_no_one_up(data, n_ranks, n):
    senior = data.draw(st.lists(st.integers(0, n), min_size=n_ranks - 1, max_size=n_ranks - 1))
    caps = np.array([n, *senior], dtype=np.int64)
    # A valid starting allocation: place cadres top-down within capacity.
    wanted = data.draw(st.lists(st.integers(0, n_ranks - 1), min_size=n, max_size=n))
    occupied = np.zeros(n_ranks, dtype=np.int64)
    rank = np.zeros(n, dtype=np.int8)
    for i, r in enumerate(wanted):
        if r == 0 or occupied[r] < caps[r]:
            rank[i] = r
            occupied[r] += 1
    movers = np.array(sorted(data.draw(st.sets(st.integers(0, n - 1)))), dtype=np.intp)
    before = rank.copy()
    keys = np.random.default_rng(data.draw(st.integers(0, 2**32))).random(n)
    move_down(rank, movers, caps, keys)
    assert np.all(occupancy(rank, n_ranks)[1:] <= caps[1:])
    moved = np.zeros(n, dtype=bool)
    moved[movers] = True
    np.testing.assert_array_equal(rank[~moved], before[~moved])
    was_senior = moved & (before > 0)
    assert np.all(rank[was_senior] < before[was_senior])
    np.testing.assert_array_equal(rank[moved & (before == 0)], 0)


def test_perceived_update_is_the_discounted_beta_mean_of_rule_and_cases():
    """Belief = (w a + E) / (w + X) with E, X the events and exposures kept at ``memory``."""
    w, a, m = 4.0, 0.2, 0.8
    events_1, exposure_1 = 3.0, 5.0  # year 1's cases
    b1, x1 = f.perceived_update(a, 0.0, a, events_1, exposure_1, m, w)
    assert x1 == exposure_1
    assert b1 == pytest.approx((w * a + events_1) / (w + exposure_1))
    events_2, exposure_2 = 0.0, 2.0
    b2, x2 = f.perceived_update(b1, x1, a, events_2, exposure_2, m, w)
    assert x2 == pytest.approx(m * exposure_1 + exposure_2)
    assert b2 == pytest.approx((w * a + m * events_1 + events_2) / (w + x2))


def test_perceived_update_without_cases_drifts_back_to_the_credited_rule():
    belief, evidence = np.array([0.9]), np.array([10.0])
    for _ in range(60):
        belief, evidence = f.perceived_update(belief, evidence, 0.3, 0.0, 0.0, 0.8, 4.0)
    assert belief[0] == pytest.approx(0.3, abs=1e-4)
    # With nothing to lean on (no rule weight, no evidence) the belief stays.
    assert f.perceived_update(0.7, 0.0, 0.1, 0.0, 0.0, 0.8, 0.0)[0] == 0.7


def test_perceived_update_is_unbiased_at_the_true_rate_with_partial_exposures():
    """Cases revealing the rate at weight 0.3 (formal work examined at 0.3 x detection): at a
    belief and a credited rule equal to the true rate p the expected move is 0."""
    rng = np.random.default_rng(0)
    p, weight, n = 0.6, 0.3, 200_000
    events = (rng.random(n) < weight * p).astype(float)
    moved, _ = f.perceived_update(np.full(n, p), np.full(n, 2.0), p, events,
                                  np.full(n, weight), 0.8, 4.0)
    assert abs(moved.mean() - p) < 3 * moved.std() / np.sqrt(n)


def test_pool_weight_grows_with_the_pool_and_is_one_without_a_prior():
    np.testing.assert_allclose(f.pool_weight(np.array([0, 20, 180]), 20.0), [0.0, 0.5, 0.9])
    np.testing.assert_array_equal(f.pool_weight(np.array([0, 3]), 0.0), [0.0, 1.0])


def test_taste_choice_frequencies_are_the_logit_probabilities():
    rng = np.random.default_rng(2)
    u = np.array([0.0, 0.1, 0.25, -0.2])
    n = 200_000
    choice = f.taste_choice(np.tile(u, (n, 1)), rng.gumbel(size=(n, 4)), 0.15)
    freq = np.bincount(choice, minlength=4) / n
    np.testing.assert_allclose(freq, f.logit_probabilities(u[None, :], 0.15)[0], atol=0.004)


def test_taste_choice_at_zero_temperature_is_the_best_response_with_ties_broken_by_taste():
    u = np.array([[0.0, 1.0, 1.0, 0.5]] * 2)
    taste = np.array([[9.0, 0.0, 1.0, 9.0], [9.0, 2.0, 1.0, 9.0]])
    np.testing.assert_array_equal(f.taste_choice(u, taste, 0.0), [2, 1])


def test_ability_for_success_inverts_the_bold_success_probability():
    a = f.ability_for_success(0.7, 0.5, 0.12)
    assert f.bold_success_probability(a, 0.5, 0.12) == pytest.approx(0.7)
    assert f.ability_for_success(0.5, 0.5, 0.12) == pytest.approx(0.5)
