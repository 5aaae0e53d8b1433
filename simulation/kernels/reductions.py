"""Float sums as NumPy makes them, for kernels that must match NumPy's means bit for bit.

NumPy sums a contiguous float64 array by pairwise summation (numpy/_core/src/umath/
loops_utils.h.src): fewer than 8 values in order; up to 128 in eight interleaved partial sums
combined as ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)), the rest added in order; longer
runs split in two at a multiple of 8 near the middle. A plain loop rounds differently, so
kernels use ``pairwise_sum``. tests/test_kernels_phases.py checks it against ``ndarray.sum`` and
``mean`` (also along the rows of a 2-D array) over many lengths: if a NumPy release changes its
summation, those tests fail and the kernels' means must follow.
"""

from __future__ import annotations

import numpy as np

from simulation.kernels.jit import kernel

#: NumPy's PW_BLOCKSIZE: the longest run summed without splitting.
BLOCK = 128


@kernel
def block_sum(a, start, count):  # pragma: no cover - compiled
    """Sum of a run of at most BLOCK values, in NumPy's order for such a run."""
    if count < 8:
        total = 0.0
        for i in range(start, start + count):
            total += a[i]
        return total
    r0, r1, r2, r3 = a[start], a[start + 1], a[start + 2], a[start + 3]
    r4, r5, r6, r7 = a[start + 4], a[start + 5], a[start + 6], a[start + 7]
    i = start + 8
    end8 = start + count - count % 8
    while i < end8:
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
        i += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < start + count:
        total += a[i]
        i += 1
    return total


@kernel
def pairwise_sum(a, start, count):  # pragma: no cover - compiled
    """Sum of a[start:start + count] in NumPy's pairwise order.

    NumPy recurses (left half + right half); this walks the same tree with an explicit stack,
    because Numba cannot load a recursive function from its cache into another module's kernel.
    """
    if count <= BLOCK:
        return block_sum(a, start, count)
    depth = 64  # halving from 2**63 values reaches a block in fewer levels
    starts = np.empty(depth, dtype=np.int64)
    counts = np.empty(depth, dtype=np.int64)
    stages = np.empty(depth, dtype=np.int64)  # 0: left next, 1: right next, 2: combine
    partial = np.empty(depth)
    top, done = 0, 0
    starts[0], counts[0], stages[0] = start, count, 0
    while top >= 0:
        s, c = starts[top], counts[top]
        if c <= BLOCK:
            partial[done] = block_sum(a, s, c)
            done += 1
            top -= 1
            continue
        half = c // 2
        half -= half % 8
        if stages[top] == 0:
            stages[top] = 1
            top += 1
            starts[top], counts[top], stages[top] = s, half, 0
        elif stages[top] == 1:
            stages[top] = 2
            top += 1
            starts[top], counts[top], stages[top] = s + half, c - half, 0
        else:
            done -= 1
            partial[done - 1] = partial[done - 1] + partial[done]
            top -= 1
    return partial[0]


@kernel
def mean(a):  # pragma: no cover - compiled
    """``a.mean()`` of a non-empty 1-D float64 array, as NumPy computes it."""
    return pairwise_sum(a, 0, a.size) / a.size
