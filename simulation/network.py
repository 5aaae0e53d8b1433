"""The peer network: who observes whom. Built once; slots keep their ties across entrants."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray


def build_peers(
    n: int, unit_size: int, in_unit: int, cross_unit: int, rng: np.random.Generator
) -> NDArray[np.int32]:
    """Peer network: ``in_unit`` distinct colleagues from the own unit plus ``cross_unit`` others.

    Units are consecutive blocks of slots. Colleagues are drawn without replacement by ranking
    random keys within the unit block; cross-unit ties are uniform over the slots outside the
    own unit. No cadre is its own peer.
    """
    n_units = -(-n // unit_size)
    padded = n_units * unit_size
    k_in = in_unit
    peers_in = np.empty((n, 0), dtype=np.int32)
    if k_in > 0:
        # For each slot, a random permutation of its unit's positions; drop itself, keep k_in.
        keys = rng.random((padded, unit_size))
        slot = np.arange(padded)
        block_start = (slot // unit_size) * unit_size
        members = block_start[:, None] + np.arange(unit_size)[None, :]
        invalid = (members == slot[:, None]) | (members >= n)
        keys[invalid] = np.inf
        order = np.argsort(keys, axis=1)[:, :k_in]
        peers_in = np.take_along_axis(members, order, axis=1)[:n]
        # A short last unit cannot supply k_in colleagues: borrow from outside it instead.
        bad = np.take_along_axis(invalid, order, axis=1)[:n]
        if bad.any():
            rows = np.nonzero(bad)[0]
            peers_in[bad] = outside_own_unit(rows, n, unit_size, rng)
    peers_out = np.empty((n, 0), dtype=np.int64)
    if cross_unit > 0:
        rows = np.repeat(np.arange(n), cross_unit)
        peers_out = outside_own_unit(rows, n, unit_size, rng).reshape(n, cross_unit)
    return np.concatenate([peers_in, peers_out], axis=1).astype(np.int32)


def outside_own_unit(
    slots: NDArray[np.intp], n: int, unit_size: int, rng: np.random.Generator
) -> NDArray[np.int64]:
    """One uniform draw per entry of ``slots`` from the slots outside that slot's unit."""
    start = (slots // unit_size) * unit_size
    size = np.minimum(start + unit_size, n) - start
    if (n - size <= 0).any():  # a single unit: nobody is outside it, fall back to anyone else
        pick = rng.integers(0, n - 1, slots.size)
        return pick + (pick >= slots)
    pick = (rng.random(slots.size) * (n - size)).astype(np.int64)
    return pick + (pick >= start) * size


def peer_matrix(peers: NDArray[np.integer]) -> sp.csr_matrix:
    """Sparse (n, n) float32 matrix with a 1 per tie (repeated ties count twice).

    ``peer_matrix(peers) @ x`` sums each cadre's peers' values of x in one C-level pass.
    """
    n, k = peers.shape
    data = np.ones(n * k, dtype=np.float32)
    indptr = np.arange(0, n * k + 1, k)
    return sp.csr_matrix((data, peers.ravel(), indptr), shape=(n, n))


def unit_mates_sums(unit: NDArray[np.integer], columns: NDArray) -> NDArray[np.float32]:
    """Each cadre's sum over the other members of its unit of every column of ``columns``."""
    columns = np.asarray(columns, dtype=np.float32)
    totals = np.stack(
        [np.bincount(unit, weights=columns[:, j]) for j in range(columns.shape[1])], axis=1
    )
    return (totals[unit] - columns).astype(np.float32)


def peer_sums(adjacency: sp.csr_matrix, columns: NDArray) -> NDArray[np.float32]:
    """Each cadre's sum over its peers of every column of ``columns`` (shape (n, c))."""
    return adjacency @ np.ascontiguousarray(columns, dtype=np.float32)
