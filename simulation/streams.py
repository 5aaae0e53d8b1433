"""Random streams of a run: one generator per (year, phase), derived from the run's seed.

Every random draw of a step comes from the stream of its phase and year, a child of the run's
root ``numpy.random.SeedSequence`` keyed by (year, phase). Two runs with the same seed and
different levers therefore share every draw that both make (common random numbers): a lever
that changes how many draws one phase makes cannot shift the draws of another phase or another
year. Within a phase, draws whose count depends on the state come after the fixed-size ones.
"""

from __future__ import annotations

import numpy as np

#: The phases that draw, in step order; "population" is the year-0 build.
PHASES: tuple[str, ...] = (
    "population", "decide", "outcomes", "accountability", "promotion", "demography",
)
_INDEX = {name: i for i, name in enumerate(PHASES)}


class Streams:
    """The random streams of one run (a pure function of its root seed sequence)."""

    def __init__(self, root: np.random.SeedSequence) -> None:
        """Keep the root; generators are derived on demand."""
        self.root = root

    @classmethod
    def from_seed(cls, seed: int) -> Streams:
        """The streams of a run with an integer seed."""
        return cls(np.random.SeedSequence(seed))

    @classmethod
    def from_generator(cls, rng: np.random.Generator) -> Streams:
        """Streams rooted in one draw from a generator (for runs given a Generator)."""
        return cls(np.random.SeedSequence(int(rng.integers(0, 2**63))))

    def generator(self, year: int, phase: str) -> np.random.Generator:
        """The generator of ``phase`` in ``year`` (year 0: building the population)."""
        key = (*self.root.spawn_key, int(year), _INDEX[phase])
        return np.random.Generator(
            np.random.PCG64(np.random.SeedSequence(self.root.entropy, spawn_key=key))
        )
