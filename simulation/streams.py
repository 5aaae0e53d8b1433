"""Random streams of a run: every number is named by (seed, year, purpose, slot, word).

Counter-based: a run's random numbers are Philox4x64-10 (Salmon et al. 2011, the Random123
generator that ``numpy.random.Philox`` implements) of a counter that names each block of four
64-bit words: (slot x blocks per slot + block, year, purpose, 0) under a 128-bit key derived
from the run's seed. A slot's words are a pure function of that name: they never depend on how
many numbers other slots, phases or years used, so two runs with the same seed share every draw
both make (common random numbers), whatever a lever changes. A phase that needs a few slots
(the entrants who fill empty slots) draws only theirs; a phase that picks some of many (who
keeps a scarce post) ranks them by keyed uniforms.

What each purpose's words hold is listed with its code below (docs/ODD.md, section 7 of the
submodels, has the same table). Both backends draw with this module (the kernels never draw), so
the NumPy and Numba paths see the same numbers by construction.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import special

# Purposes: word 2 of the counter. A purpose gives each slot a fixed number of words ("width",
# a multiple of four), listed here in order; a slot's words are one run of counters.
#: Year 0 and entrants, 20 words: ability's two gamma trials (normal and uniform of X, of Y),
#: motivation's two, ability's boosts of X and Y (X's also its fall-back), motivation's,
#: risk aversion's trial (normal, uniform, boost or fall-back), violation-prone, entry age
#: (entrants), 3 unused.
TRAITS = 0
#: Year 0: age, seniority noise, years in rank, record.
PLACES = 1
#: Year 0, one per unit (the unit's index for the slot): front line, then post visibility's
#: normal, uniform and boost (a gamma trial).
UNITS = 2
#: Year 0: the random keys that rank the positions of the slot's unit, one word a position.
COLLEAGUES = 3
#: Year 0: one word per column of the slot's row of ``peers`` (in-unit columns only where a
#: short unit must borrow a colleague from outside).
TIES = 4
#: Each year: taste for idle, formal, routine and bold work (Gumbel).
TASTE = 5
#: Each year: bold success, routine failure, measurement noise; word 3 of slot 0: the year's
#: policy reversal.
OUTCOMES = 6
#: Each year, 8 words: detection, tolerance review, violation exposure, shielding, accusation,
#: clarification, dual investigation, order of demotions.
REVIEW = 7
#: Each year: self-recommendation, promotion score noise, reassessment of the disciplined,
#: 1 unused.
CAREER = 8
#: The purposes by name (for tests and documentation), in code order.
PURPOSES: tuple[str, ...] = ("traits", "places", "units", "colleagues", "ties", "taste",
                             "outcomes", "review", "career")
#: Words per slot of the purposes whose width does not depend on the configuration.
WIDTH = {TRAITS: 20, PLACES: 4, UNITS: 4, TASTE: 4, OUTCOMES: 4, REVIEW: 8, CAREER: 4}
#: A subset of slots is drawn slot by slot below this share of them, else as one run.
SUBSET_SHARE = 0.02
#: Slots converted at a time by ``uniform_rows`` (temporaries of 256 KB at 8 words a slot).
CHUNK = 4096

# Philox4x64-10's constants (Salmon et al. 2011): multipliers, their 32-bit halves, key bumps.
_M0, _M1 = np.uint64(0xD2E7470EE14C6C93), np.uint64(0xCA5A826395121157)
_M0_LOW, _M0_HIGH = np.uint64(0xE14C6C93), np.uint64(0xD2E7470E)
_M1_LOW, _M1_HIGH = np.uint64(0x95121157), np.uint64(0xCA5A8263)
_W0, _W1 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBB67AE8584CAA73B)
_LOW, _HALF = np.uint64(0xFFFF_FFFF), np.uint64(32)
_SHIFT = np.uint64(11)
_ODD = np.uint64(1)
_ULP = 2.0**-53
_WRAP = 1 << 256


def uniform(words: NDArray[np.uint64], out: NDArray[np.float64] | None = None
            ) -> NDArray[np.float64]:
    """Uniforms in [0, 1) with 53 random bits: the top 53 bits of each word times 2**-53.

    The same conversion as ``numpy.random.Generator.random``; exact. Into ``out`` if given.
    """
    return np.multiply(words >> _SHIFT, _ULP, out=out)


def uniform_rows(words: NDArray[np.uint64]) -> NDArray[np.float64]:
    """The uniforms of ``words`` (count, width) as a (width, count) view, row k from word k.

    Converted a chunk of slots at a time: two temporaries of a whole block cost more in fresh
    memory (page faults) than the conversion itself from 10 000 slots on. The view keeps a
    slot's uniforms side by side, as its words are.
    """
    out = np.empty(words.shape)
    for start in range(0, words.shape[0], CHUNK):
        uniform(words[start : start + CHUNK], out=out[start : start + CHUNK])
    return out.T


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


def philox(c0, c1, c2, c3, k0, k1):  # uint64 scalars (compiled) or arrays (NumPy)
    """Philox4x64-10 of the counter (c0, c1, c2, c3) under the key (k0, k1): four words.

    The generator ``numpy.random.Philox`` runs, in 64-bit integer arithmetic alone (each
    128-bit product from 32-bit halves), so that it compiles unchanged as a kernel
    (``simulation.kernels.streams``) and runs on NumPy uint64 arrays (wrapping, as C does).
    tests/test_streams.py pins it to Random123's known answers and to ``numpy.random.Philox``.
    """
    for _ in range(10):
        low, high = c0 & _LOW, c0 >> _HALF
        ll, lh, hl = low * _M0_LOW, low * _M0_HIGH, high * _M0_LOW
        middle = (ll >> _HALF) + (lh & _LOW) + (hl & _LOW)
        high0 = high * _M0_HIGH + (lh >> _HALF) + (hl >> _HALF) + (middle >> _HALF)
        low0 = c0 * _M0
        low, high = c2 & _LOW, c2 >> _HALF
        ll, lh, hl = low * _M1_LOW, low * _M1_HIGH, high * _M1_LOW
        middle = (ll >> _HALF) + (lh & _LOW) + (hl & _LOW)
        high1 = high * _M1_HIGH + (lh >> _HALF) + (hl >> _HALF) + (middle >> _HALF)
        low1 = c2 * _M1
        c0, c1, c2, c3 = high1 ^ c1 ^ k0, low1, high0 ^ c3 ^ k1, low0
        k0 = k0 + _W0
        k1 = k1 + _W1
    return c0, c1, c2, c3


def width_for(words: int) -> int:
    """The width of a purpose that needs ``words`` words per slot: the next multiple of 4."""
    return 4 * -(-words // 4)


class Streams:
    """The random streams of one run (a pure function of its root seed sequence).

    ``words(year, purpose, count)`` gives ``count`` slots' words; the words of the last call
    are kept, so phases that read one purpose (promotion and demography read the career words)
    draw them once.
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

    def _run(self, year: int, purpose: int, first_block: int, words: int) -> NDArray[np.uint64]:
        """``words`` words from block ``first_block`` on: counter (block, year, purpose, 0)."""
        counter = first_block | (int(year) << 64) | (int(purpose) << 128)
        # numpy's Philox adds one to its counter before each block: start one below.
        below = (counter - 1) % _WRAP
        state = self._state
        state["state"]["counter"] = np.array(
            [(below >> shift) & 0xFFFF_FFFF_FFFF_FFFF for shift in (0, 64, 128, 192)],
            dtype=np.uint64,
        )
        state["buffer_pos"] = 4  # nothing buffered: the next word comes from the counter
        self._philox.state = state
        return self._philox.random_raw(words)

    def words(self, year: int, purpose: int, count: int, width: int | None = None,
              start: int = 0) -> NDArray[np.uint64]:
        """Slots ``start .. start + count - 1``'s words of ``purpose`` in ``year``.

        Shape (count, width), width ``WIDTH[purpose]`` unless given (a multiple of 4, the same
        on every call for a purpose). Slot i's words are Philox blocks i * width / 4 onwards.
        Read-only (shared with the next caller that asks for the same words).
        """
        width = WIDTH[purpose] if width is None else width
        name = (year, purpose, count, width, start)
        if self._last is not None and self._last[0] == name:
            return self._last[1]
        words = self._run(year, purpose, start * (width // 4), count * width)
        words = words.reshape(count, width)
        words.flags.writeable = False
        self._last = (name, words)
        return words

    def slot_words(self, year: int, purpose: int, slots: NDArray[np.intp], n: int,
                   width: int | None = None) -> NDArray[np.uint64]:
        """The words of ``slots`` (sorted, distinct, below ``n``): (len(slots), width).

        The same words as ``words(year, purpose, n)[slots]``; drawn slot by slot when the
        slots are few (below ``SUBSET_SHARE`` of ``n``), else as one run.
        """
        width = WIDTH[purpose] if width is None else width
        if slots.size >= SUBSET_SHARE * n:
            return self.words(year, purpose, n, width)[slots]
        out = np.empty((slots.size, width), dtype=np.uint64)
        blocks = width // 4
        for i, slot in enumerate(slots.tolist()):
            out[i] = self._run(year, purpose, slot * blocks, width)
        return out

    def columns(self, year: int, purpose: int, count: int, width: int | None = None,
                start: int = 0) -> NDArray[np.uint64]:
        """The same words as :meth:`words`, (width, count) and contiguous: row k is word k."""
        return np.ascontiguousarray(self.words(year, purpose, count, width, start).T)

    def taste(self, year: int, n: int) -> NDArray[np.float64]:
        """The year's Gumbel taste draws (n, 4), slot by action."""
        return gumbel(self.words(year, TASTE, n))
