"""Phase 5, learning, compiled: what each cadre saw, its peers' and unit's sums, and every update.

The NumPy path (simulation.learning.learn, called by simulation.step.learn) builds an (n, 16)
table of observations, sums it over peers with a sparse product and over units with bincount,
then updates the perceived rules, motivation and ability array by array. Here one pass builds
the table and the unit totals, and a second pass reads each cadre's peers' rows and applies
every update to that cadre; sums run in the NumPy path's order (peers in tie order in float32,
as SciPy's CSR product; unit totals in slot order in float64, as bincount), so results are the
same bit for bit.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from simulation import formulas as f
from simulation.cadres import PERCEIVED_BELIEFS, PERCEIVED_EVIDENCE, CadreArrays
from simulation.config import ModelConfig, Regime
from simulation.kernels.jit import kernel, plain
from simulation.kernels.prefetch import prefetch_row
from simulation.kernels.scalar import clip01, indicator, perceived_update, smooth
from simulation.records import Outcomes, Review, Tournament

IDLE, FORMAL, ROUTINE, BOLD = f.IDLE, f.FORMAL, f.ROUTINE, f.BOLD
# Columns of the observation table (the kernel's own layout; learning.OBSERVED's meaning).
(CAUGHT_IDLE, IDLE_SEEN, CAUGHT_FORMAL, FORMAL_SEEN, ROUTINE_PUNISHED, ROUTINE_FAILURE, PUNISHED,
 REVIEWED, ACCUSED, ACCUSE_EXPOSURE, UPHELD, WARNED, DEMOTED, REMOVED, MOTIVATION,
 COMMENDED) = range(16)
N_OBSERVED = 16
#: Each perceived rule's event and exposure columns (learning.CASES), in QUANTITIES order.
EVENT_COLUMN = np.array([CAUGHT_IDLE, CAUGHT_FORMAL, ROUTINE_PUNISHED, PUNISHED, ACCUSED, UPHELD,
                         WARNED, DEMOTED, REMOVED])
EXPOSURE_COLUMN = np.array([IDLE_SEEN, FORMAL_SEEN, ROUTINE_FAILURE, REVIEWED, ACCUSE_EXPOSURE,
                            ACCUSED, WARNED, DEMOTED, REMOVED])
#: Columns seen across the whole unit (learning.UNIT_SEEN), in that order.
UNIT_COLUMNS = np.array([CAUGHT_IDLE, IDLE_SEEN, CAUGHT_FORMAL, FORMAL_SEEN, WARNED, DEMOTED,
                         REMOVED])
#: Cadres ahead whose peers' rows are prefetched (best of 4-32 at a million cadres).
AHEAD = 8


class Seen(NamedTuple):
    """What happened to each cadre this year that it and its peers can see."""

    action: NDArray[np.int8]
    caught_idle: NDArray[np.bool_]
    caught_formal: NDArray[np.bool_]
    routine_punished: NDArray[np.bool_]
    routine_failure: NDArray[np.bool_]
    failure_punished: NDArray[np.bool_]
    failure_tolerated: NDArray[np.bool_]
    accused: NDArray[np.bool_]
    accusation_upheld: NDArray[np.bool_]
    rung: NDArray[np.int8]
    wrongful: NDArray[np.bool_]
    commended: NDArray[np.bool_]
    promoted: NDArray[np.bool_]
    passed_over: NDArray[np.bool_]


class Learner(NamedTuple):
    """Each cadre's ties, place and what learning moves (beliefs, motivation, ability)."""

    peers: NDArray[np.int32]  # (n, k)
    unit: NDArray[np.int32]
    innate_motivation: NDArray[np.float64]
    motivation: NDArray[np.float64]  # updated in place, as are the rest
    ability: NDArray[np.float64]
    beliefs: tuple  # the perceived rules' beliefs (cadres.PERCEIVED_BELIEFS order)
    evidence: tuple  # ... and the evidence behind them
    belief_promote: NDArray[np.float64]


class Perceived(NamedTuple):
    """The rules as credited this year (perceived.Credited), as the kernel reads them."""

    rule: NDArray[np.float64]
    case_value: NDArray[np.float64]
    published: NDArray[np.float32]  # (Q, 2)
    is_rate: NDArray[np.bool_]


class Published(NamedTuple):
    """The promotion statistics seen in each unit, as update_beliefs reads them."""

    published: NDArray[np.bool_]  # a statistic exists
    statistic: NDArray[np.float64]  # its value (0 where none)
    weight: NDArray[np.float64]  # the weight of the update toward it


