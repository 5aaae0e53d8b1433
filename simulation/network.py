"""The peer network: who observes whom. Built once; slots keep their ties across entrants."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from simulation import streams as s
from simulation.formulas import unit_count
from simulation.streams import Streams

#: Slots whose ties are drawn together (rounded down to whole units, at least one): bounds the
#: temporaries at a few tens of MB however many cadres, where drawing all at once took 4 times
#: the peer matrix itself (about 2.5 GB at 7.2 million cadres).
BLOCK_SLOTS = 1 << 16


def build_peers(
    n: int, unit_size: int, in_unit: int, cross_unit: int, streams: Streams
) -> NDArray[np.int32]:
    """Peer network: ``in_unit`` distinct colleagues from the own unit plus ``cross_unit`` others.

    Units are consecutive blocks of slots. Colleagues are drawn without replacement by ranking
    random keys within the unit block; cross-unit ties are uniform over the slots outside the
    own unit. No cadre is its own peer. Every key and tie is year 0's draw of its slot and
    position (``streams.COLLEAGUES``, ``streams.TIES``), so building block by block of whole
    units gives the network one pass over all slots would.
    """
    peers = np.empty((n, in_unit + cross_unit), dtype=np.int32)
    n_units = unit_count(n, unit_size)
    units_per_block = max(1, BLOCK_SLOTS // unit_size)
    blocks = [
        (u * unit_size, min(n_units, u + units_per_block) * unit_size)
        for u in range(0, n_units, units_per_block)
    ]
    if in_unit > 0:
        # A short last unit cannot supply in_unit colleagues: borrow from outside it instead,
        # drawn after every unit's keys.
        short = [unit_colleagues(peers[:, :in_unit], start, stop, n, unit_size, streams)
                 for start, stop in blocks]
        rows = np.concatenate([r for r, _ in short])
        if rows.size:
            cols = np.concatenate([c for _, c in short])
            u = tie_uniforms(streams, rows, cols, in_unit + cross_unit)
            peers[rows, cols] = outside_own_unit(rows, n, unit_size, u)
    if cross_unit > 0:
        for start, stop in blocks:  # one block when the organisation is a single unit
            stop = min(stop, n)
            rows = np.repeat(np.arange(start, stop), cross_unit)
            cols = np.tile(np.arange(in_unit, in_unit + cross_unit), stop - start)
            u = tie_uniforms(streams, rows, cols, in_unit + cross_unit)
            peers[start:stop, in_unit:] = outside_own_unit(rows, n, unit_size, u).reshape(
                stop - start, cross_unit
            )
    return peers


def tie_uniforms(streams: Streams, rows: NDArray[np.intp], cols: NDArray[np.intp], ties: int
                 ) -> NDArray[np.float64]:
    """The uniform of each peer tie (row = slot, column of ``peers`` with ``ties`` columns).

    Year 0's ``streams.TIES`` words of the rows' slots, one per column.
    """
    if rows.size == 0:
        return np.empty(0)
    low = int(rows.min())
    words = streams.words(0, s.TIES, int(rows.max()) + 1 - low, s.width_for(ties), low)
    return s.uniform(words[rows - low, cols])


def unit_colleagues(
    out: NDArray[np.int32], start: int, stop: int, n: int, unit_size: int, streams: Streams,
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Fill ``out[start:stop]`` with in-unit colleagues of slots ``start .. stop - 1``.

    ``start`` and ``stop`` are unit boundaries (``stop`` may pass ``n`` by the padding of a
    short last unit). Each slot ranks a random key per position of its unit, itself and
    positions past ``n`` last, and keeps the first ``out.shape[1]``. Returns (rows, columns) of
    the entries a short unit could not fill (they hold no colleague yet), in row-major order.
    """
    k = out.shape[1]
    width = s.width_for(unit_size)
    words = streams.words(0, s.COLLEAGUES, stop - start, width, start)
    keys = s.uniform(words[:, :unit_size])
    slot = np.arange(start, stop)
    unit_start = slot - slot % unit_size
    position = np.arange(unit_size)
    keys[np.arange(stop - start), slot % unit_size] = np.inf  # never oneself
    past_end = unit_start[:, None] + position[None, :] >= n
    keys[past_end] = np.inf
    order = np.argsort(keys, axis=1)[:, :k]
    real = min(stop, n) - start
    out[start : start + real] = (unit_start[:, None] + order)[:real]
    empty = (np.take_along_axis(keys, order, axis=1) == np.inf)[:real]
    rows, cols = np.nonzero(empty)
    return rows + start, cols


def outside_own_unit(
    slots: NDArray[np.intp], n: int, unit_size: int, u: NDArray[np.float64]
) -> NDArray[np.int64]:
    """For each entry of ``slots``, the slot outside its unit picked by its uniform ``u``."""
    start = (slots // unit_size) * unit_size
    size = np.minimum(start + unit_size, n) - start
    if (n - size <= 0).any():  # a single unit: nobody is outside it, fall back to anyone else
        pick = np.minimum((u * (n - 1)).astype(np.int64), n - 2)
        return pick + (pick >= slots)
    pick = np.minimum((u * (n - size)).astype(np.int64), n - size - 1)
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
