"""Random streams of a run: every number is named by (seed, year, purpose, slot, block).

Counter-based: a run's random numbers are Philox4x64-10 (Salmon et al. 2011, the Random123
generator that ``numpy.random.Philox`` implements) of a counter that names each one: a 256-bit
counter (slot, year, purpose, block) under a 128-bit key derived from the run's seed. Every slot
(or unit) gets four 64-bit words per block, a pure function of that name: a slot's numbers never
depend on how many numbers other slots, phases or years used, so two runs with the same seed
share every draw both make (common random numbers), whatever a lever changes. A phase that
needs a subset of slots (the entrants who fill empty slots) reads theirs from the words of every
slot; a phase that picks some of many (who keeps a scarce post) ranks them by keyed uniforms.

What each purpose's words hold is listed with its code below (docs/ODD.md, section 7 of the
submodels, has the same table). Both backends draw with this module (the kernels never draw), so
the NumPy and Numba paths see the same numbers by construction.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import special

# Purposes: word 2 of the counter. Each block gives a slot four words, used in this order.
#: Year 0 and entrants: ability, motivation, risk aversion, violation-prone (block 0);
#: entry age (block 1, entrants only).
TRAITS = 0
#: Year 0: age, seniority noise, years in rank, record.
PLACES = 1
#: Year 0, one per unit (the unit's index in word 0): front line, post visibility.
UNITS = 2
#: Year 0: the random keys that rank a slot's unit positions 4j .. 4j+3 (block j).
COLLEAGUES = 3
#: Year 0: peer ties in columns 4j .. 4j+3 of the slot's row of ``peers`` (block j).
TIES = 4
#: Each year: taste for idle, formal, routine and bold work (Gumbel).
TASTE = 5
#: Each year: bold success, routine failure, measurement noise; word 3 of slot 0: the year's
#: policy reversal.
OUTCOMES = 6
#: Each year: detection, tolerance review, violation exposure, shielding (block 0);
#: accusation, clarification, dual investigation, order of demotions (block 1).
REVIEW = 7
#: Each year: self-recommendation, promotion score noise, reassessment of the disciplined.
CAREER = 8
#: The purposes by name (for tests and documentation), in code order.
PURPOSES: tuple[str, ...] = ("traits", "places", "units", "colleagues", "ties", "taste",
                             "outcomes", "review", "career")

_SHIFT = np.uint64(11)
_ODD = np.uint64(1)
_ULP = 2.0**-53
_WRAP = 1 << 256


def uniform(words: NDArray[np.uint64]) -> NDArray[np.float64]:
    """Uniforms in [0, 1) with 53 random bits: the top 53 bits of each word times 2**-53.

    The same conversion as ``numpy.random.Generator.random``; exact.
    """
    return (words >> _SHIFT) * _ULP


def open_uniform(words: NDArray[np.uint64]) -> NDArray[np.float64]:
    """Uniforms in the open interval (0, 1), for a logarithm or a quantile function.

    The top 52 bits plus a half: (k + 1/2) * 2**-52, from 2**-53 to 1 - 2**-53; exact.
    """
    return ((words >> _SHIFT) | _ODD) * _ULP


def gumbel(words: NDArray[np.uint64]) -> NDArray[np.float64]:
    """Standard Gumbel draws, -log(-log(u)) of open uniforms (NumPy's log)."""
    g = np.log(open_uniform(words))
    np.negative(g, out=g)
    np.log(g, out=g)
    return np.negative(g, out=g)


def normal(words: NDArray[np.uint64]) -> NDArray[np.float64]:
    """Standard normal draws by the quantile function of open uniforms (one word each).

    The quantile function keeps draws monotone in their uniforms, so a lever that scales a
    noise moves every draw the same way (common random numbers at their best).
    """
    return special.ndtri(open_uniform(words))


def integers(words: NDArray[np.uint64], low: int, high: int) -> NDArray[np.int64]:
    """Integers in [low, high) from uniforms: low + floor(u * (high - low))."""
    span = high - low
    picked = (uniform(words) * span).astype(np.int64)
    return low + np.minimum(picked, span - 1)


class Streams:
    """The random streams of one run (a pure function of its root seed sequence).

    ``words(year, purpose, count)`` gives ``count`` slots' four words of a block; the words of
    the last call are kept, so phases that read one block (promotion and demography read the
    career block) draw it once.
    """

    def __init__(self, root: np.random.SeedSequence) -> None:
        """The key is two 64-bit words of the root's state: seeds map to unrelated keys."""
        self.root = root
        k0, k1 = (int(w) for w in root.generate_state(2, np.uint64))
        self.key = k0 | (k1 << 64)
        self._philox = np.random.Philox(key=self.key)
        self._state = self._philox.state
        self._last: tuple[tuple[int, ...], NDArray[np.uint64]] | None = None

    @classmethod
    def from_seed(cls, seed: int) -> Streams:
        """The streams of a run with an integer seed."""
        return cls(np.random.SeedSequence(seed))

    @classmethod
    def from_generator(cls, rng: np.random.Generator) -> Streams:
        """Streams rooted in one draw from a generator (for runs given a Generator)."""
        return cls(np.random.SeedSequence(int(rng.integers(0, 2**63))))

    def words(self, year: int, purpose: int, count: int, block: int = 0, start: int = 0
              ) -> NDArray[np.uint64]:
        """Block ``block`` of ``purpose`` in ``year`` for slots ``start .. start + count - 1``.

        Shape (count, 4): row i holds slot ``start + i``'s four words. Read-only (shared with
        the next caller that asks for the same words).
        """
        name = (year, purpose, count, block, start)
        if self._last is not None and self._last[0] == name:
            return self._last[1]
        counter = start | (int(year) << 64) | (int(purpose) << 128) | (int(block) << 192)
        # numpy's Philox adds one to its counter before each block: start one below.
        below = (counter - 1) % _WRAP
        state = self._state
        state["state"]["counter"] = np.array(
            [(below >> shift) & 0xFFFF_FFFF_FFFF_FFFF for shift in (0, 64, 128, 192)],
            dtype=np.uint64,
        )
        state["buffer_pos"] = 4  # nothing buffered: the next word comes from the counter
        self._philox.state = state
        words = self._philox.random_raw(4 * count).reshape(count, 4)
        words.flags.writeable = False
        self._last = (name, words)
        return words

    def columns(self, year: int, purpose: int, count: int, block: int = 0, start: int = 0
                ) -> NDArray[np.uint64]:
        """The same words as :meth:`words`, (4, count) and contiguous: row k is word k."""
        return np.ascontiguousarray(self.words(year, purpose, count, block, start).T)

    def taste(self, year: int, n: int) -> NDArray[np.float64]:
        """The year's Gumbel taste draws (n, 4), slot by action."""
        return gumbel(self.words(year, TASTE, n))