class Rates(NamedTuple):
    """The scalars of the learning phase, from the config and the regime in force."""

    safe_work_accusation_ratio: float
    belief_rate: float
    own_weight: float
    memory: float
    rule_weight: float
    motivation_reversion: float
    care_lift: float  # care_motivation_lift * care, multiplied first as in the NumPy path
    education: float
    conformity: float
    recognition_boost: float
    role_model_boost: float
    unfairness_penalty: float
    passed_over_penalty: float
    training: float
    experience_gain: float
    skill_decay: float


def rates(config: ModelConfig, regime: Regime) -> Rates:
    """The learning phase's scalars under ``regime``."""
    lrn, sup = config.learning, regime.support
    return Rates(
        safe_work_accusation_ratio=config.behaviour.safe_work_accusation_ratio,
        belief_rate=lrn.belief_rate,
        own_weight=lrn.own_weight,
        memory=lrn.memory,
        rule_weight=lrn.rule_weight,
        motivation_reversion=lrn.motivation_reversion,
        care_lift=lrn.care_motivation_lift * sup.care,
        education=sup.education,
        conformity=lrn.conformity,
        recognition_boost=lrn.recognition_boost,
        role_model_boost=lrn.role_model_boost,
        unfairness_penalty=lrn.unfairness_penalty,
        passed_over_penalty=lrn.passed_over_penalty,
        training=sup.training,
        experience_gain=lrn.experience_gain,
        skill_decay=lrn.skill_decay,
    )


def learn(
    cadres: CadreArrays,
    action: NDArray[np.int8],
    out: Outcomes,
    rev: Review,
    tour: Tournament,
    commended: NDArray[np.bool_],
    config: ModelConfig,
    regime: Regime,
    credited,
) -> None:
    """Phase 5 in place, as simulation.step.learn does after choosing the role models.

    ``credited`` is the year's ``perceived.Credited``.
    """
    lrn = config.learning
    stat = tour.responsiveness
    weight = lrn.belief_rate * f.pool_weight(tour.responsiveness_size, lrn.statistic_pseudocount)
    seen = Seen(action=action, caught_idle=rev.caught_idle, caught_formal=rev.caught_formal,
                routine_punished=rev.routine_punished, routine_failure=out.routine_failure,
                failure_punished=rev.failure_punished, failure_tolerated=rev.failure_tolerated,
                accused=rev.accused, accusation_upheld=rev.accusation_upheld, rung=rev.rung,
                wrongful=rev.wrongful, commended=commended, promoted=tour.promoted,
                passed_over=tour.passed_over)
    learner = Learner(
        peers=cadres.peers, unit=cadres.unit,
        innate_motivation=cadres.innate_motivation, motivation=cadres.motivation,
        ability=cadres.ability,
        beliefs=tuple(getattr(cadres, name) for name in PERCEIVED_BELIEFS),
        evidence=tuple(getattr(cadres, name) for name in PERCEIVED_EVIDENCE),
        belief_promote=cadres.belief_promote,
    )
    perceived = Perceived(rule=credited.rule, case_value=credited.case_value,
                          published=credited.published, is_rate=credited.is_rate)
    _learn_plain(plain(seen), plain(learner), stat, weight, plain(perceived),
                 plain(rates(config, regime)))


#: The largest float, which ``np.nan_to_num`` puts for an infinite statistic.
LARGEST = float(np.finfo(np.float64).max)


@kernel
def read_published(stat):  # pragma: no cover - compiled
    """Which units published a promotion statistic, and the statistic as learning reads it.

    As NumPy's ``~isnan`` and ``nan_to_num`` read ``stat``: NaN is unpublished (read as 0),
    infinities are clipped to the largest finite float.
    """
    known = np.empty(stat.size, dtype=np.bool_)
    statistic = np.empty(stat.size)
    for u in range(stat.size):
        value = stat[u]
        known[u] = value == value
        statistic[u] = min(max(value, -LARGEST), LARGEST) if value == value else 0.0
    return known, statistic


@kernel
def _learn_plain(seen, learner, stat, weight, perceived, p):  # pragma: no cover - compiled
    """``_learn`` of the records as plain tuples (``jit.plain``).

    The ``Published`` statistics are read off ``stat`` (NaN where a unit saw none) as NumPy's
    ``~isnan`` and ``nan_to_num`` read them.
    """
    known, statistic = read_published(stat)
    _learn(Seen(*seen), Learner(*learner), Published(known, statistic, weight),
           Perceived(*perceived), Rates(*p))


