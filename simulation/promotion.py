"""Phase 4, promotion: each rank's vacancies go to the best-scored eligible candidates below.

Vectorised per rank (a handful of ranks), never per cadre. Ranks are filled from the top down,
so a promotion opens a vacancy that the rank below can fill in the same year.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from simulation import formulas as f
from simulation import streams as s
from simulation.cadres import CadreArrays
from simulation.config import ModelConfig, Promotion, Regime
from simulation.positions import occupancy
from simulation.records import Pool, Tournament
from simulation.streams import Streams

#: The scored candidates (``form_pool`` or its compiled twin), with ``form_pool``'s arguments.
FormPool = Callable[..., Pool]
#: The places filled (``fill`` or its compiled twin, which may return None), ``fill``'s arguments.
Fill = Callable[..., tuple[NDArray[np.bool_], ...] | None]
#: This year's promotion cases per unit (``publish`` or its compiled twin), ``publish``'s arguments.
Publish = Callable[..., NDArray[np.float64]]
#: Draws the fast-track band (``fast_track_band`` or its compiled twin, which may return None).
FastTrack = Callable[..., NDArray[np.bool_] | None]
#: The rows of a unit's promotion cases (``publish``, ``formulas.promotion_gap``): candidates
#: with a record in the top and in the bottom half of their rank's, and the promoted of each.
SEEN_ROWS: tuple[str, ...] = ("top", "bottom", "won_top", "won_bottom")


def top_k(values: NDArray, k: int) -> NDArray[np.bool_]:
    """Mask of the k largest values (all if k >= m; ties broken arbitrarily), in O(m)."""
    m = values.size
    mask = np.zeros(m, dtype=np.bool_)
    if k >= m:
        mask[:] = True
    elif k > 0:
        mask[np.argpartition(values, m - k)[m - k :]] = True
    return mask


def top_share(values: NDArray, share: float) -> NDArray[np.bool_]:
    """Mask of the ceil(share * m) largest of m values."""
    return top_k(values, int(np.ceil(share * values.size)))


def fast_track_band(cadres: CadreArrays, n_ranks: int, share: float) -> NDArray[np.bool_]:
    """Cadres whose record is in the top ``share`` of their rank (exempt from tenure and age).

    The band is floor(share * rank size) cadres, so a tiny rank may have none.
    """
    band = np.zeros(cadres.n, dtype=np.bool_)
    if share <= 0:
        return band
    for r in range(n_ranks - 1):
        members = np.flatnonzero(cadres.rank == r)
        k = int(np.floor(share * members.size))
        band[members[top_k(cadres.record[members], k)]] = True
    return band


def hold_tournament(
    cadres: CadreArrays,
    config: ModelConfig,
    regime: Regime,
    capacities: NDArray[np.int64],
    streams: Streams,
    year: int,
    leaving: NDArray[np.bool_] | None = None,
    pooled: FormPool | None = None,
    published: Publish | None = None,
    filled: Fill | None = None,
    banded: FastTrack | None = None,
    seen: NDArray[np.float64] | None = None,
) -> Tournament:
    """Fill vacancies top-down and update ranks, tenure and probation in place.

    ``leaving`` marks cadres removed this year: they are not candidates. ``pooled``,
    ``filled`` and ``published`` form the pool, fill the places and make the statistics
    (default ``form_pool``, ``fill`` and ``publish``, the NumPy reference; the phase table
    passes their compiled twins; a twin's fill that returns None leaves the year to ``fill``).
    ``banded`` draws the fast-track band (default ``fast_track_band``; a twin's None leaves it
    to ``fast_track_band``). ``seen`` is the run's record of promotions seen in each unit
    (``no_promotions_seen``), updated in place with this year's at ``learning.promotion_memory``;
    without one the statistic is this year's alone.
    """
    promo = regime.promotion
    n, n_ranks = cadres.n, config.organisation.n_ranks
    band = banded(cadres, n_ranks, promo.fast_track_share) if banded is not None else None
    if band is None:  # the NumPy reference, or ties the compiled twin leaves to it
        band = fast_track_band(cadres, n_ranks, promo.fast_track_share)
    cadres.fast_track[:] = band
    # Each slot's own draws (``streams.CAREER``), whoever competes.
    words = streams.words(year, s.CAREER, n)
    self_draw = s.uniform(words[:, 0])
    noise = promo.score_noise * s.normal(words[:, 1])
    pool = (pooled or form_pool)(cadres, n_ranks, promo, self_draw, noise, leaving)
    quota = promo.front_line_quota
    places = (filled(pool, capacities, occupancy(cadres.rank, n_ranks), n, quota)
              if filled is not None else None)
    if places is None:  # the NumPy reference, or ties the compiled twin leaves to it
        places = fill(pool, capacities, occupancy(cadres.rank, n_ranks), n, quota)
    promoted, passed_over, won, high = places
    n_units = f.unit_count(n, config.organisation.unit_size)
    counts = (published or publish)(pool, high, won, cadres.unit, n_units)
    responsiveness, responsiveness_size = statistic(
        counts, seen, config.learning.promotion_memory, config.learning.published_promotions)

    competed_rank, seniority = cadres.rank.copy(), cadres.years_in_rank.copy()
    cadres.rank[promoted] += 1
    cadres.years_in_rank[promoted] = 0
    cadres.probation_years[promoted] = promo.probation_years
    return Tournament(
        promoted=promoted,
        pool=pool.mask,
        competed_rank=competed_rank,
        seniority=seniority,
        passed_over=passed_over,
        responsiveness=responsiveness,
        responsiveness_size=responsiveness_size,
        self_recommended=pool.self_recommended,
    )


def fill(
    pool: Pool, capacities: NDArray[np.int64], occupied: NDArray[np.int64], n: int,
    quota: float,
) -> tuple[NDArray[np.bool_], ...]:
    """Each rank's places, top rank first: (promoted, passed_over, won, high).

    ``promoted`` and ``passed_over`` are per cadre, ``won`` and ``high`` per pool member;
    ``occupied`` (cadres per rank) is updated as places fill. ``high`` marks the members in
    the top half of their rank's records; a member in the top third who did not win is passed
    over.
    """
    promoted = np.zeros(n, dtype=np.bool_)
    passed_over = np.zeros(n, dtype=np.bool_)
    won = np.zeros(pool.members.size, dtype=np.bool_)
    high = np.zeros(pool.members.size, dtype=np.bool_)
    for r in range(pool.starts.size - 3, -1, -1):
        rank_r = slice(pool.starts[r], pool.starts[r + 1])
        cands = pool.members[rank_r]
        if cands.size == 0:
            continue
        free = int(capacities[r + 1] - occupied[r + 1])
        record = pool.record[rank_r]
        won[rank_r] = _winners(pool.score[rank_r], pool.front_line[rank_r], free, quota)
        winners = cands[won[rank_r]]
        promoted[winners] = True
        occupied[r + 1] += winners.size
        occupied[r] -= winners.size
        high[rank_r] = top_share(record, 0.5)
        passed_over[cands[top_share(record, 1 / 3) & ~won[rank_r]]] = True
    return promoted, passed_over, won, high


def form_pool(
    cadres: CadreArrays,
    n_ranks: int,
    promo: Promotion,
    self_draw: NDArray[np.float64],
    noise: NDArray[np.float64],
    leaving: NDArray[np.bool_] | None,
) -> Pool:
    """The candidates grouped by rank once (not a pass over everyone per rank), and scored."""
    mask, self_recommended = _candidates(cadres, n_ranks, promo, self_draw, leaving)
    in_pool = np.flatnonzero(mask)
    members = in_pool[np.argsort(cadres.rank[in_pool], kind="stable")]
    rank = cadres.rank[members].astype(np.intp)
    record = cadres.record[members]
    score = f.promotion_score(
        record,
        cadres.years_in_rank[members],
        promo.performance_weight,
        noise[members],
        groups=rank,
    )
    return Pool(
        mask=mask,
        self_recommended=self_recommended,
        members=members,
        starts=np.searchsorted(rank, np.arange(n_ranks + 1)),
        record=record,
        score=score,
        front_line=cadres.front_line[members],
    )


def publish(
    pool: Pool, high: NDArray[np.bool_], won: NDArray[np.bool_], unit: NDArray[np.integer],
    n_units: int,
) -> NDArray[np.float64]:
    """This year's promotion cases seen in each unit: (4, units) counts, rows ``SEEN_ROWS``.

    Over each unit's candidates of every rank: how many have a record in the top half of their
    rank's candidates (``high``), how many in the bottom half, and how many of each were
    promoted (``won``); ``unit`` is each cadre's unit. A unit's size does not grow with the
    population, so neither does what its members learn from it (docs/ODD.md 7.5.2).
    """
    member_unit = unit[pool.members]
    counts = np.empty((len(SEEN_ROWS), n_units))
    counts[0] = np.bincount(member_unit[high], minlength=n_units)
    counts[1] = np.bincount(member_unit[~high], minlength=n_units)
    counts[2] = np.bincount(member_unit[high & won], minlength=n_units)
    counts[3] = np.bincount(member_unit[~high & won], minlength=n_units)
    return counts


def no_promotions_seen(n_cadres: int, unit_size: int) -> NDArray[np.float64]:
    """A run's record of promotions seen in each unit before its first year: none."""
    return np.zeros((len(SEEN_ROWS), f.unit_count(n_cadres, unit_size)))


def remember(seen: NDArray[np.float64], counts: NDArray[np.float64], memory: float
             ) -> NDArray[np.float64]:
    """``seen`` (a unit's record of promotions) keeps ``memory`` of itself and adds ``counts``.

    In place, and returned: the discounted counts a unit's promotion statistic is read from
    (docs/ODD.md 7.5.2). At memory 0 the record is this year's counts alone.
    """
    seen *= memory
    seen += counts
    return seen


def statistic(counts: NDArray[np.float64], seen: NDArray[np.float64] | None, memory: float,
              published: float = 0.0) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Each unit's promotion statistic and the cases behind it (``formulas.promotion_gap``).

    Read off the run's record ``seen`` once this year's ``counts`` are folded into it
    (:func:`remember`), or off this year's counts alone for a run without a record; with
    ``published`` above 0 each unit's record adds the average unit's that many times (the
    organisation's promotions, announced: ``learning.published_promotions``).
    """
    record = counts if seen is None else remember(seen, counts, memory)
    if published > 0:
        record = record + published * record.mean(axis=1, keepdims=True)
    return f.promotion_gap(record)


def _candidates(
    cadres: CadreArrays,
    n_ranks: int,
    promo: Promotion,
    self_draw: NDArray[np.float64],
    leaving: NDArray[np.bool_] | None,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """(pool, self_recommended): the eligible cadres, and those who recommend themselves."""
    n = cadres.n
    unsanctioned = (cadres.sanction_years == 0) & (cadres.probation_years == 0)
    unsanctioned &= cadres.rank < n_ranks - 1
    if leaving is not None:
        unsanctioned &= ~leaving
    tenure_ok = (cadres.years_in_rank >= promo.min_tenure) | cadres.fast_track
    age_ok = (
        (cadres.age < promo.age_ceiling) | cadres.fast_track
        if promo.age_ceiling > 0
        else np.ones(n, dtype=np.bool_)
    )
    eligible = unsanctioned & tenure_ok & age_ok
    self_recommended = np.zeros(n, dtype=np.bool_)
    if promo.self_recommendation > 0:
        able = cadres.ability >= promo.self_recommendation_ability
        self_recommended = (
            unsanctioned & ~eligible & able & (self_draw < promo.self_recommendation)
        )
    pool = eligible | self_recommended
    return pool, self_recommended


def _winners(
    score: NDArray[np.float64], front_line: NDArray[np.bool_], free: int, quota: float
) -> NDArray[np.bool_]:
    """Mask of one rank's candidates promoted into ``free`` places, best scores first.

    A front-line quota reserves the first places for the best front-line candidates.
    """
    won = np.zeros(score.size, dtype=np.bool_)
    if free > 0:
        reserved = int(np.ceil(quota * min(free, score.size)))
        if reserved > 0:
            front = np.flatnonzero(front_line)
            won[front[top_k(score[front], reserved)]] = True
        rest = np.flatnonzero(~won)
        won[rest[top_k(score[rest], free - np.count_nonzero(won))]] = True
    return won
