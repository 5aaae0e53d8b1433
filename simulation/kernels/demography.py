"""Phase 6, demography, compiled: a year's clocks in one pass, and entrants' clean slates.

The NumPy paths are simulation.demography.age_one_year and simulation.population.start_careers;
the draws (reassessment, entrants' traits and ages) are made there, in NumPy, on both paths.
Means are summed in NumPy's pairwise order (simulation.kernels.reductions).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from simulation.config import ModelConfig, Regime
from simulation.demography import MAX_YEARS_SINCE_SANCTION
from simulation.kernels.jit import kernel
from simulation.kernels.reductions import mean, pairwise_sum
from simulation.population import BELIEFS, NEVER_SANCTIONED, CadreArrays


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
    next_person: int,
) -> None:
    """As simulation.population.start_careers."""
    _start(departed, entry_age, next_person, cadres.person, cadres.age, cadres.rank,
           cadres.years_in_rank, cadres.record, cadres.sanction_years, cadres.strikes,
           cadres.years_since_sanction, cadres.probation_years, cadres.fast_track,
           cadres.action, cadres.peers, tuple(getattr(cadres, name) for name in BELIEFS))


@kernel
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


@kernel
def _start(departed, entry_age, next_person, person, age, rank, years_in_rank, record,
           sanction_years, strikes, years_since_sanction, probation_years, fast_track, action,
           peers, beliefs):  # pragma: no cover - compiled
    """Entrants: new ids, entry ages, rank 0, a clean slate, the staff's record, peers' beliefs."""
    n, k = rank.size, departed.size
    leaving = np.zeros(n, dtype=np.bool_)
    for j in range(k):
        leaving[departed[j]] = True
    staying_records = np.empty(n)
    staying = 0
    for i in range(n):
        if rank[i] == 0 and not leaving[i]:
            staying_records[staying] = record[i]
            staying += 1
    entry_record = mean(staying_records[:staying]) if staying > 0 else 0.0
    for j in range(k):
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
    ties = peers.shape[1]
    held = np.empty(ties)
    entrant_mean = np.empty(k)
    for belief in beliefs:
        for j in range(k):  # every mean first: entrants read this year's beliefs
            for t in range(ties):
                held[t] = belief[peers[departed[j], t]]
            entrant_mean[j] = pairwise_sum(held, 0, ties) / ties
        for j in range(k):
            belief[departed[j]] = entrant_mean[j]
