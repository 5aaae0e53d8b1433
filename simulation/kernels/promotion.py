"""Phase 4, promotion, compiled: the candidate pool with its scores, and the published statistics.

The NumPy paths are simulation.promotion.form_pool, fill and publish. The draws stay in NumPy.
Scores are z-scores within each rank, summed in pool order as bincount sums. Filling the places
picks the k best of a rank; NumPy's argpartition breaks ties at the k-th value its own way, so
``fill`` settles a year only when no top-k choice has a tie (or a NaN) at its boundary, where
the k best are the same whatever the method, and returns None otherwise: the step then fills
that year's places with ``simulation.promotion.fill``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from simulation.cadres import CadreArrays
from simulation.config import Promotion
from simulation.kernels.jit import kernel, plain
from simulation.records import Pool


class Standing(NamedTuple):
    """What the pool reads of each cadre: its place, clocks, ability, record and draws."""

    rank: NDArray[np.int8]
    sanction_years: NDArray[np.int16]
    probation_years: NDArray[np.int8]
    years_in_rank: NDArray[np.int16]
    age: NDArray[np.int16]
    fast_track: NDArray[np.bool_]
    ability: NDArray[np.float64]
    record: NDArray[np.float64]
    front_line: NDArray[np.bool_]
    leaving: NDArray[np.bool_]  # removed this year (empty when no one is)
    self_draw: NDArray[np.float64]  # uniform per cadre: recommends itself below the chance
    noise: NDArray[np.float64]  # score noise per cadre


class Rules(NamedTuple):
    """The pool's scalars, from the regime in force."""

    n_ranks: int
    min_tenure: int
    age_ceiling: int
    self_recommendation: float
    self_recommendation_ability: float
    performance_weight: float


def form_pool(
    cadres: CadreArrays,
    n_ranks: int,
    promo: Promotion,
    self_draw: NDArray[np.float64],
    noise: NDArray[np.float64],
    leaving: NDArray[np.bool_] | None,
) -> Pool:
    """As simulation.promotion.form_pool."""
    standing = Standing(
        rank=cadres.rank, sanction_years=cadres.sanction_years,
        probation_years=cadres.probation_years, years_in_rank=cadres.years_in_rank,
        age=cadres.age, fast_track=cadres.fast_track, ability=cadres.ability,
        record=cadres.record, front_line=cadres.front_line,
        leaving=np.empty(0, dtype=np.bool_) if leaving is None else leaving,
        self_draw=self_draw, noise=noise,
    )
    rules = Rules(
        n_ranks=n_ranks, min_tenure=promo.min_tenure, age_ceiling=promo.age_ceiling,
        self_recommendation=promo.self_recommendation,
        self_recommendation_ability=promo.self_recommendation_ability,
        performance_weight=promo.performance_weight,
    )
    # The kernel returns them in Pool's field order.
    return Pool(*_form_pool_plain(plain(standing), plain(rules)))


@kernel
def _form_pool_plain(c, rules):  # pragma: no cover - compiled
    """``_form_pool`` of the records as plain tuples (``jit.plain``)."""
    return _form_pool(Standing(*c), Rules(*rules))


def publish(
    pool: Pool, high: NDArray[np.bool_], won: NDArray[np.bool_], unit: NDArray[np.integer],
    n_units: int,
) -> NDArray[np.float64]:
    """As simulation.promotion.publish."""
    return _publish(pool.members, unit, high, won, n_units)


