"""Phase kernels over a batch of replicates: one call, each segment's own kernel run on it.

A batch (``simulation.batched``) holds R runs of n slots end to end. Learning reads its run's
published cases and credited rules, and an entrant's career starts from its run's staff, so
neither can run over the whole array as one run; here one compiled loop runs the lone kernel
(``learning._learn``, ``demography._start``) on each segment's slices, with the segment's own
peers, units and rules. The same compiled code on the same numbers: each
segment's results are its lone run's bit for bit, and the batch pays one dispatch instead of R.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from simulation.cadres import BELIEFS, PERCEIVED_BELIEFS, PERCEIVED_EVIDENCE, CadreArrays
from simulation.config import ModelConfig, Promotion, Regime
from simulation.kernels.decide import (
    Inputs,
    Terms,
    decide_each,
    form_counts,
    inputs,
    regime_terms,
)
from simulation.kernels.demography import Career, _start, career_of
from simulation.kernels.jit import kernel, plain
from simulation.kernels.learning import (
    Learner,
    Perceived,
    Published,
    Rates,
    Seen,
    _cases,
    _learn,
    rates,
    read_published,
)
from simulation.kernels.promotion import Rules as PoolRules
from simulation.kernels.promotion import Standing, _fast_track, _fill, _form_pool, _publish
from simulation.kernels.reductions import mean
from simulation.kernels.statistics import N_ACTIONS, N_EVENTS, N_RUNGS, PLAN, _averages, _tally
from simulation.records import DecisionInputs, Inaction, Outcomes, Review, unaccounted


def seen_of(action: NDArray[np.int8], out: Outcomes, rev: Review, commended: NDArray[np.bool_],
            promoted: NDArray[np.bool_], passed_over: NDArray[np.bool_]) -> tuple:
    """What every cadre of the batch saw this year (``learning.Seen``, as a plain tuple)."""
    return plain(Seen(
        action=action, caught_idle=rev.caught_idle, caught_formal=rev.caught_formal,
        routine_punished=rev.routine_punished, routine_failure=out.routine_failure,
        failure_punished=rev.failure_punished, failure_tolerated=rev.failure_tolerated,
        accused=rev.accused, accusation_upheld=rev.accusation_upheld, rung=rev.rung,
        wrongful=rev.wrongful, commended=commended, promoted=promoted, passed_over=passed_over))


def cases_each(seen: tuple, ratio: float, n: int) -> NDArray[np.float64]:
    """Each run's organisation cases (R, Q, 2), as ``learning.organisation_cases`` of each."""
    return cases_of_segments(seen, float(ratio), n)


def learn_each(seen: tuple, whole: CadreArrays, peers: NDArray[np.int32],
               unit: NDArray[np.int32], stat: NDArray[np.float64], weight: NDArray[np.float64],
               rule: NDArray[np.float64], case_value: NDArray[np.float64],
               published: NDArray[np.float32], is_rate: NDArray[np.bool_],
               configs: ModelConfig | Sequence[ModelConfig], regime: Regime) -> None:
    """``learning.learn`` of each run of the batch in place, in one compiled call.

    ``peers`` (R, n, k) and ``unit`` (R, n) are each run's own; ``stat`` and ``weight`` the
    published promotion statistic and its weight per unit, run after run; ``rule`` (R, Q) and
    ``published`` (R, Q, 2) each run's credited rules and published cases; ``configs`` every
    run's config, or each run's (their learning rates may differ).
    """
    learner = (whole.innate_motivation, whole.motivation, whole.ability,
               tuple(getattr(whole, name) for name in PERCEIVED_BELIEFS),
               tuple(getattr(whole, name) for name in PERCEIVED_EVIDENCE), whole.belief_promote)
    each = [configs] if isinstance(configs, ModelConfig) else configs
    table = np.array([rates(config, regime) for config in each], dtype=np.float64)
    learn_segments(seen, learner, peers, unit, stat, weight, rule, case_value, published,
                   is_rate, table)


@kernel
def cases_of_segments(seen, ratio, n):  # pragma: no cover - compiled
    """Each run's organisation cases (R, Q, 2): ``learning._cases`` of each segment of n."""
    action = seen[0]
    runs = action.size // n
    first = _cases(action[0:n], seen[1][0:n], seen[2][0:n], seen[3][0:n], seen[4][0:n],
                   seen[5][0:n], seen[6][0:n], seen[7][0:n], seen[8][0:n], seen[9][0:n], ratio)
    out = np.empty((runs, first.shape[0], first.shape[1]))
    out[0] = first
    for r in range(1, runs):
        s, e = r * n, (r + 1) * n
        out[r] = _cases(action[s:e], seen[1][s:e], seen[2][s:e], seen[3][s:e], seen[4][s:e],
                        seen[5][s:e], seen[6][s:e], seen[7][s:e], seen[8][s:e], seen[9][s:e],
                        ratio)
    return out


