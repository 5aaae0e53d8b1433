"""Phase 6, demography: the clock advances, sanctions run down, cadres retire or are removed,
and entrants take the empty slots at the bottom rank."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from simulation import streams as s
from simulation.cadres import MAX_YEARS_SINCE_SANCTION, CadreArrays
from simulation.config import ModelConfig, Regime
from simulation.population import CareerStart, SlotWords, replace_departed
from simulation.streams import Streams

#: A year on every clock, given the reassessment draws (``grow_older`` or its compiled twin).
GrowOlder = Callable[[CadreArrays, ModelConfig, Regime, NDArray[np.float64]], NDArray[np.bool_]]


def age_one_year(
    cadres: CadreArrays, config: ModelConfig, regime: Regime, streams: Streams, year: int,
    aged: GrowOlder | None = None,
) -> NDArray[np.bool_]:
    """Advance every clock by a year; returns who reached retirement age.

    Probation is counted down where it is checked (accountability), not here. ``aged`` moves
    the clocks (default ``grow_older``, the NumPy reference; the phase table passes the
    compiled twin).
    """
    # Reuse of disciplined cadres (seeds 002, 003): reassessment lifts the promotion bar early.
    # Each slot's own draw (word 2 of ``streams.CAREER``, the block promotion read).
    reassessment = s.uniform(streams.words(year, s.CAREER, cadres.n)[:, 2])
    return (aged or grow_older)(cadres, config, regime, reassessment)


def grow_older(
    cadres: CadreArrays, config: ModelConfig, regime: Regime, reassessment: NDArray[np.float64]
) -> NDArray[np.bool_]:
    """Every clock a year on, given the reassessment uniforms; returns who retires."""
    acc = regime.accountability
    cadres.age += 1
    cadres.years_in_rank += 1
    np.minimum(cadres.years_since_sanction + 1, MAX_YEARS_SINCE_SANCTION,
               out=cadres.years_since_sanction)
    np.maximum(cadres.sanction_years - 1, 0, out=cadres.sanction_years)
    reassessed = reassessment < regime.fault_tolerance.reuse_disciplined
    cadres.sanction_years[reassessed & (cadres.sanction_years > 0)] = 0
    # years_since_sanction is 1 at the end of the sanction's own year: clean years = value - 1.
    cadres.strikes[cadres.years_since_sanction > acc.strike_expiry] = 0
    return cadres.age >= config.population.retirement_age


def renew(
    cadres: CadreArrays,
    leaving: NDArray[np.bool_],
    config: ModelConfig,
    streams: Streams,
    year: int,
    next_person: int,
    start: CareerStart | None = None,
    slot_words: SlotWords | None = None,
) -> int:
    """Replace everyone in ``leaving`` with an entrant; returns the next unused person id.

    ``start`` starts the entrants' careers, ``slot_words`` draws their words
    (``population.replace_departed``).
    """
    return replace_departed(cadres, np.flatnonzero(leaving), config, streams, year,
                            next_person, start, slot_words)
