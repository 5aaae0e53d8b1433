"""Where a run's time goes: a per-phase clock for benchmarks (``make bench``)."""

from __future__ import annotations

from collections.abc import Callable
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
    """Accumulates seconds per phase; the step calls ``lap`` after each phase.

    Wall-clock seconds by default; pass ``timer=time.process_time`` for CPU time, which a busy
    machine disturbs less.
    """

    def __init__(self, timer: Callable[[], float] = perf_counter) -> None:
        self.totals: dict[str, float] = dict.fromkeys(PHASES, 0.0)
        self._timer = timer
        self._last = timer()

    def start(self) -> None:
        """Mark the start of a step."""
        self._last = self._timer()

    def lap(self, phase: str) -> None:
        """Charge the time since the last mark to ``phase``."""
        now = self._timer()
        self.totals[phase] += now - self._last
        self._last = now

