"""Phase 2, outcomes, compiled: one pass from actions and draws to outputs and records.

The NumPy path is simulation.outcomes.produce; both take the same draws (drawn there, in
NumPy) and the bold success chances (computed there, with NumPy's exp).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from simulation import formulas as f
from simulation.config import ModelConfig, Regime
from simulation.kernels.jit import kernel
from simulation.kernels.scalar import formal_credit, smooth
from simulation.outcomes import OutcomeDraws, Outcomes
from simulation.population import CadreArrays

FORMAL, ROUTINE, BOLD = f.FORMAL, f.ROUTINE, f.BOLD


def produce(
    cadres: CadreArrays,
    action: NDArray[np.int8],
    config: ModelConfig,
    regime: Regime,
    draws: OutcomeDraws,
    p_success: NDArray[np.float64],
) -> Outcomes:
    """Outcomes of this year's actions; updates each cadre's record in place."""
    b = config.behaviour
    real, measured, success, failure, routine_failure = _produce(
        action, p_success, draws.success, draws.reversal, draws.noise, draws.routine,
        cadres.visibility, cadres.record, b.output_formal, b.output_routine, b.output_bold,
        b.formal_visibility, regime.evaluation.precision, b.routine_failure_rate,
        1.0 - regime.promotion.record_memory,
    )
    return Outcomes(real=real, measured=measured, bold_success=success, bold_failure=failure,
                    routine_failure=routine_failure, reversal=draws.reversal)


@kernel
def _produce(action, p_success, success_draw, reversal, noise, routine_draw, visibility, record,
             output_formal, output_routine, output_bold, formal_visibility, precision,
             routine_failure_rate, record_rate):  # pragma: no cover - compiled
    """(real, measured, bold success, bold failure, routine failure); records in place."""
    n = action.size
    real = np.empty(n)
    measured = np.empty(n)
    success = np.empty(n, dtype=np.bool_)
    failure = np.empty(n, dtype=np.bool_)
    routine_failure = np.empty(n, dtype=np.bool_)
    for i in range(n):
        a = action[i]
        bold = a == BOLD
        succeeded = bold & (success_draw[i] < p_success[i])  # & and |: no branch on a draw
        success[i] = succeeded
        failure[i] = bold & (not succeeded)
        output = 0.0
        if a == FORMAL:
            output = output_formal
        elif a == ROUTINE:
            output = output_routine
        if succeeded and not reversal:
            output = output_bold
        real[i] = output
        credit = formal_credit(formal_visibility * visibility[i], precision) if a == FORMAL else 0.0
        measured[i] = output + credit + noise[i]
        routine_failure[i] = (a == ROUTINE) & (routine_draw[i] < routine_failure_rate)
        record[i] = smooth(record[i], measured[i], record_rate)
    return real, measured, success, failure, routine_failure
