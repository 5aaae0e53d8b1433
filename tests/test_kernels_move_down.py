"""The compiled demotion cascade (``kernels.segments.move_down``) equals ``positions.move_down``.

The batched replicates demote through the compiled twin; a run alone through NumPy. Pinned on
random organisations: the same ranks after the cascade and the same movers, in the same order,
including full ranks (the overflow drops further), movers already at rank 0 and ties in the
order (a stable sort keeps slot order).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.kernels.segments import demote_segments
from simulation.kernels.segments import move_down as compiled_move_down
from simulation.positions import move_down


@st.composite
def organisations(draw):
    """Ranks within capacities (rank 0 unbounded), some movers, and an order with ties."""
    n_ranks = draw(st.integers(2, 5))
    n = draw(st.integers(1, 60))
    capacities = np.array([n] + [draw(st.integers(0, 12)) for _ in range(n_ranks - 1)])
    rank = np.zeros(n, dtype=np.int8)
    slots = draw(st.permutations(range(n)))
    at = 0
    for level in range(n_ranks - 1, 0, -1):
        filled = draw(st.integers(0, int(capacities[level])))
        for slot in slots[at:at + filled]:
            rank[slot] = level
        at = min(n, at + filled)
    movers = np.array(sorted(draw(st.sets(st.integers(0, n - 1), max_size=n))), dtype=np.intp)
    # Few distinct values, so that ties in the order are common.
    order = np.array([draw(st.sampled_from([0.1, 0.2, 0.5, 0.9])) for _ in range(n)])
    return rank, movers, capacities.astype(np.int64), order


@settings(max_examples=200, deadline=None)
@given(organisations())
def test_the_compiled_cascade_moves_the_same_cadres_to_the_same_ranks(case):
    rank, movers, capacities, order = case
    ours, theirs = rank.copy(), rank.copy()
    moved = move_down(ours, movers, capacities, order)
    twin = compiled_move_down(theirs, movers.astype(np.int64), capacities, order)
    np.testing.assert_array_equal(theirs, ours)
    np.testing.assert_array_equal(twin, moved)
    # The cascade keeps every rank within its places and never promotes.
    assert (np.bincount(ours, minlength=capacities.size)[1:] <= capacities[1:]).all()
    assert (ours <= rank).all()


def test_each_segment_cascades_within_its_own_run():
    """Two runs of 6 slots side by side: each run's movers fill only its own ranks, and only
    the moved cadres' tenure is reset."""
    rank = np.array([2, 1, 1, 0, 0, 0] * 2, dtype=np.int8)
    years = np.full(12, 5, dtype=np.int16)
    demoted = np.zeros(12, dtype=np.bool_)
    demoted[[0, 9]] = True  # run 0: its top cadre; run 1: a cadre already at rank 0
    order = np.linspace(0.1, 0.9, 12)
    capacities = np.array([6, 2, 1], dtype=np.int64)
    demote_segments(rank, years, demoted, order, capacities, 6)
    # Run 0: rank 1 is full (2 of 2), so its top cadre drops to rank 0.
    np.testing.assert_array_equal(rank, [0, 1, 1, 0, 0, 0, 2, 1, 1, 0, 0, 0])
    np.testing.assert_array_equal(years, [0, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5])
