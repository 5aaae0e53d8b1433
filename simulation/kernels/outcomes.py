"""Phase 2, outcomes, compiled: one pass from actions and draws to outputs and records.

The NumPy path is simulation.outcomes.realise; both take the same draws and the bold success
chances, made in simulation.outcomes.produce (in NumPy, with NumPy's exp).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from simulation import formulas as f
from simulation.cadres import CadreArrays
from simulation.config import ModelConfig, Regime
from simulation.kernels.jit import kernel, plain
from simulation.kernels.scalar import formal_credit, smooth
from simulation.records import OutcomeDraws, Outcomes

FORMAL, ROUTINE, BOLD = f.FORMAL, f.ROUTINE, f.BOLD


class Draws(NamedTuple):
    """The year's draws (``records.OutcomeDraws``) as the kernel takes them."""

    success: NDArray[np.float64]
    reversal: bool
    noise: NDArray[np.float64]
    routine: NDArray[np.float64]


class Terms(NamedTuple):
    """The phase's scalars, from the config and the regime in force."""

    output_formal: float
    output_routine: float
    output_bold: float
    formal_visibility: float
    precision: float
    routine_failure_rate: float
    record_rate: float  # weight of this year's measured output in the record


def produce(
    cadres: CadreArrays,
    action: NDArray[np.int8],
    config: ModelConfig,
    regime: Regime,
    draws: OutcomeDraws,
    p_success: NDArray[np.float64],
) -> Outcomes:
    """As simulation.outcomes.realise: outcomes of this year's actions; records in place."""
    b = config.behaviour
    terms = Terms(
        output_formal=b.output_formal, output_routine=b.output_routine,
        output_bold=b.output_bold, formal_visibility=b.formal_visibility,
        precision=regime.evaluation.precision, routine_failure_rate=b.routine_failure_rate,
        record_rate=1.0 - regime.promotion.record_memory,
    )
    drawn = Draws(success=draws.success, reversal=draws.reversal, noise=draws.noise,
                  routine=draws.routine)
    real, measured, success, failure, routine_failure = _produce_plain(
        action, p_success, plain(drawn), cadres.visibility, cadres.record, plain(terms))
    return Outcomes(real=real, measured=measured, bold_success=success, bold_failure=failure,
                    routine_failure=routine_failure, reversal=draws.reversal)


@kernel
def _produce_plain(action, p_success, draws, visibility, record, t):  # pragma: no cover
    """``_produce`` of the records as plain tuples (``jit.plain``)."""
    return _produce(action, p_success, Draws(*draws), visibility, record, Terms(*t))


@kernel
def _produce(action, p_success, draws, visibility, record, t):  # pragma: no cover - compiled
    """(real, measured, bold success, bold failure, routine failure); records in place.

    ``draws`` are the year's ``Draws``, ``t`` the ``Terms``.
    """
    success_draw, reversal, noise, routine_draw = draws
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
            output = t.output_formal
        elif a == ROUTINE:
            output = t.output_routine
        if succeeded and not reversal:
            output = t.output_bold
        real[i] = output
        credit = (formal_credit(t.formal_visibility * visibility[i], t.precision) if a == FORMAL
                  else 0.0)
        measured[i] = output + credit + noise[i]
        routine_failure[i] = (a == ROUTINE) & (routine_draw[i] < t.routine_failure_rate)
        record[i] = smooth(record[i], measured[i], t.record_rate)
    return real, measured, success, failure, routine_failure