@kernel
def _observe(seen, motivation, unit, p):  # pragma: no cover - compiled
    """(own observations (n, 16) float32, per-unit totals of the unit-seen columns).

    ``seen`` is the year's ``Seen``, ``p`` the ``Rates``.
    """
    action, caught_idle, caught_formal = seen.action, seen.caught_idle, seen.caught_formal
    failure_punished, failure_tolerated = seen.failure_punished, seen.failure_tolerated
    accusation_upheld, commended, rung = seen.accusation_upheld, seen.commended, seen.rung
    n = action.size
    n_units = 0
    for i in range(n):
        n_units = max(n_units, unit[i] + 1)
    own = np.empty((n, N_OBSERVED), dtype=np.float32)
    totals = np.zeros((n_units, UNIT_COLUMNS.size))
    for i in range(n):
        a = action[i]
        formal = a == FORMAL
        safe = formal | (a == ROUTINE)
        own[i, CAUGHT_IDLE] = caught_idle[i]
        own[i, IDLE_SEEN] = a == IDLE
        own[i, CAUGHT_FORMAL] = caught_formal[i]
        own[i, FORMAL_SEEN] = formal
        own[i, ROUTINE_PUNISHED] = seen.routine_punished[i]
        own[i, ROUTINE_FAILURE] = seen.routine_failure[i]
        own[i, PUNISHED] = failure_punished[i]
        own[i, REVIEWED] = failure_punished[i] | failure_tolerated[i]
        own[i, ACCUSED] = seen.accused[i]
        own[i, ACCUSE_EXPOSURE] = (
            indicator(a == BOLD) + p.safe_work_accusation_ratio * indicator(safe)
        )
        own[i, UPHELD] = accusation_upheld[i]
        own[i, WARNED] = rung[i] == f.WARNING
        own[i, DEMOTED] = rung[i] == f.DEMOTION
        own[i, REMOVED] = rung[i] == f.REMOVAL
        own[i, MOTIVATION] = motivation[i]
        own[i, COMMENDED] = commended[i]
        for c in range(UNIT_COLUMNS.size):
            totals[unit[i], c] += own[i, UNIT_COLUMNS[c]]
    return own, totals


@kernel
def _learn(seen, learner, published, perceived, p):  # pragma: no cover - compiled
    """Observations, then per cadre: peer sums, beliefs, motivation, ability (in place).

    ``seen`` is the year's ``Seen``, ``learner`` the cadres' ``Learner`` arrays (updated in
    place), ``published`` the ``Published`` promotion statistics, ``perceived`` the
    ``Perceived`` rules as credited, ``p`` the ``Rates``. Each cadre's sums are kept in one small
    float32 array, reused from cadre to cadre.
    """
    action, wrongful, commended = seen.action, seen.wrongful, seen.commended
    promoted, passed_over = seen.promoted, seen.passed_over
    peers, unit = learner.peers, learner.unit
    innate_motivation, motivation = learner.innate_motivation, learner.motivation
    ability, beliefs, evidence = learner.ability, learner.beliefs, learner.evidence
    belief_promote = learner.belief_promote
    known, statistic, weight = published.published, published.statistic, published.weight
    own, totals = _observe(seen, motivation, unit, p)
    n, k = peers.shape
    ties = np.float32(k)
    own_weight = np.float32(p.own_weight)
    role_model_boost = np.float32(p.role_model_boost)
    sums = np.zeros(N_OBSERVED, dtype=np.float32)
    for i in range(n):
        if i + AHEAD < n:
            for j in range(k):
                prefetch_row(own, peers[i + AHEAD, j])
        for c in range(N_OBSERVED):
            sums[c] = np.float32(0.0)
        for j in range(k):  # the peers' sums, tie by tie, as SciPy's CSR product adds them
            peer = peers[i, j]
            for c in range(N_OBSERVED):
                sums[c] += own[peer, c]
        # Detection and sanctions are also seen across the whole unit (unit_mates_sums).
        for c in range(UNIT_COLUMNS.size):
            column = UNIT_COLUMNS[c]
            sums[column] += np.float32(totals[unit[i], c] - own[i, column])
        # One call per perceived rule, each with its own arrays (a constant tuple index).
        _perceive(beliefs[0], evidence[0], i, 0, own, sums, own_weight, perceived, p)
        _perceive(beliefs[1], evidence[1], i, 1, own, sums, own_weight, perceived, p)
        _perceive(beliefs[2], evidence[2], i, 2, own, sums, own_weight, perceived, p)
        _perceive(beliefs[3], evidence[3], i, 3, own, sums, own_weight, perceived, p)
        _perceive(beliefs[4], evidence[4], i, 4, own, sums, own_weight, perceived, p)
        _perceive(beliefs[5], evidence[5], i, 5, own, sums, own_weight, perceived, p)
        _perceive(beliefs[6], evidence[6], i, 6, own, sums, own_weight, perceived, p)
        _perceive(beliefs[7], evidence[7], i, 7, own, sums, own_weight, perceived, p)
        _perceive(beliefs[8], evidence[8], i, 8, own, sums, own_weight, perceived, p)
        if known[unit[i]]:
            belief_promote[i] = smooth(belief_promote[i], statistic[unit[i]], weight[unit[i]])
        norm = sums[MOTIVATION] / ties
        m = motivation[i]
        target = innate_motivation[i]
        target = target + p.care_lift * (1.0 - target)
        delta = (
            p.motivation_reversion * (target - m)
            + p.education * (1.0 - m)
            + p.conformity * (np.float64(norm) - m)
            + p.recognition_boost * indicator(promoted[i] | commended[i])
            + np.float64(role_model_boost * sums[COMMENDED])
            - p.unfairness_penalty * indicator(wrongful[i])
            - p.passed_over_penalty * indicator(passed_over[i])
        )
        motivation[i] = clip01(m + delta)
        a = ability[i]
        gain = (p.training + p.experience_gain * indicator(action[i] == BOLD)) * (1.0 - a)
        loss = p.skill_decay * indicator(action[i] == IDLE) * a
        ability[i] = clip01(a + gain - loss)