@kernel
def part_of_nine(t, s, e):  # pragma: no cover - compiled
    """Slots ``s .. e - 1`` of each of nine arrays (the perceived rules' beliefs or evidence)."""
    return (t[0][s:e], t[1][s:e], t[2][s:e], t[3][s:e], t[4][s:e], t[5][s:e], t[6][s:e],
            t[7][s:e], t[8][s:e])


@kernel
def rates_of(row):  # pragma: no cover - compiled
    """The ``Rates`` of one row of a rates table (their fields in order)."""
    return Rates(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8],
                 row[9], row[10], row[11], row[12], row[13], row[14], row[15])


@kernel
def learn_segments(seen, whole, peers, unit, stat, weight, rule, case_value, published,
                   is_rate, p):  # pragma: no cover - compiled
    """``learning._learn`` on each segment (in place), as the lone ``_learn_plain`` calls it.

    ``seen``: the ``Seen`` arrays over the batch; ``whole``: (innate motivation, motivation,
    ability, beliefs, evidence, belief_promote) over the batch; ``peers`` (R, n, k) and
    ``unit`` (R, n): each segment's own; ``stat`` and ``weight``: the published statistic and
    its weight per unit, segment after segment; ``rule`` (R, Q) and ``published`` (R, Q, 2):
    each run's credited rules and published cases; ``p`` the ``Rates`` of every run (one row)
    or of each (R rows).
    """
    runs, n = unit.shape
    units = stat.size // runs
    innate, motivation, ability, beliefs, evidence, belief_promote = whole
    known, statistic = read_published(stat)
    for r in range(runs):
        rates = rates_of(p[r if p.shape[0] > 1 else 0])
        s, e = r * n, (r + 1) * n
        us, ue = r * units, (r + 1) * units
        own = Seen(seen[0][s:e], seen[1][s:e], seen[2][s:e], seen[3][s:e], seen[4][s:e],
                   seen[5][s:e], seen[6][s:e], seen[7][s:e], seen[8][s:e], seen[9][s:e],
                   seen[10][s:e], seen[11][s:e], seen[12][s:e], seen[13][s:e])
        learner = Learner(peers[r], unit[r], innate[s:e], motivation[s:e], ability[s:e],
                          part_of_nine(beliefs, s, e), part_of_nine(evidence, s, e),
                          belief_promote[s:e])
        _learn(own, learner, Published(known[us:ue], statistic[us:ue], weight[us:ue]),
               Perceived(rule[r], case_value, published[r], is_rate), rates)


def start_careers_each(whole: CadreArrays, departed: NDArray[np.intp], first: NDArray[np.intp],
                       entry_age: NDArray[np.int64], next_person: NDArray[np.int64],
                       peers: NDArray[np.int32]) -> None:
    """``population.start_careers`` of each run of the batch, in one compiled call.

    ``departed`` holds each run's entrants' slots (its own numbering), run after run, run r's
    from ``first[r]`` to ``first[r + 1]``; ``entry_age`` an age for every slot of the batch;
    ``next_person`` each run's next person id; ``peers`` (R, n, k) each run's own.
    """
    start_segments(departed, first, entry_age, next_person, plain(career_of(whole)), peers,
                   tuple(getattr(whole, name) for name in BELIEFS))


@kernel
def start_segments(departed, first, entry_age, next_person, career, peers, beliefs
                   ):  # pragma: no cover - compiled
    """``demography._start`` of each segment with entrants (``start_careers_each``)."""
    runs, n = peers.shape[0], peers.shape[1]
    for r in range(runs):
        a, b = first[r], first[r + 1]
        if a == b:
            continue
        s, e = r * n, (r + 1) * n
        own = Career(career[0][s:e], career[1][s:e], career[2][s:e], career[3][s:e],
                     career[4][s:e], career[5][s:e], career[6][s:e], career[7][s:e],
                     career[8][s:e], career[9][s:e], career[10][s:e])
        _start(departed[a:b], entry_age[s:e], next_person[r], own, peers[r],
               (beliefs[0][s:e], beliefs[1][s:e], beliefs[2][s:e], beliefs[3][s:e],
                beliefs[4][s:e], beliefs[5][s:e], beliefs[6][s:e], beliefs[7][s:e],
                beliefs[8][s:e], beliefs[9][s:e], beliefs[10][s:e], beliefs[11][s:e],
                beliefs[12][s:e], beliefs[13][s:e], beliefs[14][s:e], beliefs[15][s:e],
                beliefs[16][s:e], beliefs[17][s:e], beliefs[18][s:e]))


