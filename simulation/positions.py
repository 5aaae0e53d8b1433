"""Positions: rank capacities, vacancies, and moving cadres down without overfilling a rank."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def occupancy(rank: NDArray[np.int8], n_ranks: int) -> NDArray[np.int64]:
    """Cadres holding each rank."""
    return np.bincount(rank, minlength=n_ranks)


def vacancies(rank: NDArray[np.int8], capacities: NDArray[np.int64]) -> NDArray[np.int64]:
    """Free positions per rank (rank 0 is unbounded: reported as 0)."""
    free = capacities - occupancy(rank, capacities.size)
    free[0] = 0
    return np.maximum(free, 0)


def move_down(
    rank: NDArray[np.int8],
    movers: NDArray[np.intp],
    capacities: NDArray[np.int64],
    order: NDArray[np.float64],
) -> NDArray[np.intp]:
    """Demote each mover by one rank, or further down where the rank below is full.

    Movers first leave their posts; then ranks are filled from the top, the movers with the
    smallest ``order`` (a uniform per slot) taking the scarce places first, and the overflow
    drops a rank further. Keyed by slot, the order of two movers does not depend on who else
    moves. Rank 0 takes everyone, so no rank ever holds more cadres than it has positions.
    Modifies ``rank`` in place and returns the cadres that moved (movers already at rank 0 stay
    where they are), in that order.
    """
    movers = movers[rank[movers] > 0]
    if movers.size == 0:
        return movers
    movers = movers[np.argsort(order[movers], kind="stable")]
    target = rank[movers].astype(np.int64) - 1
    rank[movers] = 0  # vacate their posts while places are counted
    occupied = occupancy(rank, capacities.size)
    for r in range(capacities.size - 1, 0, -1):
        wanting = np.flatnonzero(target == r)
        if wanting.size == 0:
            continue
        room = max(int(capacities[r] - occupied[r]), 0)
        placed = wanting[:room]
        rank[movers[placed]] = r
        occupied[r] += placed.size
        target[wanting[room:]] = r - 1
    return movers
