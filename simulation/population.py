"""The cadre population: the year-0 service, and entrants who take the slots of those who leave.

The state itself, one array per attribute, is ``simulation.cadres.CadreArrays``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from simulation.cadres import (
    BELIEFS,
    NEVER_SANCTIONED,
    PERCEIVED_BELIEFS,
    PERCEIVED_EVIDENCE,
    CadreArrays,
)
from simulation.config import ModelConfig, Population
from simulation.formulas import rank_capacities
from simulation.network import build_peers
from simulation.perceived import written

#: How entrants' careers start (``start_careers`` or its compiled twin), given the slots they
#: take, an entry age for every slot and the first new person id.
CareerStart = Callable[[CadreArrays, NDArray[np.intp], NDArray[np.integer], int], None]

#: Below this coefficient of variation (sd / mean) a gamma trait is the constant mean: the
#: shape (mean / sd)**2 would exceed 1e12, and at sd = 1e-160 it overflows.
GAMMA_MIN_CV = 1e-6
#: Above this coefficient of variation the gamma's shape is held at 1 / GAMMA_MAX_CV**2 = 1e-8
#: (the mean is kept, the s.d. is mean * GAMMA_MAX_CV): a smaller shape draws nearly all zeros
#: and rare values too large for finite utilities. Reached only when sd > 1e4 * mean.
GAMMA_MAX_CV = 1e4


def beta_draw(rng: np.random.Generator, mean: float, concentration: float, size: int) -> NDArray:
    """Beta draws in [0, 1] with a given mean and concentration a + b.

    Over the allowed ranges (mean 0.01-0.99, concentration 1-1000) both shapes are at least
    0.01, where NumPy's sampler is finite (tests/test_trait_draws.py checks the corners).
    """
    return rng.beta(mean * concentration, (1.0 - mean) * concentration, size)


def gamma_draw(rng: np.random.Generator, mean: float, sd: float, size: int) -> NDArray:
    """Non-negative, finite draws with a given mean and s.d. (gamma, shape (mean/sd)**2).

    Safe for any non-negative mean and sd: the constant ``mean`` when sd or mean is 0 or
    sd / mean < GAMMA_MIN_CV; the shape floored at 1 / GAMMA_MAX_CV**2 when sd / mean is larger
    than GAMMA_MAX_CV. No step can overflow, and the scale is never 0 for a positive mean.
    """
    if sd <= 0.0 or mean <= 0.0 or sd < mean * GAMMA_MIN_CV:
        return np.full(size, float(mean))
    shape = (mean / sd) ** 2
    if shape < GAMMA_MAX_CV**-2:
        shape = GAMMA_MAX_CV**-2
        scale = mean / shape
    else:
        scale = sd**2 / mean
        if not scale > 0.0:  # sd**2 underflows (sd below 1e-154): the same value, computed safely
            scale = (sd / mean) * sd
    return rng.gamma(shape, scale, size)


def draw_traits(pop: Population, rng: np.random.Generator, size: int) -> dict[str, NDArray]:
    """Innate traits of ``size`` new people (initial cadres or entrants)."""
    motivation = beta_draw(rng, pop.motivation_mean, pop.trait_concentration, size)
    return {
        "ability": beta_draw(rng, pop.ability_mean, pop.trait_concentration, size),
        "motivation": motivation,
        "innate_motivation": motivation.copy(),
        "risk_aversion": gamma_draw(rng, pop.risk_aversion_mean, pop.risk_aversion_sd, size),
        "violation_prone": rng.random(size) < pop.violation_prone_share,
    }


def initial_population(config: ModelConfig, rng: np.random.Generator) -> CadreArrays:
    """Build the year-0 population: traits, ages, a filled pyramid, units, peers, priors."""
    org, pop, learn = config.organisation, config.population, config.learning
    n = org.n_cadres
    traits = draw_traits(pop, rng, n)
    age = rng.integers(pop.entry_age_min, pop.retirement_age, n)

    # Fill senior positions, favouring older cadres (a noisy seniority order).
    caps = rank_capacities(n, org.n_ranks, org.pyramid_ratio)
    rank = np.zeros(n, dtype=np.int8)
    order = np.argsort(-(age + rng.normal(0.0, 8.0, n)))
    start = 0
    for r in range(org.n_ranks - 1, 0, -1):
        filled = round(caps[r] * org.initial_fill)
        rank[order[start : start + filled]] = r
        start += filled
    service = age - pop.entry_age_min
    years_in_rank = np.minimum(service, rng.integers(0, 8, n))

    n_units = -(-n // org.unit_size)
    unit = (np.arange(n) // org.unit_size).astype(np.int32)
    front_units = rng.random(n_units) < org.front_line_share
    unit_visibility = gamma_draw(rng, 1.0, org.post_visibility_sd, n_units)
    peers = build_peers(n, org.unit_size, org.peers_in_unit, org.peers_cross_unit, rng)

    return CadreArrays(
        person=np.arange(n, dtype=np.int64),
        unit=unit,
        front_line=front_units[unit],
        visibility=unit_visibility[unit],
        peers=peers,
        ability=traits["ability"],
        motivation=traits["motivation"],
        innate_motivation=traits["innate_motivation"],
        risk_aversion=traits["risk_aversion"],
        violation_prone=traits["violation_prone"],
        rank=rank,
        years_in_rank=years_in_rank.astype(np.int16),
        age=age.astype(np.int16),
        record=np.clip(rng.normal(0.4, 0.15, n), 0.0, None),
        sanction_years=np.zeros(n, dtype=np.int16),
        strikes=np.zeros(n, dtype=np.int8),
        years_since_sanction=np.full(n, NEVER_SANCTIONED, dtype=np.int16),
        probation_years=np.zeros(n, dtype=np.int8),
        fast_track=np.zeros(n, dtype=np.bool_),
        # Every perceived rule starts at the starting regime's written rule, with no cases yet.
        **{name: np.full(n, rule) for name, rule in
           zip(PERCEIVED_BELIEFS, written(config.regime), strict=True)},
        **{name: np.zeros(n) for name in PERCEIVED_EVIDENCE},
        belief_promote=np.full(n, learn.prior_promote),
        action=np.full(n, -1, dtype=np.int8),
    )


def replace_departed(
    cadres: CadreArrays,
    departed: NDArray[np.intp],
    config: ModelConfig,
    rng: np.random.Generator,
    next_person: int,
    start: CareerStart | None = None,
) -> int:
    """Put entrants into the slots in ``departed``; returns the next unused person id.

    ``start`` starts their careers (default ``start_careers``, the NumPy reference; the phase
    table passes the compiled twin).
    """
    k = departed.size
    if k == 0:
        return next_person
    pop = config.population
    # A would-be entrant is drawn for every slot and used where the slot is empty, so who
    # leaves (which a lever may change) shifts no other entrant's draws.
    traits = draw_traits(pop, rng, cadres.n)
    entry_age = rng.integers(pop.entry_age_min, pop.entry_age_max + 1, cadres.n)
    for name, values in traits.items():
        getattr(cadres, name)[departed] = values[departed]
    (start or start_careers)(cadres, departed, entry_age, next_person)
    return next_person + k


def start_careers(
    cadres: CadreArrays,
    departed: NDArray[np.intp],
    entry_age: NDArray[np.integer],
    next_person: int,
) -> None:
    """Entrants' careers in the ``departed`` slots (``entry_age`` holds an age for every slot).

    Entrants start at rank 0 with new ids, no sanctions, the mean record of the rank-0 cadres
    who stay, and the mean beliefs their new peers held this year (socialisation into the
    unit's view of the rules).
    """
    k = departed.size
    staying_staff = cadres.rank == 0
    staying_staff[departed] = False
    entry_record = cadres.record[staying_staff].mean() if staying_staff.any() else 0.0
    cadres.person[departed] = np.arange(next_person, next_person + k)
    cadres.age[departed] = entry_age[departed]
    cadres.rank[departed] = 0
    cadres.years_in_rank[departed] = 0
    cadres.record[departed] = entry_record
    cadres.sanction_years[departed] = 0
    cadres.strikes[departed] = 0
    cadres.years_since_sanction[departed] = NEVER_SANCTIONED
    cadres.probation_years[departed] = 0
    cadres.fast_track[departed] = False
    cadres.action[departed] = -1
    peers = cadres.peers[departed]
    for name in BELIEFS:
        belief = getattr(cadres, name)
        belief[departed] = belief[peers].mean(axis=1)
