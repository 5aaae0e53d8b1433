"""Phase 2, outcomes: real output, bold success or failure, measured output, the record."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from simulation import formulas as f
from simulation import streams as s
from simulation.cadres import CadreArrays
from simulation.config import ModelConfig, Regime
from simulation.records import OutcomeDraws, Outcomes
from simulation.streams import Streams

#: How the year's outcomes are worked out from the draws (``realise`` or its compiled twin).
Realise = Callable[
    [CadreArrays, NDArray[np.int8], ModelConfig, Regime, OutcomeDraws, NDArray[np.float64]],
    Outcomes,
]


def draw_outcomes(streams: Streams, year: int, n: int, regime: Regime) -> OutcomeDraws:
    """This year's draws for ``n`` cadres, each slot's own (``streams.OUTCOMES``)."""
    ev = regime.evaluation
    words = streams.words(year, s.OUTCOMES, n)
    return OutcomeDraws(
        success=s.uniform(words[:, 0]),
        reversal=bool(s.uniform(words[0, 3]) < regime.support.policy_volatility),
        noise=f.measurement_noise_sd(ev.noise_sd, ev.precision) * s.normal(words[:, 2]),
        routine=s.uniform(words[:, 1]),
    )


def produce(
    cadres: CadreArrays, action: NDArray[np.int8], config: ModelConfig, regime: Regime,
    streams: Streams, year: int,
    realised: Realise | None = None,
) -> Outcomes:
    """Draw outcomes and update each cadre's smoothed performance record in place.

    ``realised`` works them out from the draws (default ``realise``, the NumPy reference; the
    phase table passes the compiled twin). Both take the bold success chances computed here,
    with NumPy's exp.
    """
    b = config.behaviour
    draws = draw_outcomes(streams, year, cadres.n, regime)
    p_success = f.bold_success_probability(cadres.ability, b.bold_difficulty, b.bold_spread)
    return (realised or realise)(cadres, action, config, regime, draws, p_success)


def realise(
    cadres: CadreArrays,
    action: NDArray[np.int8],
    config: ModelConfig,
    regime: Regime,
    draws: OutcomeDraws,
    p_success: NDArray[np.float64],
) -> Outcomes:
    """Outcomes of this year's actions from their draws; updates each record in place."""
    b, ev = config.behaviour, regime.evaluation
    bold = action == f.BOLD
    success = bold & (draws.success < p_success)
    per_action = np.array([0.0, b.output_formal, b.output_routine, 0.0])
    real = per_action[action]
    if not draws.reversal:
        real = np.where(success, b.output_bold, real)
    formal = action == f.FORMAL
    measured = (
        real
        + np.where(formal, f.formal_credit(b.formal_visibility * cadres.visibility,
                                           ev.precision), 0.0)
        + draws.noise
    )
    routine_failure = (action == f.ROUTINE) & (draws.routine < b.routine_failure_rate)
    cadres.record[:] = f.smooth(cadres.record, measured, 1.0 - regime.promotion.record_memory)
    return Outcomes(
        real=real,
        measured=measured,
        bold_success=success,
        bold_failure=bold & ~success,
        routine_failure=routine_failure,
        reversal=draws.reversal,
    )
