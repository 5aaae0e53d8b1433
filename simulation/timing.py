"""Where a run's time goes: a per-phase clock for benchmarks (``make bench``)."""

from __future__ import annotations

from time import perf_counter

#: Phases of the annual step, in order, as timed by PhaseClock.
PHASES: tuple[str, ...] = (
    "decide",
    "outcomes",
    "accountability",
    "promotion",
    "learning",
    "demography",
    "data collection",
)


class PhaseClock:
    """Accumulates wall-clock seconds per phase; the step calls ``lap`` after each phase."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = dict.fromkeys(PHASES, 0.0)
        self._last = perf_counter()

    def start(self) -> None:
        """Mark the start of a step."""
        self._last = perf_counter()

    def lap(self, phase: str) -> None:
        """Charge the time since the last mark to ``phase``."""
        now = perf_counter()
        self.totals[phase] += now - self._last
        self._last = now

