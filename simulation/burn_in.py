"""The default burn-in: the first years a run's means leave out, the same for a run and a sweep.

A run starts from drawn cadres whose beliefs have not yet met the regime; the first years are
its transient. ``cadresim run`` and an experiment spec without ``burn_in`` both leave out
``DEFAULT_BURN_IN`` years (as the shipped specs and the calibration targets do), or half the run
when it is shorter than twice that, so a short run still has years to average. A run or spec
may name any burn-in from 0 to ``steps - 1`` instead.
"""

from __future__ import annotations

#: Years left out of a run's means unless a run or spec says otherwise.
DEFAULT_BURN_IN = 10


def default_burn_in(steps: int) -> int:
    """The burn-in a run of ``steps`` years gets unless one is named: 10, or ``steps // 2``."""
    return min(DEFAULT_BURN_IN, steps // 2)
