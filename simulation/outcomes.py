"""Phase 2, outcomes: real output, bold success or failure, measured output, the record."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from simulation import formulas as f
from simulation import kernels
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


@dataclass(frozen=True)
class OutcomeDraws:
    """The phase's random draws, all made before any outcome is worked out."""

    success: NDArray[np.float64]  # uniform per cadre: a bold task succeeds below its chance
    reversal: bool  # a policy reversal scraps this year's bold projects
    noise: NDArray[np.float64]  # evaluation noise per cadre
    routine: NDArray[np.float64]  # uniform per cadre: routine work fails below the failure rate


def draw_outcomes(rng: np.random.Generator, n: int, regime: Regime) -> OutcomeDraws:
    """This year's draws for ``n`` cadres, in the phase's fixed order (common random numbers)."""
    ev = regime.evaluation
    return OutcomeDraws(
        success=rng.random(n),
        reversal=bool(rng.random() < regime.support.policy_volatility),
        noise=rng.normal(0.0, f.measurement_noise_sd(ev.noise_sd, ev.precision), n),
        routine=rng.random(n),
    )


def produce(
    cadres: CadreArrays, action: NDArray[np.int8], config: ModelConfig, regime: Regime,
    rng: np.random.Generator,
) -> Outcomes:
    """Draw outcomes and update each cadre's smoothed performance record in place."""
    b, ev = config.behaviour, regime.evaluation
    draws = draw_outcomes(rng, cadres.n, regime)
    p_success = f.bold_success_probability(cadres.ability, b.bold_difficulty, b.bold_spread)
    if kernels.compiled():
        from simulation.kernels.outcomes import produce as produce_compiled

        return produce_compiled(cadres, action, config, regime, draws, p_success)
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
