"""The cadre population: the year-0 service, and entrants who take the slots of those who leave.

The state itself, one array per attribute, is ``simulation.cadres.CadreArrays``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray
from scipy import special

from simulation import streams as s
from simulation.cadres import (
    BELIEFS,
    NEVER_SANCTIONED,
    PERCEIVED_BELIEFS,
    PERCEIVED_EVIDENCE,
    CadreArrays,
)
from simulation.config import ModelConfig, Population
from simulation.formulas import rank_capacities, unit_count
from simulation.network import build_peers
from simulation.perceived import written
from simulation.streams import Streams

#: A few slots' words of a purpose (``Streams.slot_words`` or its compiled twin), given the
#: streams, the year, the purpose, the slots and the number of slots.
SlotWords = Callable[[Streams, int, int, NDArray[np.intp], int], NDArray[np.uint64]]
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


def gamma_shape_scale(mean: float, sd: float) -> tuple[float, float] | None:
    """(shape, scale) of the gamma with this mean and s.d.; None for the constant ``mean``.

    Safe for any non-negative mean and sd: None when sd or mean is 0 or sd / mean <
    GAMMA_MIN_CV; the shape floored at 1 / GAMMA_MAX_CV**2 when sd / mean is larger than
    GAMMA_MAX_CV. No step can overflow, and the scale is never 0 for a positive mean.
    """
    if sd <= 0.0 or mean <= 0.0 or sd < mean * GAMMA_MIN_CV:
        return None
    shape = (mean / sd) ** 2
    if shape < GAMMA_MAX_CV**-2:
        return GAMMA_MAX_CV**-2, mean / GAMMA_MAX_CV**-2
    scale = sd**2 / mean
    if not scale > 0.0:  # sd**2 underflows (sd below 1e-154): the same value, computed safely
        scale = (sd / mean) * sd
    return shape, scale


def gamma_trials(shape: NDArray[np.float64], words: NDArray[np.uint64]
                 ) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """One Marsaglia-Tsang (2000) trial per entry: standard gamma variates and their acceptance.

    ``words`` (..., 3) are each entry's normal, uniform and boost words; ``shape`` broadcasts
    against ``words[..., 0]``. A shape below 1 is drawn at shape + 1 and multiplied by
    boost**(1 / shape). Acceptance reads only the normal and the uniform, so a caller that
    replaces rejected entries by the quantile of the boost word keeps the gamma law exactly.
    Every entry takes one trial whatever its neighbours do (a slot's draw is its own).
    """
    small = shape < 1.0
    d = np.where(small, shape + 1.0, shape) - 1.0 / 3.0
    c = 1.0 / np.sqrt(9.0 * d)
    z = s.normal(words[..., 0])
    v = 1.0 + c * z
    v = v * v * v
    positive = v > 0.0
    v = np.where(positive, v, 1.0)
    bound = 0.5 * z * z + d - d * v + d * np.log(v)
    accepted = positive & (np.log(s.open_uniform(words[..., 1])) < bound)
    x = d * v
    if np.any(small):  # u**0 is 1: shapes of at least 1 are left as they are
        x *= s.open_uniform(words[..., 2]) ** np.where(small, 1.0 / shape, 0.0)
    return x, accepted


def beta_draw(words: NDArray[np.uint64], mean: float, concentration: float) -> NDArray:
    """Beta draws in [0, 1] with a given mean and concentration a + b: X / (X + Y).

    ``words`` (m, 6): X's normal and uniform, Y's normal and uniform, X's boost, Y's boost.
    X and Y are gamma(a) and gamma(b) by one trial each (``gamma_trials``); where either is
    rejected (a few in a hundred), the draw is the Beta quantile of X's boost word. Over the
    allowed ranges (mean 0.01-0.99, concentration 1-1000) both shapes are at least 0.01
    (tests/test_trait_draws.py checks the corners).
    """
    a, b = mean * concentration, (1.0 - mean) * concentration
    trial = words[:, [0, 1, 4, 2, 3, 5]].reshape(-1, 2, 3)
    x, accepted = gamma_trials(np.array([a, b]), trial)
    return beta_of(x, accepted, a, b, words[:, 4])


def beta_of(x: NDArray[np.float64], accepted: NDArray[np.bool_], a: float | NDArray[np.float64],
            b: float | NDArray[np.float64], fallback: NDArray[np.uint64]) -> NDArray[np.float64]:
    """X / (X + Y) from gamma pairs ``x`` (m, 2); the Beta quantile of ``fallback`` elsewhere."""
    with np.errstate(invalid="ignore", divide="ignore"):
        value = x[:, 0] / (x[:, 0] + x[:, 1])
    redo = ~(accepted[:, 0] & accepted[:, 1] & np.isfinite(value))
    if redo.any():
        value[redo] = special.betaincinv(_picked(a, redo), _picked(b, redo),
                                         s.uniform(fallback[redo]))
    return value


def _picked(parameter: float | NDArray[np.float64], rows: NDArray[np.bool_]
            ) -> float | NDArray[np.float64]:
    """A distribution parameter at ``rows``: the scalar itself, or those rows of an array."""
    return parameter[rows] if np.ndim(parameter) else parameter


def gamma_draw(words: NDArray[np.uint64], mean: float, sd: float) -> NDArray:
    """Non-negative, finite draws with a given mean and s.d. (gamma, shape (mean/sd)**2).

    ``words`` (m, 3): normal, uniform, boost (``gamma_trials``); a rejected trial is replaced
    by the gamma quantile of the boost word. The constant mean where ``gamma_shape_scale``
    says so.
    """
    law = gamma_shape_scale(mean, sd)
    if law is None:
        return np.full(words.shape[0], float(mean))
    shape, scale = law
    x, accepted = gamma_trials(np.float64(shape), words)
    return gamma_of(x, accepted, shape, words[:, 2]) * scale


def gamma_of(x: NDArray[np.float64], accepted: NDArray[np.bool_],
             shape: float | NDArray[np.float64], fallback: NDArray[np.uint64]
             ) -> NDArray[np.float64]:
    """Standard gamma variates ``x``, with the quantile of ``fallback`` where not accepted."""
    redo = ~accepted
    if redo.any():
        x = x.copy()
        x[redo] = special.gammaincinv(_picked(shape, redo), s.uniform(fallback[redo]))
    return x


def draw_traits(pop: Population | Sequence[Population], words: NDArray[np.uint64],
                counts: Sequence[int] | None = None) -> dict[str, NDArray]:
    """Innate traits of new people from their ``streams.TRAITS`` words (m, 20).

    The four gammas of ability and motivation and the one of risk aversion take their trials
    in one pass (``gamma_trials``). With populations and ``counts`` (a batch of runs), the
    first ``counts[0]`` rows are drawn from the first population, and so on: each row's
    traits are those its own population gives it alone (every step is elementwise).
    """
    if counts is None:
        ability_mean, motivation_mean = pop.ability_mean, pop.motivation_mean
        conc, prone = pop.trait_concentration, pop.violation_prone_share
        risk_mean = pop.risk_aversion_mean
        risk = gamma_shape_scale(pop.risk_aversion_mean, pop.risk_aversion_sd)
        constant = risk is None
        risk_shape, risk_scale = (1.0, 1.0) if risk is None else risk
    else:
        def rows(values: list[float]) -> NDArray[np.float64]:
            return np.repeat(np.array(values, dtype=np.float64), counts)

        ability_mean = rows([p.ability_mean for p in pop])
        motivation_mean = rows([p.motivation_mean for p in pop])
        conc, prone = rows([p.trait_concentration for p in pop]), rows(
            [p.violation_prone_share for p in pop])
        risk_mean = rows([p.risk_aversion_mean for p in pop])
        laws = [gamma_shape_scale(p.risk_aversion_mean, p.risk_aversion_sd) for p in pop]
        constant = np.repeat(np.array([law is None for law in laws]), counts)
        risk_shape = rows([1.0 if law is None else law[0] for law in laws])
        risk_scale = rows([1.0 if law is None else law[1] for law in laws])
    shapes = [ability_mean * conc, (1.0 - ability_mean) * conc,
              motivation_mean * conc, (1.0 - motivation_mean) * conc, risk_shape]
    # Each gamma's (normal, uniform, boost) words, in the layout of streams.TRAITS.
    trial = words[:, [0, 1, 8, 2, 3, 9, 4, 5, 10, 6, 7, 11, 12, 13, 14]].reshape(-1, 5, 3)
    x, accepted = gamma_trials(np.array(shapes) if counts is None
                               else np.stack(shapes, axis=1), trial)
    ability = beta_of(x[:, 0:2], accepted[:, 0:2], shapes[0], shapes[1], words[:, 8])
    motivation = beta_of(x[:, 2:4], accepted[:, 2:4], shapes[2], shapes[3], words[:, 10])
    if counts is None:
        risk_aversion = (np.full(words.shape[0], float(risk_mean)) if constant else
                         gamma_of(x[:, 4], accepted[:, 4], risk_shape, words[:, 14]) * risk_scale)
    else:
        risk_aversion = np.where(
            constant, risk_mean,
            gamma_of(x[:, 4], accepted[:, 4], risk_shape, words[:, 14]) * risk_scale)
    return {
        "ability": ability,
        "motivation": motivation,
        "innate_motivation": motivation.copy(),
        "risk_aversion": risk_aversion,
        "violation_prone": s.uniform(words[:, 15]) < prone,
    }


#: Slots whose traits are drawn together in the year-0 build: bounds the temporaries (20 words
#: and a dozen float arrays a slot) at tens of MB however many cadres. Keyed by slot, the traits
#: do not depend on it.
TRAIT_BLOCK = 1 << 16


def initial_traits(pop: Population, streams: Streams, n: int) -> dict[str, NDArray]:
    """Year 0's traits of ``n`` slots, block by block of ``TRAIT_BLOCK`` slots."""
    blocks = [draw_traits(pop, streams.words(0, s.TRAITS, min(TRAIT_BLOCK, n - start),
                                             start=start))
              for start in range(0, n, TRAIT_BLOCK)]
    return {name: np.concatenate([b[name] for b in blocks]) for name in blocks[0]}


def initial_population(config: ModelConfig, streams: Streams) -> CadreArrays:
    """Build the year-0 population: traits, ages, a filled pyramid, units, peers, priors.

    Every draw is year 0's, keyed by slot (or unit): ``streams.TRAITS``, ``PLACES``,
    ``UNITS`` and the network's ``COLLEAGUES`` and ``TIES``.
    """
    org, pop, learn = config.organisation, config.population, config.learning
    n = org.n_cadres
    traits = initial_traits(pop, streams, n)
    places = streams.columns(0, s.PLACES, n)
    age = s.integers(places[0], pop.entry_age_min, pop.retirement_age)

    # Fill senior positions, favouring older cadres (a noisy seniority order).
    caps = rank_capacities(n, org.n_ranks, org.pyramid_ratio)
    rank = np.zeros(n, dtype=np.int8)
    order = np.argsort(-(age + 8.0 * s.normal(places[1])))
    start = 0
    for r in range(org.n_ranks - 1, 0, -1):
        filled = round(caps[r] * org.initial_fill)
        rank[order[start : start + filled]] = r
        start += filled
    service = age - pop.entry_age_min
    years_in_rank = np.minimum(service, s.integers(places[2], 0, 8))

    n_units = unit_count(n, org.unit_size)
    unit = (np.arange(n) // org.unit_size).astype(np.int32)
    units = streams.words(0, s.UNITS, n_units)
    front_units = s.uniform(units[:, 0]) < org.front_line_share
    unit_visibility = gamma_draw(units[:, 1:], 1.0, org.post_visibility_sd)
    peers = build_peers(n, org.unit_size, org.peers_in_unit, org.peers_cross_unit, streams)

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
        record=np.clip(0.4 + 0.15 * s.normal(places[3]), 0.0, None),
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
    streams: Streams,
    year: int,
    next_person: int,
    start: CareerStart | None = None,
    slot_words: SlotWords | None = None,
) -> int:
    """Put entrants into the slots in ``departed``; returns the next unused person id.

    An entrant's traits and entry age are the year's ``streams.TRAITS`` draws of its slot,
    drawn only for the slots that empty: who leaves (which a lever may change) changes no
    other entrant's draws. ``start`` starts their careers and ``slot_words`` draws the words
    (defaults ``start_careers`` and ``Streams.slot_words``, the NumPy reference; the phase
    table passes the compiled twins).
    """
    k = departed.size
    if k == 0:
        return next_person
    pop = config.population
    n = cadres.n
    words = (slot_words or Streams.slot_words)(streams, year, s.TRAITS, departed, n)
    traits = draw_traits(pop, words)
    entry_age = np.zeros(n, dtype=np.int64)
    entry_age[departed] = s.integers(words[:, 16], pop.entry_age_min, pop.entry_age_max + 1)
    for name, values in traits.items():
        getattr(cadres, name)[departed] = values
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