def band_each(whole: CadreArrays, n_ranks: int, share: float, n: int
              ) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Each run's fast-track band (``promotion.fast_track_band``) and whether it was settled.

    A run whose band has a tie at its edge is not settled: its band is left to NumPy.
    """
    if share <= 0:
        return np.zeros(whole.n, dtype=np.bool_), np.ones(whole.n // n, dtype=np.bool_)
    return band_segments(whole.rank, whole.record, n_ranks, float(share), n)


@kernel
def band_segments(rank, record, n_ranks, share, n):  # pragma: no cover - compiled
    """``promotion._fast_track`` of each segment of n slots: (band, settled per segment)."""
    runs = rank.size // n
    band = np.zeros(rank.size, dtype=np.bool_)
    settled = np.empty(runs, dtype=np.bool_)
    for r in range(runs):
        s, e = r * n, (r + 1) * n
        own, settled[r] = _fast_track(rank[s:e], record[s:e], n_ranks, share)
        band[s:e] = own
    return band, settled


def promote_each(whole: CadreArrays, leaving: NDArray[np.bool_], self_draw: NDArray[np.float64],
                 noise: NDArray[np.float64], n_ranks: int, promo: Promotion,
                 capacities: NDArray[np.int64], unit: NDArray[np.int32], n_units: int) -> tuple:
    """Each run's tournament (``promotion.hold_tournament`` after the band and the draws).

    Returns (promoted, passed over, pool, self-recommended) per slot, this year's promotion
    cases per unit ((4, R * units), run after run: ``promotion.publish``) and whether each run
    was settled. A run not settled
    (a tie at a top-k edge, left to NumPy's argpartition) is left untouched, to be held alone.
    """
    standing = (whole.rank, whole.sanction_years, whole.probation_years, whole.years_in_rank,
                whole.age, whole.fast_track, whole.ability, whole.record, whole.front_line,
                leaving, self_draw, noise)
    rules = PoolRules(
        n_ranks=n_ranks, min_tenure=promo.min_tenure, age_ceiling=promo.age_ceiling,
        self_recommendation=promo.self_recommendation,
        self_recommendation_ability=promo.self_recommendation_ability,
        performance_weight=promo.performance_weight,
    )
    return promote_segments(standing, plain(rules), capacities, float(promo.front_line_quota),
                            unit, n_units, promo.probation_years)


@kernel
def promote_segments(c, rules, capacities, quota, unit, n_units,
                     probation):  # pragma: no cover - compiled
    """The pool, the places and the promotion cases of each segment; ranks moved in place."""
    rank, years_in_rank, probation_years = c[0], c[3], c[2]
    runs, n = unit.shape
    promoted = np.zeros(rank.size, dtype=np.bool_)
    passed_over = np.zeros(rank.size, dtype=np.bool_)
    mask = np.zeros(rank.size, dtype=np.bool_)
    self_recommended = np.zeros(rank.size, dtype=np.bool_)
    cases = np.zeros((4, runs * n_units))
    settled = np.ones(runs, dtype=np.bool_)
    r_rules = PoolRules(*rules)
    for r in range(runs):
        s, e = r * n, (r + 1) * n
        own = Standing(c[0][s:e], c[1][s:e], c[2][s:e], c[3][s:e], c[4][s:e], c[5][s:e],
                       c[6][s:e], c[7][s:e], c[8][s:e], c[9][s:e], c[10][s:e], c[11][s:e])
        pool = _form_pool(own, r_rules)
        members, starts, record, score, front_line = pool[2], pool[3], pool[4], pool[5], pool[6]
        occupied = np.zeros(capacities.size, dtype=np.int64)
        for i in range(s, e):
            occupied[rank[i]] += 1
        won_slot, over, won, high, done = _fill(starts, members, record, score, front_line,
                                                capacities, occupied, n, quota)
        if not done:
            settled[r] = False
            continue
        cases[:, r * n_units:(r + 1) * n_units] = _publish(members, unit[r], high, won, n_units)
        for i in range(n):
            mask[s + i] = pool[0][i]
            self_recommended[s + i] = pool[1][i]
            passed_over[s + i] = over[i]
            if won_slot[i]:
                promoted[s + i] = True
                rank[s + i] += 1
                years_in_rank[s + i] = 0
                probation_years[s + i] = probation
    return promoted, passed_over, mask, self_recommended, cases, settled


def statistics_each(action: NDArray[np.int8], out: Outcomes, rev: Review,
                    promoted: NDArray[np.bool_], self_recommended: NDArray[np.bool_],
                    retiring: NDArray[np.bool_], removed: NDArray[np.bool_], whole: CadreArrays,
                    n: int) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Each run's counts (R, TALLIED) and means (R, AVERAGED), in one compiled call.

    As ``statistics.tally`` and ``statistics.averages`` of each run give them (sums in NumPy's
    order over each segment).
    """
    c = whole
    masks = np.stack((out.bold_success, out.bold_failure, rev.failure_tolerated,
                      rev.failure_punished, rev.violation_exposed, rev.violation_shielded,
                      rev.caught_idle, rev.caught_formal, rev.accused, rev.accusation_upheld,
                      rev.wrongful, rev.leader_sanctioned, rev.sanctioned, rev.probation_failed,
                      promoted, self_recommended, retiring, removed))
    means = (out.real, out.measured, c.motivation, c.ability, c.belief_punish, c.belief_detect,
             c.belief_promote)
    perceived = (c.belief_detect_formal, c.belief_punish_routine, c.belief_accused,
                 c.belief_upheld, c.belief_warning_cost, c.belief_demotion_cost,
                 c.belief_removal_cost)
    return statistics_segments(masks, PLAN, action, rev.sanctioned, rev.rung, means,
                               c.belief_accused, c.belief_upheld, perceived, c.rank, c.ability, n)


@kernel
def statistics_segments(masks, plan, action, sanctioned, rung, means, accused, upheld, perceived,
                        rank, ability, n):  # pragma: no cover - compiled
    """``statistics._tally`` and ``_averages`` of each segment of n slots."""
    runs = action.size // n
    counts = np.empty((runs, N_EVENTS + N_ACTIONS + N_RUNGS), dtype=np.int64)
    values = np.empty((runs, len(means) + 1 + len(perceived) + 1))
    for r in range(runs):
        s, e = r * n, (r + 1) * n
        counts[r] = _tally(masks[:, s:e], plan, action[s:e], sanctioned[s:e], rung[s:e])
        values[r] = _averages(
            (means[0][s:e], means[1][s:e], means[2][s:e], means[3][s:e], means[4][s:e],
             means[5][s:e], means[6][s:e]),
            accused[s:e], upheld[s:e],
            (perceived[0][s:e], perceived[1][s:e], perceived[2][s:e], perceived[3][s:e],
             perceived[4][s:e], perceived[5][s:e], perceived[6][s:e]),
            rank[s:e], ability[s:e])
    return counts, values


@kernel
def means_of_segments(values, n):  # pragma: no cover - compiled
    """``values[s:e].mean()`` of each segment of n (NumPy's pairwise order), as floats."""
    runs = values.size // n
    out = np.empty(runs)
    for r in range(runs):
        out[r] = mean(values[r * n:(r + 1) * n])
    return out


def demote_each(whole: CadreArrays, demoted: NDArray[np.bool_], order: NDArray[np.float64],
                capacities: NDArray[np.int64], n: int) -> None:
    """``positions.move_down`` of each run's demoted cadres, tenure reset, in one call.

    Each run's movers (its slots in ``demoted``) leave their posts and fill the ranks below
    from the top, the smallest ``order`` first, within the run's own capacities.
    """
    demote_segments(whole.rank, whole.years_in_rank, demoted, order, capacities, n)


@kernel
def demote_segments(rank, years_in_rank, demoted, order, capacities,
                    n):  # pragma: no cover - compiled
    """``positions.move_down`` (and the tenure reset) of each segment of n slots, in place."""
    for r in range(rank.size // n):
        s, e = r * n, (r + 1) * n
        movers = np.flatnonzero(demoted[s:e])
        moved = move_down(rank[s:e], movers, capacities, order[s:e])
        for j in range(moved.size):
            years_in_rank[s + moved[j]] = 0


@kernel
def move_down(rank, movers, capacities, order):  # pragma: no cover - compiled
    """``positions.move_down``, compiled: the same movers, ranks and order (integers alone)."""
    movers = movers[rank[movers] > 0]
    if movers.size == 0:
        return movers
    movers = movers[np.argsort(order[movers], kind="mergesort")]  # stable, as NumPy's
    target = np.empty(movers.size, dtype=np.int64)
    for j in range(movers.size):
        target[j] = rank[movers[j]] - 1
        rank[movers[j]] = 0
    occupied = np.zeros(capacities.size, dtype=np.int64)
    for i in range(rank.size):
        occupied[rank[i]] += 1
    for level in range(capacities.size - 1, 0, -1):
        room = max(capacities[level] - occupied[level], 0)
        for j in range(movers.size):
            if target[j] == level:
                if room > 0:
                    rank[movers[j]] = level
                    occupied[level] += 1
                    room -= 1
                else:
                    target[j] = level - 1
    return movers


def decide_accounted(x: DecisionInputs, configs: ModelConfig | Sequence[ModelConfig],
                     regime: Regime, taste: NDArray[np.float64], n: int, account: bool = True
                     ) -> tuple[NDArray[np.int8], list[Inaction]]:
    """``decide.decide`` of each run of the batch, in one compiled call.

    The choices are elementwise; the inaction (forms, causes, reasons, survey counts) is
    summed over each run's own cadres, as its lone run sums it. ``configs`` is every run's
    config, or each run's (their utility's scalars may differ); without ``account`` the
    inaction is left unaccounted, as a lone run leaves it.
    """
    each = [configs] if isinstance(configs, ModelConfig) else configs
    terms = [regime_terms(config.behaviour, regime) for config in each]
    if any(t.able != terms[0].able for t in terms):  # the bold success at 'able enough'
        raise ValueError("runs of one batch must share the 'able enough' level")
    table = np.array([plain(t) for t in terms], dtype=np.float64)
    action, form, causes, named, reasons, fear_only, over_reward, held, counts = (
        decide_segments(plain(inputs(x, each[0].behaviour, terms[0].able)), taste, table, n,
                        account))
    if not account:
        return action, [unaccounted(form[r * n:(r + 1) * n], counts[r])
                        for r in range(fear_only.size)]
    return action, [
        Inaction(form=form[r * n:(r + 1) * n], causes=causes[r], reasons=reasons[r],
                 fear_only=int(fear_only[r]), named=named[r], form_counts=counts[r],
                 answers={"effort_over_reward": int(over_reward[r]) / n,
                          "held_back_by_fear": int(held[r]) / n})
        for r in range(fear_only.size)]


@kernel
def terms_of(row):  # pragma: no cover - compiled
    """The ``Terms`` of one row of a terms table (their fields in order)."""
    return Terms(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8],
                 row[9], row[10], row[11], row[12], row[13], row[14], row[15], row[16],
                 row[17], row[18], row[19], row[20])


@kernel
def decide_segments(x, taste, t, n, account):  # pragma: no cover - compiled
    """``decide.decide_each`` of each segment of n cadres, at its own row of the terms ``t``.

    One row of ``t``: every segment's terms.
    """
    runs = taste.shape[0] // n
    action = np.empty(runs * n, dtype=np.int8)
    form = np.empty(runs * n, dtype=np.int8)
    causes, named, reasons = np.empty((runs, 3)), np.empty((runs, 3)), np.empty((runs, 3))
    counts = np.empty((runs, 3), dtype=np.int64)
    fear_only = np.empty(runs, dtype=np.int64)
    over_reward = np.empty(runs, dtype=np.int64)
    held = np.empty(runs, dtype=np.int64)
    for r in range(runs):
        terms = terms_of(t[r if t.shape[0] > 1 else 0])
        s, e = r * n, (r + 1) * n
        own = Inputs(x[0][s:e], x[1][s:e], x[2][s:e], x[3][s:e], x[4][s:e], x[5][s:e],
                     x[6][s:e], x[7][s:e], x[8][s:e], x[9][s:e], x[10][s:e], x[11][s:e],
                     x[12][s:e], x[13][s:e], x[14][s:e], x[15])
        (action[s:e], form[s:e], causes[r], named[r], reasons[r], fear_only[r], over_reward[r],
         held[r]) = decide_each(own, taste[s:e], terms, account)
        counts[r] = form_counts(form[s:e])
    return action, form, causes, named, reasons, fear_only, over_reward, held, counts
