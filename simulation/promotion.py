"""Phase 4, promotion: each rank's vacancies go to the best-scored eligible candidates below.

Vectorised per rank (a handful of ranks), never per cadre. Ranks are filled from the top down,
so a promotion opens a vacancy that the rank below can fill in the same year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from simulation import formulas as f
from simulation.config import ModelConfig, Regime
from simulation.population import CadreArrays
from simulation.positions import occupancy


@dataclass(frozen=True)
class Tournament:
    """This year's promotions and what cadres could observe about them."""

    promoted: NDArray[np.bool_]
    candidate: NDArray[np.bool_]
    passed_over: NDArray[np.bool_]  # top-third record among candidates, not promoted
    # Published per (rank, front line): P(promoted | top-half record) - P(.. | bottom half).
    responsiveness: NDArray[np.float64]
    self_recommended: NDArray[np.bool_]


def fast_track_band(cadres: CadreArrays, n_ranks: int, share: float) -> NDArray[np.bool_]:
    """Cadres whose record is in the top ``share`` of their rank (exempt from tenure and age)."""
    band = np.zeros(cadres.n, dtype=np.bool_)
    if share <= 0:
        return band
    for r in range(n_ranks - 1):
        members = np.flatnonzero(cadres.rank == r)
        k = int(np.floor(share * members.size))
        if k == 0:
            continue
        top = np.argpartition(-cadres.record[members], k - 1)[:k]
        band[members[top]] = True
    return band


def _select(score: NDArray, k: int) -> NDArray[np.intp]:
    """Positions of the k highest scores (all if fewer)."""
    if k >= score.size:
        return np.arange(score.size)
    if k <= 0:
        return np.arange(0)
    return np.argpartition(-score, k - 1)[:k]


def hold_tournament(
    cadres: CadreArrays,
    config: ModelConfig,
    regime: Regime,
    capacities: NDArray[np.int64],
    rng: np.random.Generator,
    leaving: NDArray[np.bool_] | None = None,
) -> Tournament:
    """Fill vacancies top-down and update ranks, tenure and probation in place.

    ``leaving`` marks cadres removed this year: they are not candidates.
    """
    promo = regime.promotion
    n, n_ranks = cadres.n, config.organisation.n_ranks
    cadres.fast_track[:] = fast_track_band(cadres, n_ranks, promo.fast_track_share)

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
            unsanctioned & ~eligible & able & (rng.random(n) < promo.self_recommendation)
        )
    pool = eligible | self_recommended

    promoted = np.zeros(n, dtype=np.bool_)
    candidate = np.zeros(n, dtype=np.bool_)
    passed_over = np.zeros(n, dtype=np.bool_)
    responsiveness = np.full((n_ranks, 2), np.nan)
    occupied = occupancy(cadres.rank, n_ranks)
    for r in range(n_ranks - 2, -1, -1):
        cands = np.flatnonzero(pool & (cadres.rank == r))
        if cands.size == 0:
            continue
        candidate[cands] = True
        free = int(capacities[r + 1] - occupied[r + 1])
        record = cadres.record[cands]
        score = f.promotion_score(
            record,
            cadres.years_in_rank[cands],
            promo.performance_weight,
            rng.normal(0.0, promo.score_noise, cands.size),
        )
        chosen = np.arange(0)
        if free > 0:
            reserved = int(np.ceil(promo.front_line_quota * min(free, cands.size)))
            front = np.flatnonzero(cadres.front_line[cands])
            first = front[_select(score[front], reserved)] if reserved else np.arange(0)
            rest = np.setdiff1d(np.arange(cands.size), first, assume_unique=True)
            chosen = np.concatenate([first, rest[_select(score[rest], free - first.size)]])
        winners = cands[chosen]
        promoted[winners] = True
        occupied[r + 1] += winners.size
        occupied[r] -= winners.size

        won = np.zeros(cands.size, dtype=np.bool_)
        won[chosen] = True
        high = record >= np.median(record)
        front_line = cadres.front_line[cands]
        for group in (0, 1):
            mine = front_line == bool(group)
            top, bottom = high & mine, ~high & mine
            if top.any() and bottom.any():
                responsiveness[r, group] = won[top].mean() - won[bottom].mean()
        top_third = record >= np.quantile(record, 2 / 3)
        passed_over[cands[top_third & ~won]] = True

    cadres.rank[promoted] += 1
    cadres.years_in_rank[promoted] = 0
    cadres.probation_years[promoted] = promo.probation_years
    return Tournament(
        promoted=promoted,
        candidate=candidate,
        passed_over=passed_over,
        responsiveness=responsiveness,
        self_recommended=self_recommended,
    )