@kernel
def _perceive(belief, evidence, i, q, own, sums, own_weight, perceived, p
              ):  # pragma: no cover - compiled
    """update_beliefs for perceived rule ``q`` of cadre ``i``.

    Own cases (weighted, float32) plus those seen and published, then perceived_update.
    """
    e, x = EVENT_COLUMN[q], EXPOSURE_COLUMN[q]
    events = own_weight * own[i, e] + sums[e] + perceived.published[q, 0]
    exposed = own_weight * own[i, x] + sums[x] + perceived.published[q, 1]
    updated, weight = perceived_update(
        belief[i], evidence[i], perceived.rule[q], np.float64(events) * perceived.case_value[q],
        np.float64(exposed), p.memory, p.rule_weight,
    )
    belief[i] = clip01(updated) if perceived.is_rate[q] else updated
    evidence[i] = weight


def organisation_cases(action: NDArray[np.int8], out: Outcomes, rev: Review,
                       safe_work_accusation_ratio: float) -> NDArray[np.float64]:
    """As ``perceived.organisation_cases``: the year's cases, (Q, 2) events and exposures."""
    return _cases(action, rev.caught_idle, rev.caught_formal, rev.routine_punished,
                  out.routine_failure, rev.failure_punished, rev.failure_tolerated, rev.accused,
                  rev.accusation_upheld, rev.rung, float(safe_work_accusation_ratio))


@kernel
def _cases(action, caught_idle, caught_formal, routine_punished, routine_failure,
           failure_punished, failure_tolerated, accused, upheld, rung,
           ratio):  # pragma: no cover - compiled
    """The counts of ``perceived.organisation_cases``, then its rows.

    Counts are exact; the one product (the accusation exposure of safe work) is formed as the
    NumPy path forms it, from the same counts. One tight loop per count, which LLVM vectorises.
    """
    actions = np.zeros(4, dtype=np.int64)
    for i in range(action.size):
        actions[action[i]] += 1
    rungs = np.zeros(len(f.RUNGS), dtype=np.int64)
    for i in range(rung.size):
        if rung[i] >= 0:
            rungs[rung[i]] += 1
    accusations = count(accused)
    reviewed = 0
    for i in range(failure_punished.size):
        reviewed += failure_punished[i] | failure_tolerated[i]
    safe = actions[FORMAL] + actions[ROUTINE]
    cases = np.empty((6 + len(f.RUNGS), 2))
    cases[0, 0], cases[0, 1] = count(caught_idle), actions[IDLE]
    cases[1, 0], cases[1, 1] = count(caught_formal), actions[FORMAL]
    cases[2, 0], cases[2, 1] = count(routine_punished), count(routine_failure)
    cases[3, 0], cases[3, 1] = count(failure_punished), reviewed
    cases[4, 0], cases[4, 1] = accusations, actions[BOLD] + ratio * safe
    cases[5, 0], cases[5, 1] = count(upheld), accusations
    for k in range(len(f.RUNGS)):
        cases[6 + k, 0] = rungs[k]
        cases[6 + k, 1] = rungs[k]
    return cases


@kernel
def count(mask):  # pragma: no cover - compiled
    """Cadres in ``mask`` (``np.count_nonzero``)."""
    total = 0
    for i in range(mask.size):
        total += mask[i]
    return total
