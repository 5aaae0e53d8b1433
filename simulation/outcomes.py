"""Phase 2, outcomes: real output, bold success or failure, measured output, the record."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from simulation import formulas as f
from simulation.config import ModelConfig, Regime
from simulation.population import CadreArrays


@dataclass(frozen=True)
class Outcomes:
    """What this year's actions produced."""

    real: NDArray[np.float64]  # real output per cadre
    measured: NDArray[np.float64]  # what evaluation sees
    bold_success: NDArray[np.bool_]
    bold_failure: NDArray[np.bool_]  # honest failure of a bold task (goes to review)
    routine_failure: NDArray[np.bool_]  # routine work gone wrong through no fault
    reversal: bool  # a policy reversal scrapped this year's bold projects


def produce(
    cadres: CadreArrays, action: NDArray[np.int8], config: ModelConfig, regime: Regime,
    rng: np.random.Generator,
) -> Outcomes:
    """Draw outcomes and update each cadre's smoothed performance record in place."""
    b, ev = config.behaviour, regime.evaluation
    n = cadres.n
    bold = action == f.BOLD
    success = bold & (
        rng.random(n) < f.bold_success_probability(cadres.ability, b.bold_difficulty, b.bold_spread)
    )
    reversal = bool(rng.random() < regime.support.policy_volatility)
    per_action = np.array([0.0, b.output_formal, b.output_routine, 0.0])
    real = per_action[action]
    if not reversal:
        real = np.where(success, b.output_bold, real)
    formal = action == f.FORMAL
    measured = (
        real
        + np.where(formal, f.formal_credit(b.formal_visibility * cadres.visibility,
                                           ev.precision), 0.0)
        + rng.normal(0.0, f.measurement_noise_sd(ev.noise_sd, ev.precision), n)
    )
    routine_failure = (action == f.ROUTINE) & (rng.random(n) < b.routine_failure_rate)
    cadres.record[:] = f.smooth(cadres.record, measured, 1.0 - regime.promotion.record_memory)
    return Outcomes(
        real=real,
        measured=measured,
        bold_success=success,
        bold_failure=bold & ~success,
        routine_failure=routine_failure,
        reversal=reversal,
    )
