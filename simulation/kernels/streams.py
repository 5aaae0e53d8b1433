"""The run's words for a few slots, compiled: ``streams.philox`` as a kernel.

``Streams.slot_words`` draws a few slots' words one slot at a time through ``numpy.random.Philox``
(about a microsecond of Python a slot); this twin computes the same words in one compiled loop,
bit for bit (tests/test_streams.py), for the entrants who fill the slots that empty each year.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from simulation import streams
from simulation.kernels.jit import kernel

philox = kernel(streams.philox)
_MASK = (1 << 64) - 1


@kernel
def run_words(slots: NDArray[np.intp], blocks: int, year: np.uint64, purpose: np.uint64,
              k0: np.uint64, k1: np.uint64) -> NDArray[np.uint64]:
    """Each slot's ``blocks`` blocks of four words: counters (slot x blocks + b, year, purpose)."""
    out = np.empty((slots.shape[0], 4 * blocks), dtype=np.uint64)
    zero = np.uint64(0)
    for i in range(slots.shape[0]):
        first = np.uint64(slots[i]) * np.uint64(blocks)
        for b in range(blocks):
            words = philox(first + np.uint64(b), year, purpose, zero, k0, k1)
            for j in range(4):
                out[i, 4 * b + j] = words[j]
    return out


def slot_words(source: streams.Streams, year: int, purpose: int, slots: NDArray[np.intp],
               n: int, width: int | None = None) -> NDArray[np.uint64]:
    """``Streams.slot_words``, compiled: the words of ``slots`` (n, the number of slots, unused)."""
    width = streams.WIDTH[purpose] if width is None else width
    return run_words(slots, width // 4, np.uint64(year), np.uint64(purpose),
                     np.uint64(source.key & _MASK), np.uint64(source.key >> 64))
