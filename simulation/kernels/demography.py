"""Phase 6, demography, compiled: a year's clocks in one pass, and entrants' clean slates.

The NumPy paths are simulation.demography.grow_older and simulation.population.start_careers;
the draws (reassessment, entrants' traits and ages) are made in simulation.demography.age_one_year
and simulation.population.replace_departed, in NumPy, on both paths.
Means are summed in NumPy's pairwise order (simulation.kernels.reductions).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from simulation.cadres import BELIEFS, MAX_YEARS_SINCE_SANCTION, NEVER_SANCTIONED, CadreArrays
from simulation.config import ModelConfig, Regime
from simulation.kernels.jit import kernel, plain
from simulation.kernels.reductions import mean, pairwise_sum


class Clocks(NamedTuple):
    """Each cadre's clocks and strikes, a year on in place."""

    age: NDArray[np.int16]
    years_in_rank: NDArray[np.int16]
    years_since_sanction: NDArray[np.int16]
    sanction_years: NDArray[np.int16]
    strikes: NDArray[np.int8]


class Rules(NamedTuple):
    """The year's scalars of ageing, from the config and the regime in force."""

    reuse_disciplined: float
    strike_expiry: int
    retirement_age: int


class Career(NamedTuple):
    """What an entrant's career starts from in its slot, set in place."""

    person: NDArray[np.int64]
    age: NDArray[np.int16]
    rank: NDArray[np.int8]
    years_in_rank: NDArray[np.int16]
    record: NDArray[np.float64]
    sanction_years: NDArray[np.int16]
    strikes: NDArray[np.int8]
    years_since_sanction: NDArray[np.int16]
    probation_years: NDArray[np.int8]
    fast_track: NDArray[np.bool_]
    action: NDArray[np.int8]


def career_of(cadres: CadreArrays) -> Career:
    """The cadres' arrays an entrant's career is set in."""
    return Career(
        person=cadres.person, age=cadres.age, rank=cadres.rank,
        years_in_rank=cadres.years_in_rank, record=cadres.record,
        sanction_years=cadres.sanction_years, strikes=cadres.strikes,
        years_since_sanction=cadres.years_since_sanction,
        probation_years=cadres.probation_years, fast_track=cadres.fast_track,
        action=cadres.action,
    )


def age_one_year(
    cadres: CadreArrays, config: ModelConfig, regime: Regime, reassessment: NDArray[np.float64]
) -> NDArray[np.bool_]:
    """As simulation.demography.grow_older, given its uniforms; returns who retires."""
    clocks = Clocks(age=cadres.age, years_in_rank=cadres.years_in_rank,
                    years_since_sanction=cadres.years_since_sanction,
                    sanction_years=cadres.sanction_years, strikes=cadres.strikes)
    rules = Rules(reuse_disciplined=regime.fault_tolerance.reuse_disciplined,
                  strike_expiry=regime.accountability.strike_expiry,
                  retirement_age=config.population.retirement_age)
    return _age_plain(plain(clocks), reassessment, plain(rules))


def start_careers(
    cadres: CadreArrays,
    departed: NDArray[np.intp],
    entry_age: NDArray[np.integer],
    next_person: int,
) -> None:
    """As simulation.population.start_careers."""
    _start_plain(departed, entry_age, next_person, plain(career_of(cadres)), cadres.peers,
           tuple(getattr(cadres, name) for name in BELIEFS))


@kernel
def _age_plain(clocks, reassessment, r):  # pragma: no cover - compiled
    """``_age`` of the records as plain tuples (``jit.plain``)."""
    return _age(Clocks(*clocks), reassessment, Rules(*r))


@kernel
def _start_plain(departed, entry_age, next_person, career, peers, beliefs):  # pragma: no cover
    """``_start`` of the records as plain tuples (``jit.plain``)."""
    _start(departed, entry_age, next_person, Career(*career), peers, beliefs)


@kernel
def _age(clocks, reassessment, r):  # pragma: no cover - compiled
    """Every clock a year on, reassessment, expired strikes; returns who reached retirement.

    ``clocks`` are the ``Clocks`` (in place), ``r`` the ``Rules``.
    """
    age, years_in_rank, years_since_sanction = (clocks.age, clocks.years_in_rank,
                                                clocks.years_since_sanction)
    sanction_years, strikes = clocks.sanction_years, clocks.strikes
    n = age.size
    retiring = np.empty(n, dtype=np.bool_)
    for i in range(n):
        age[i] += 1
        years_in_rank[i] += 1
        years_since_sanction[i] = min(years_since_sanction[i] + 1, MAX_YEARS_SINCE_SANCTION)
        sanction_years[i] = max(sanction_years[i] - 1, 0)
        if reassessment[i] < r.reuse_disciplined and sanction_years[i] > 0:
            sanction_years[i] = 0
        if years_since_sanction[i] > r.strike_expiry:
            strikes[i] = 0
        retiring[i] = age[i] >= r.retirement_age
    return retiring


@kernel
def _start(departed, entry_age, next_person, career, peers, beliefs):  # pragma: no cover
    """Entrants: new ids, entry ages, rank 0, a clean slate, the staff's record, peers' beliefs.

    ``career`` is the ``Career`` arrays (set in place), ``beliefs`` the arrays named BELIEFS.
    """
    person, age, rank, years_in_rank = (career.person, career.age, career.rank,
                                        career.years_in_rank)
    record, sanction_years, strikes = career.record, career.sanction_years, career.strikes
    years_since_sanction, probation_years = career.years_since_sanction, career.probation_years
    fast_track, action = career.fast_track, career.action
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
