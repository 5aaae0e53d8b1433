"""Percentage ticks that print each tick exactly: 2.5% steps read "2.5%, 5.0%", never "2%, 5%".

Matplotlib's :class:`~matplotlib.ticker.PercentFormatter` with a fixed number of decimals rounds
ticks that need more (``decimals=0`` prints 0.025 as "2%"); this one chooses, each time the axis
is drawn, the fewest decimals that show every tick of the axis without rounding.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator, PercentFormatter

#: Most decimals a tick label gets (steps finer than 0.001% print rounded).
MAX_DECIMALS = 3
#: Nice tick steps (times a power of ten): 1, 2, 2.5, 5 and 10, as Matplotlib's default.
NICE_STEPS: tuple[float, ...] = (1, 2, 2.5, 5, 10)


def percent_decimals(ticks: Sequence[float], xmax: float = 1.0) -> int:
    """The fewest decimals that print every tick (a share of ``xmax``) as a percentage exactly."""
    percents = np.asarray(ticks, dtype=float) * 100.0 / xmax
    for decimals in range(MAX_DECIMALS + 1):
        if np.allclose(np.round(percents, decimals), percents, rtol=0, atol=1e-9):
            return decimals
    return MAX_DECIMALS


class PercentTicks(PercentFormatter):
    """A PercentFormatter whose decimals follow the ticks in view (see :func:`percent_decimals`)."""

    def __init__(self, xmax: float = 1.0) -> None:
        super().__init__(xmax=xmax, decimals=0)

    def set_locs(self, locs: Sequence[float]) -> None:
        """Called by the axis before labelling: choose the decimals for these ticks."""
        super().set_locs(locs)
        self.decimals = percent_decimals(locs, self.xmax) if len(locs) else 0


def percent_axis(ax: Axes, nbins: int = 6) -> None:
    """Label ``ax``'s y axis in percent, at nice steps (1, 2, 2.5, 5 times a power of ten)."""
    ax.yaxis.set_major_locator(MaxNLocator(nbins=nbins, steps=list(NICE_STEPS)))
    ax.yaxis.set_major_formatter(PercentTicks(1.0))
