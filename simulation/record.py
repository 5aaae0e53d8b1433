"""A run's per-step outputs, kept in one preallocated array; the table is built once at the end.

Each step adds one row (the step, Mesa's time, the regime label and the ``STEP_COLUMNS`` values
``step.advance`` returned). Appending a row costs a few microseconds, and ``table()`` makes the
per-step DataFrame in one go, where building it from a list of dicts cost milliseconds a run.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from simulation.outputs import STEP_COLUMNS

#: Columns of the per-step table: the step, the regime in force, then the step's aggregates.
RESULT_COLUMNS: tuple[str, ...] = ("step", "regime", *STEP_COLUMNS)


class StepRecord:
    """One row per step: step number, Mesa time, regime label and the step's aggregates.

    The array is sized for ``capacity`` steps (the run's planned length) and doubles when a run
    goes on longer, so a run of any length works.
    """

    def __init__(self, capacity: int) -> None:
        """Room for ``capacity`` steps before the first growth (at least one)."""
        capacity = max(1, int(capacity))
        self.values = np.empty((capacity, len(STEP_COLUMNS)), dtype=np.float64)
        self.steps = np.empty(capacity, dtype=np.int64)
        self.times = np.empty(capacity, dtype=np.float64)
        self.regimes: list[str] = []

    def __len__(self) -> int:
        """Steps recorded so far."""
        return len(self.regimes)

    def add(self, step: int, time: float, regime: str, stats: Mapping[str, float]) -> None:
        """Record a step's aggregates (``stats`` has every name in ``STEP_COLUMNS``)."""
        row = len(self.regimes)
        if row == self.steps.size:
            self._grow()
        self.values[row] = [stats[name] for name in STEP_COLUMNS]
        self.steps[row] = step
        self.times[row] = time
        self.regimes.append(regime)

    def _grow(self) -> None:
        size = 2 * self.steps.size
        self.values = np.resize(self.values, (size, self.values.shape[1]))
        self.steps = np.resize(self.steps, size)
        self.times = np.resize(self.times, size)

    def stats(self, row: int) -> dict[str, float]:
        """The aggregates of the ``row``-th step recorded, as ``step.advance`` returned them."""
        return dict(zip(STEP_COLUMNS, self.values[row].tolist(), strict=True))

    def entries(self) -> list[tuple[int, str, dict[str, float]]]:
        """``(step, regime, aggregates)`` for every step recorded, oldest first."""
        return [(int(self.steps[i]), self.regimes[i], self.stats(i)) for i in range(len(self))]

    def table(self) -> pd.DataFrame:
        """The per-step table: columns ``RESULT_COLUMNS``, step int64, aggregates float64."""
        n = len(self)
        table = pd.DataFrame(self.values[:n].copy(), columns=list(STEP_COLUMNS))
        # Strings as pandas infers them (``str``); an empty table's column stays ``object``.
        table.insert(0, "regime", pd.Series(self.regimes, dtype=None if n else object))
        table.insert(0, "step", self.steps[:n].copy())
        return table

