"""Where a run's time goes: a per-phase clock for benchmarks, and an estimate before a run."""

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


def estimate_run_seconds(config, steps: int, sample_cadres: int = 20_000) -> float:
    """Seconds a run of ``config`` for ``steps`` years should take on this machine.

    Times a small model of the same config (construction and three steps, after one warm-up
    step) and scales both linearly in the number of cadres.
    """
    from simulation.model import CadreModel  # local: the model imports this module

    n = config.organisation.n_cadres
    small = min(n, sample_cadres)
    sample = config.model_copy(
        update={"organisation": config.organisation.model_copy(update={"n_cadres": small})}
    )
    start = perf_counter()
    model = CadreModel(sample)
    build = perf_counter() - start
    model.step()
    start = perf_counter()
    for _ in range(3):
        model.step()
    per_step = (perf_counter() - start) / 3
    return (build + per_step * steps) * n / small
