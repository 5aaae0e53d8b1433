"""Pure formulas of the model, one function per formula.

Each takes and returns NumPy arrays (or scalars) and draws no random numbers, so the model, the
per-agent reference, the tests and the notebooks all call the same code. Ranges and units are in
the docstrings; ``docs/ODD.md`` writes the same formulas out in mathematical notation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: The four actions, in the column order of every utility and probability matrix.
ACTIONS: tuple[str, ...] = ("idle", "formal", "routine", "bold")
IDLE, FORMAL, ROUTINE, BOLD = range(4)
#: The next sanction's rung, indexed by the number of unexpired earlier sanctions (capped).
RUNGS: tuple[str, ...] = ("warning", "demotion", "removal")
WARNING, DEMOTION, REMOVAL = range(3)


def logit_probabilities(utility: NDArray[np.floating], temperature: float) -> NDArray[np.float64]:
    """Quantal-response (logit) choice probabilities over the last axis.

    P_k = exp(U_k / tau) / sum_j exp(U_j / tau). At ``temperature`` 0 this is the best response,
    with ties shared equally. Rows sum to 1.
    """
    u = np.asarray(utility, dtype=np.float64)
    if temperature <= 0.0:
        best = u == u.max(axis=-1, keepdims=True)
        return best / best.sum(axis=-1, keepdims=True)
    z = (u - u.max(axis=-1, keepdims=True)) / temperature
    np.exp(z, out=z)
    z /= z.sum(axis=-1, keepdims=True)
    return z


def taste_choice(
    utility: NDArray[np.floating], taste: NDArray[np.floating], temperature: float
) -> NDArray[np.int8]:
    """Action per row: the best of utility plus the cadre's idiosyncratic taste this year.

    ``taste`` holds standard Gumbel draws of the same shape as ``utility``: the argmax of
    U + temperature * taste has exactly the logit probabilities of ``logit_probabilities``, and
    the same draws, kept, say what the same cadre would have done under other utilities (the
    counterfactuals of the inaction split). At temperature 0 taste only breaks ties.
    """
    u = np.asarray(utility, dtype=np.float64)
    if temperature <= 0.0:
        scored = np.where(u == u.max(axis=-1, keepdims=True), taste, -np.inf)
    else:
        scored = u + temperature * np.asarray(taste)
    return np.argmax(scored, axis=-1).astype(np.int8)


def bold_success_probability(
    ability: ArrayLike, difficulty: float, spread: float
) -> NDArray[np.float64]:
    """Chance in [0, 1] that a bold task succeeds: logistic in ability around ``difficulty``."""
    return 1.0 / (1.0 + np.exp(-(np.asarray(ability, dtype=np.float64) - difficulty) / spread))


def ability_for_success(success: float, difficulty: float, spread: float) -> float:
    """Ability at which a bold task succeeds with probability ``success`` (clipped to [0, 1]).

    The inverse of ``bold_success_probability``: difficulty + spread * logit(success).
    """
    success = min(max(success, 1e-9), 1.0 - 1e-9)
    return float(np.clip(difficulty + spread * np.log(success / (1.0 - success)), 0.0, 1.0))


def shapley_three(gain: NDArray[np.floating]) -> NDArray[np.float64]:
    """Shapley values of three factors from the gains of all eight coalitions.

    ``gain`` has shape (m, 8): column ``s`` is the gain when the factors in the bit set ``s``
    (bit j = factor j) are changed together, column 0 (nothing changed) is 0. Returns (m, 3);
    each row sums exactly to the gain of all three together (column 7). A factor's value is its
    marginal gain averaged over the orders in which the three factors can be changed, so the
    split does not depend on an order and interactions are shared equally among the factors
    that take part in them.
    """
    g = np.asarray(gain, dtype=np.float64)
    out = np.zeros((g.shape[0], 3))
    for j in range(3):
        bit = 1 << j
        for s in range(8):
            if s & bit:
                continue
            size = bin(s).count("1")
            weight = (1.0 / 3.0, 1.0 / 6.0, 1.0 / 3.0)[size]
            out[:, j] += weight * (g[:, s | bit] - g[:, s])
    return out


def effort_cost(
    effort: ArrayLike,
    ability: ArrayLike,
    base: float,
    ability_slope: float,
    burden: float,
    care_relief: float,
) -> NDArray[np.float64]:
    """Utility cost of an effort level in [0, 1].

    base * effort^2 * (1 + ability_slope * (1 - ability)) * (1 + burden) * (1 - care_relief).
    Costlier for the less able (unable to act) and under heavy burden (seeds 000, 001, 003).
    ``effort`` and ``ability`` broadcast (e.g. effort of shape (4,) against ability (n, 1)).
    """
    effort = np.asarray(effort, dtype=np.float64)
    ability = np.asarray(ability, dtype=np.float64)
    scale = base * (1.0 + burden) * (1.0 - care_relief)
    return scale * effort**2 * (1.0 + ability_slope * (1.0 - ability))


def welfare(
    real_output: ArrayLike,
    effort_cost: ArrayLike,
    wrongful_sanctions: ArrayLike,
    shielded_violations: ArrayLike,
    effort_weight: float,
    wrongful_harm: float,
    shielded_harm: float,
) -> ArrayLike:
    """Welfare per cadre and year, in output units (docs/ODD.md 9.1).

    Real output less the weighted effort cost cadres bear, less the harm of wrongful sanctions
    and of shielded violations (both shares of cadres a year, times their harm per case).
    """
    return (real_output - effort_weight * effort_cost - wrongful_harm * wrongful_sanctions
            - shielded_harm * shielded_violations)


def policy_cost(regime: Any, weights: Mapping[str, float]) -> float:
    """Policy cost per cadre and year of a regime, in output units (docs/ODD.md 9.2).

    The sum of weight x value over the costed levers, ``weights`` mapping each lever's dotted
    path under the regime (``support.care``) to its cost at value 1.
    """
    total = 0.0
    for path, weight in weights.items():
        value: Any = regime
        for part in path.split("."):
            value = getattr(value, part)
        total += weight * float(value)
    return total


def detection_probability(*channels: ArrayLike) -> ArrayLike:
    """Chance that lying flat is caught by at least one independent channel (broadcasts)."""
    miss = 1.0
    for p in channels:
        miss *= 1.0 - p
    return 1.0 - miss


def shield_probability(tolerance: float, precision: float) -> float:
    """Chance that a disguised violation is wrongly tolerated: tolerance * (1 - precision)."""
    return tolerance * (1.0 - precision)


def next_rung(strikes: ArrayLike) -> NDArray[np.intp]:
    """The rung of the next own-ground sanction given unexpired earlier ones (the ladder)."""
    return np.minimum(np.asarray(strikes), len(RUNGS) - 1).astype(np.intp)


def next_sanction_cost(strikes: ArrayLike, costs: tuple[float, float, float]) -> NDArray:
    """Written cost of the next rung of the ladder given unexpired earlier sanctions."""
    return np.asarray(costs, dtype=np.float64)[next_rung(strikes)]


def promotion_hazards(capacities: ArrayLike, exit_rate: float) -> NDArray[np.float64]:
    """Yearly chance that a cadre of each rank is promoted, in the pyramid's steady state.

    Every exit from rank r+1 or above (at ``exit_rate`` a year per cadre) opens a chain of
    vacancies that ends in one promotion out of rank r, so rank r sends
    exit_rate * (positions above r) cadres up a year among its holders (rank 0 holds everyone
    not above it). The top rank has no rank to rise to: 0.
    """
    caps = np.asarray(capacities, dtype=np.float64)
    holders = caps.copy()
    holders[0] = caps[0] - caps[1:].sum()
    above = np.cumsum(caps[::-1])[::-1]  # positions at rank r and above
    hazard = np.zeros(caps.size)
    hazard[:-1] = exit_rate * above[1:] / np.maximum(holders[:-1], 1.0)
    return np.clip(hazard, 0.0, 1.0)


def prospects_value(hazard: ArrayLike, discount: float, prize: float, years: ArrayLike
                    ) -> NDArray[np.float64]:
    """Present value of the promotion ahead: prize * sum_{t=1..years} d^t (1-h)^(t-1) h.

    Closed form prize * d h (1 - g^years) / (1 - g) with g = d (1 - h); ``hazard`` and
    ``years`` broadcast. 0 for no years left, a zero hazard or a zero discount.
    """
    h = np.asarray(hazard, dtype=np.float64)
    y = np.asarray(years, dtype=np.float64)
    g = discount * (1.0 - h)
    span = np.where(g < 1.0, (1.0 - g**y) / np.where(g < 1.0, 1.0 - g, 1.0), y)
    return prize * discount * h * span


def career_stakes(rung: ArrayLike, rank: ArrayLike, prospects: ArrayLike, bar: float,
                  prize: float) -> NDArray[np.float64]:
    """What a sanction takes from a cadre's career, beyond the rung's written cost.

    ``prospects`` is the present value of the promotion ahead (``prospects_value``), ``bar``
    the share of it a promotion bar destroys (1 - discount^sanction_years), ``prize`` the value
    of a rank. A warning costs the promotion chances its bar delays; a demotion that too and
    the rank it takes (nothing for a rank-0 cadre, who cannot move down); removal every rank
    held and the promotion ahead.
    """
    rung = np.asarray(rung)
    rank = np.asarray(rank, dtype=np.float64)
    delayed = bar * np.asarray(prospects, dtype=np.float64)
    return np.where(
        rung == WARNING, delayed,
        np.where(rung == DEMOTION, delayed + prize * (rank >= 1.0), prize * rank + prospects),
    )


def risk_weighted(expected_sanction: ArrayLike, risk_aversion: ArrayLike) -> NDArray:
    """Expected sanction as felt by a risk-averse cadre: (1 + rho) * E[sanction]."""
    return (1.0 + np.asarray(risk_aversion)) * np.asarray(expected_sanction)


def formal_credit(visibility: ArrayLike, evaluation_precision: float) -> ArrayLike:
    """Measured output that formal work adds beyond its real output: visible but hollow.

    ``visibility`` is the post's visibility of hollow work (scalar or per cadre).
    """
    return visibility * (1.0 - evaluation_precision)


def measurement_noise_sd(noise_sd: float, evaluation_precision: float) -> float:
    """Standard deviation of evaluation noise; better evaluation shrinks it."""
    return noise_sd * (1.0 - evaluation_precision)


def career_weight(
    years_short: ArrayLike, discount: float, eligible: ArrayLike
) -> NDArray[np.float64]:
    """Weight in [0, 1] of the promotion prize in this year's decision.

    ``discount ** years_short`` for a cadre that can compete (a promotion still years of tenure
    away is worth less), 0 for one that cannot (top rank, sanctioned, past the age ceiling).
    """
    return np.where(eligible, discount ** np.asarray(years_short, dtype=np.float64), 0.0)


def smooth(old: ArrayLike, new: ArrayLike, rate: ArrayLike) -> NDArray[np.float64]:
    """Exponential smoothing: old + rate * (new - old); rate 0 keeps old, 1 takes new."""
    old = np.asarray(old, dtype=np.float64)
    return old + np.asarray(rate) * (np.asarray(new) - old)


def unit_count(n_cadres: int, unit_size: int) -> int:
    """Units of ``unit_size`` slots over ``n_cadres`` (the last one may be smaller)."""
    return -(-n_cadres // unit_size)


def promotion_gap(counts: NDArray[np.floating]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """What a unit's promotions show: the gap in promotion rates, and the cases behind it.

    ``counts`` is (4, units): candidates with a record in the top half of their rank's, in the
    bottom half, and the promoted of each (``promotion.SEEN_ROWS``; whole or discounted
    counts). The gap is P(promoted | top half) - P(promoted | bottom half), NaN where either
    half is empty; the size is the smaller half.
    """
    top, bottom, won_top, won_bottom = (np.asarray(row, dtype=np.float64) for row in counts)
    seen = (top > 0) & (bottom > 0)
    gap = np.full(top.shape, np.nan)
    gap[seen] = won_top[seen] / top[seen] - won_bottom[seen] / bottom[seen]
    return gap, np.minimum(top, bottom)


def pool_weight(size: ArrayLike, pseudocount: float) -> NDArray[np.float64]:
    """Weight in [0, 1) of a statistic from ``size`` cases against a prior worth ``pseudocount``.

    size / (size + pseudocount): the precision weight of a mean of ``size`` observations
    against a prior belief held as firmly as ``pseudocount`` of them (1 if pseudocount is 0).
    """
    size = np.asarray(size, dtype=np.float64)
    if pseudocount <= 0:
        return np.where(size > 0, 1.0, 0.0)
    return size / (size + pseudocount)


def standardise(x: ArrayLike, groups: NDArray[np.integer] | None = None) -> NDArray[np.float64]:
    """z-scores, within each group if ``groups`` is given (0 where a group's spread is 0), so
    score components are on one scale."""
    x = np.asarray(x, dtype=np.float64)
    if groups is None:
        sd = x.std()
        return (x - x.mean()) / sd if sd > 0 else np.zeros_like(x)
    size = np.bincount(groups).astype(np.float64)
    size[size == 0] = 1.0
    mean = np.bincount(groups, weights=x) / size
    centred = x - mean[groups]
    sd = np.sqrt(np.bincount(groups, weights=centred * centred) / size)
    scale = np.divide(1.0, sd, out=np.zeros_like(sd), where=sd > 0)
    return centred * scale[groups]


def promotion_score(
    record: ArrayLike,
    seniority: ArrayLike,
    performance_weight: float,
    noise: ArrayLike,
    groups: NDArray[np.integer] | None = None,
) -> NDArray[np.float64]:
    """Tournament score of candidates: merit, seniority and noise.

    w * z(record) + (1 - w) * z(seniority) + noise, with ``noise`` already scaled; z-scores are
    taken within ``groups`` (the rank competed from) when given.
    """
    w = performance_weight
    return (
        w * standardise(record, groups)
        + (1.0 - w) * standardise(seniority, groups)
        + np.asarray(noise)
    )


def rank_capacities(n_cadres: int, n_ranks: int, pyramid_ratio: float) -> NDArray[np.int64]:
    """Positions per rank: a pyramid with ratio q between ranks; rank 0 holds everyone else.

    Rank r >= 1 has round(n * q^r / sum_k q^k) positions; rank 0's capacity is n (unbounded).
    """
    weights = pyramid_ratio ** np.arange(n_ranks)
    caps = np.rint(n_cadres * weights / weights.sum()).astype(np.int64)
    caps[0] = n_cadres
    return caps


def rank_ability_correlation(rank: ArrayLike, ability: ArrayLike) -> float:
    """Meritocracy in [-1, 1]: Pearson correlation of rank and ability (0 if either is constant).

    Pearson rather than Spearman keeps it O(n) at a million cadres; rank is already ordinal.
    Plain sums, not BLAS dot products: BLAS worker threads spinning after a call slow the rest
    of a single-threaded step on small machines.
    """
    rank = np.asarray(rank, dtype=np.float64)
    ability = np.asarray(ability, dtype=np.float64)
    rc = rank - rank.mean()
    ac = ability - ability.mean()
    denom = np.sqrt(np.square(rc).sum() * np.square(ac).sum())
    return float((rc * ac).sum() / denom) if denom > 0 else 0.0


def perceived_update(
    belief: ArrayLike, evidence: ArrayLike, credited: ArrayLike, events: ArrayLike,
    exposure: ArrayLike, memory: float, rule_weight: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """A perceived rule and its case evidence after a year's cases: (belief, evidence).

    The belief is a discounted Beta mean: ``rule_weight`` pseudo-cases at the rule as
    ``credited``, plus the cases seen, each year's kept at ``memory``:
    belief = (w a + E) / (w + X) with E, X the discounted events and exposures. Written in the
    stored belief b and evidence X (E = b (w + X) - w a):
        X' = m X + x,   b' = (w a (1 - m) + m b (w + X) + e) / (w + X')
    Without cases the belief drifts back to the credited rule as its evidence fades; it is a
    weighted mean of the credited rule, the old belief and the cases, so it stays in their
    range. Where w + X' is 0 (no rule weight, no evidence) the belief stays.
    """
    b = np.asarray(belief, dtype=np.float64)
    kept = memory * np.asarray(evidence, dtype=np.float64)
    total = kept + np.asarray(exposure, dtype=np.float64)
    numerator = (rule_weight * np.asarray(credited) * (1.0 - memory)
                 + memory * b * (rule_weight + np.asarray(evidence)) + np.asarray(events))
    weight = rule_weight + total
    safe = np.where(weight > 0.0, weight, 1.0)
    return np.where(weight > 0.0, numerator / safe, b), total