@kernel
def _form_pool(c, rules):  # pragma: no cover - compiled
    """Pool's fields: who competes, grouped by rank in slot order, with their scores.

    ``c`` is the cadres' ``Standing``.
    """
    rank, sanction_years, probation_years = c.rank, c.sanction_years, c.probation_years
    years_in_rank, age, fast_track, ability = c.years_in_rank, c.age, c.fast_track, c.ability
    record, front_line, leaving = c.record, c.front_line, c.leaving
    self_draw, noise = c.self_draw, c.noise
    n_ranks, min_tenure, age_ceiling = rules.n_ranks, rules.min_tenure, rules.age_ceiling
    self_recommendation = rules.self_recommendation
    self_recommendation_ability = rules.self_recommendation_ability
    performance_weight = rules.performance_weight
    n = rank.size
    mask = np.empty(n, dtype=np.bool_)
    self_recommended = np.zeros(n, dtype=np.bool_)
    starts = np.zeros(n_ranks + 1, dtype=np.intp)
    candidates = np.empty(n + 1, dtype=np.intp)  # slot order; one spare for branch-free appends
    count = 0
    for i in range(n):
        # & and | rather than `and` and `or`: no branch on the state or a draw.
        unsanctioned = ((sanction_years[i] == 0) & (probation_years[i] == 0)
                        & (rank[i] < n_ranks - 1))
        if leaving.size > 0:
            unsanctioned &= not leaving[i]
        tenure_ok = (years_in_rank[i] >= min_tenure) | fast_track[i]
        age_ok = (age[i] < age_ceiling) | fast_track[i] | (age_ceiling <= 0)
        eligible = unsanctioned & tenure_ok & age_ok
        if self_recommendation > 0:
            self_recommended[i] = (unsanctioned & (not eligible)
                                   & (ability[i] >= self_recommendation_ability)
                                   & (self_draw[i] < self_recommendation))
        mask[i] = eligible | self_recommended[i]
        candidates[count] = i  # kept only if a candidate: the next append overwrites it
        count += mask[i]
        starts[rank[i] + 1] += mask[i]
    for r in range(n_ranks):
        starts[r + 1] += starts[r]
    # Stable counting sort by rank: slot order within each rank, as argsort(kind="stable").
    members = np.empty(count, dtype=np.intp)
    filled = starts[:n_ranks].copy()
    for t in range(count):
        i = candidates[t]
        members[filled[rank[i]]] = i
        filled[rank[i]] += 1
    groups = np.empty(members.size, dtype=np.intp)
    seniority = np.empty(members.size)
    for j in range(members.size):
        groups[j] = rank[members[j]]
        seniority[j] = years_in_rank[members[j]]
    pool_record = record[members]
    score = promotion_score(pool_record, seniority, performance_weight, noise[members], groups)
    return (mask, self_recommended, members, starts, pool_record, score, front_line[members])


@kernel
def promotion_score(record, seniority, performance_weight, noise,
                    groups):  # pragma: no cover - compiled
    """formulas.promotion_score with groups: w z(record) + (1 - w) z(seniority) + noise."""
    w = performance_weight
    merit = standardise(record, groups)
    tenure = standardise(seniority, groups)
    score = np.empty(record.size)
    for j in range(record.size):
        score[j] = w * merit[j] + (1.0 - w) * tenure[j] + noise[j]
    return score


@kernel
def standardise(x, groups):  # pragma: no cover - compiled
    """formulas.standardise within groups: sums in index order, as bincount makes them."""
    m = x.size
    n_groups = 0
    for j in range(m):
        n_groups = max(n_groups, groups[j] + 1)
    size = np.zeros(n_groups)
    total = np.zeros(n_groups)
    for j in range(m):
        size[groups[j]] += 1.0
        total[groups[j]] += x[j]
    for g in range(n_groups):
        if size[g] == 0.0:
            size[g] = 1.0
    mean = total / size
    centred = np.empty(m)
    spread = np.zeros(n_groups)
    for j in range(m):
        centred[j] = x[j] - mean[groups[j]]
        spread[groups[j]] += centred[j] * centred[j]
    scale = np.zeros(n_groups)
    for g in range(n_groups):
        sd = np.sqrt(spread[g] / size[g])
        if sd > 0:
            scale[g] = 1.0 / sd
    for j in range(m):
        centred[j] = centred[j] * scale[groups[j]]
    return centred


@kernel
def _publish(members, unit, high, won, n_units):  # pragma: no cover - compiled
    """This year's promotion cases per unit, (4, units): top, bottom, won top, won bottom."""
    counts = np.zeros((4, n_units))
    for j in range(members.size):
        u = unit[members[j]]
        if high[j]:
            counts[0, u] += 1.0
            counts[2, u] += won[j]
        else:
            counts[1, u] += 1.0
            counts[3, u] += won[j]
    return counts


