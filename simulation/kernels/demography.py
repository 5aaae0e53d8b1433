"""Phase 6, demography, compiled: a year's clocks in one pass, and entrants' clean slates.

The NumPy paths are simulation.demography.age_one_year and simulation.population.start_careers;
the draws (reassessment, entrants' traits and ages) are made there, in NumPy, on both paths.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from simulation.config import ModelConfig, Regime
from simulation.demography import MAX_YEARS_SINCE_SANCTION
from simulation.population import NEVER_SANCTIONED, CadreArrays


def age_one_year(
    cadres: CadreArrays, config: ModelConfig, regime: Regime, reassessment: NDArray[np.float64]
) -> NDArray[np.bool_]:
    """As simulation.demography.age_one_year, given its uniforms; returns who retires."""
    return _age(
        cadres.age, cadres.years_in_rank, cadres.years_since_sanction, cadres.sanction_years,
        cadres.strikes, reassessment, regime.fault_tolerance.reuse_disciplined,
        regime.accountability.strike_expiry, config.population.retirement_age,
    )


def start_careers(
    cadres: CadreArrays,
    departed: NDArray[np.intp],
    entry_age: NDArray[np.integer],
    entry_record: float,
    next_person: int,
) -> None:
    """As simulation.population.start_careers."""
    _start(departed, entry_age, entry_record, next_person, cadres.person, cadres.age,
           cadres.rank, cadres.years_in_rank, cadres.record, cadres.sanction_years,
           cadres.strikes, cadres.years_since_sanction, cadres.probation_years,
           cadres.fast_track, cadres.action)


@njit(cache=True)
def _age(age, years_in_rank, years_since_sanction, sanction_years, strikes, reassessment,
         reuse_disciplined, strike_expiry, retirement_age):  # pragma: no cover - compiled
    """Every clock a year on, reassessment, expired strikes; returns who reached retirement."""
    n = age.size
    retiring = np.empty(n, dtype=np.bool_)
    for i in range(n):
        age[i] += 1
        years_in_rank[i] += 1
        years_since_sanction[i] = min(years_since_sanction[i] + 1, MAX_YEARS_SINCE_SANCTION)
        sanction_years[i] = max(sanction_years[i] - 1, 0)
        if reassessment[i] < reuse_disciplined and sanction_years[i] > 0:
            sanction_years[i] = 0
        if years_since_sanction[i] > strike_expiry:
            strikes[i] = 0
        retiring[i] = age[i] >= retirement_age
    return retiring


@njit(cache=True)
def _start(departed, entry_age, entry_record, next_person, person, age, rank, years_in_rank,
           record, sanction_years, strikes, years_since_sanction, probation_years, fast_track,
           action):  # pragma: no cover - compiled
    """New ids, entry ages, rank 0 and a clean slate in the departed slots."""
    for j in range(departed.size):
        i = departed[j]
        person[i] = next_person + j
        age[i] = entry_age[i]
        rank[i] = 0
        years_in_rank[i] = 0
        record[i] = entry_record
        sanction_years[i] = 0
        strikes[i] = 0
        years_since_sanction[i] = NEVER_SANCTIONED
        probation_years[i] = 0
        fast_track[i] = False
        action[i] = -1