def fill(
    pool: Pool, capacities: NDArray[np.int64], occupied: NDArray[np.int64], n: int,
    quota: float,
) -> tuple[NDArray[np.bool_], ...] | None:
    """As simulation.promotion.fill, or None when a tie leaves the choice to argpartition."""
    promoted, passed_over, won, high, settled = _fill(
        pool.starts, pool.members, pool.record, pool.score, pool.front_line, capacities,
        occupied, n, quota)
    return (promoted, passed_over, won, high) if settled else None


@kernel
def top_k(values, k):  # pragma: no cover - compiled
    """(mask of the k largest values, settled).

    Not settled when the k-th largest ties with the next (or a value is NaN): argpartition
    would choose among the tied.
    """
    m = values.size
    mask = np.zeros(m, dtype=np.bool_)
    if k >= m:
        mask[:] = True
        return mask, True
    if k <= 0:
        return mask, True
    for j in range(m):
        if values[j] != values[j]:
            return mask, False
    split = np.partition(values, m - k)  # the k largest from m - k on, in O(m)
    threshold = split[m - k]
    if split[:m - k].max() == threshold:
        return mask, False
    for j in range(m):
        mask[j] = values[j] >= threshold
    return mask, True


def fast_track_band(cadres: CadreArrays, n_ranks: int, share: float
                    ) -> NDArray[np.bool_] | None:
    """As simulation.promotion.fast_track_band, or None when a tie leaves it to argpartition."""
    if share <= 0:
        return np.zeros(cadres.n, dtype=np.bool_)
    band, settled = _fast_track(cadres.rank, cadres.record, n_ranks, float(share))
    return band if settled else None


@kernel
def _fast_track(rank, record, n_ranks, share):  # pragma: no cover - compiled
    """(the fast-track band, settled): the floor(share * size) best records of each rank."""
    band = np.zeros(rank.size, dtype=np.bool_)
    for r in range(n_ranks - 1):
        members = np.flatnonzero(rank == r)
        chosen, settled = top_k(record[members], int(np.floor(share * members.size)))
        if not settled:
            return band, False
        for j in range(members.size):
            if chosen[j]:
                band[members[j]] = True
    return band, True


@kernel
def top_share(values, share):  # pragma: no cover - compiled
    """top_k of the ceil(share * m) largest of m values."""
    return top_k(values, int(np.ceil(share * values.size)))


@kernel
def winners(score, front_line, free, quota):  # pragma: no cover - compiled
    """As simulation.promotion._winners: (mask, settled)."""
    m = score.size
    won = np.zeros(m, dtype=np.bool_)
    if free <= 0:
        return won, True
    reserved = int(np.ceil(quota * min(free, m)))
    if reserved > 0:
        front = np.flatnonzero(front_line)
        chosen, settled = top_k(score[front], reserved)
        if not settled:
            return won, False
        won[front[chosen]] = True
    rest = np.flatnonzero(~won)
    chosen, settled = top_k(score[rest], free - np.count_nonzero(won))
    won[rest[chosen]] = True
    return won, settled


@kernel
def _fill(starts, members, record, score, front_line, capacities, occupied, n,
          quota):  # pragma: no cover - compiled
    """promoted, passed_over, won, high and whether every choice was settled."""
    promoted = np.zeros(n, dtype=np.bool_)
    passed_over = np.zeros(n, dtype=np.bool_)
    won = np.zeros(members.size, dtype=np.bool_)
    high = np.zeros(members.size, dtype=np.bool_)
    for r in range(starts.size - 3, -1, -1):
        a, b = starts[r], starts[r + 1]
        if b == a:
            continue
        mine, settled = winners(score[a:b], front_line[a:b], capacities[r + 1] - occupied[r + 1],
                                quota)
        top_half, half_settled = top_share(record[a:b], 0.5)
        top_third, third_settled = top_share(record[a:b], 1 / 3)
        if not (settled and half_settled and third_settled):
            return promoted, passed_over, won, high, False
        count = 0
        for j in range(b - a):
            won[a + j] = mine[j]
            high[a + j] = top_half[j]
            count += mine[j]
            if mine[j]:
                promoted[members[a + j]] = True
            elif top_third[j]:
                passed_over[members[a + j]] = True
        occupied[r + 1] += count
        occupied[r] -= count
    return promoted, passed_over, won, high, True
