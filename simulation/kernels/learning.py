"""Phase 5, learning, compiled: what each cadre saw, its peers' and unit's sums, and every update.

The NumPy path (simulation.learning.learn, called by simulation.step.learn) builds an (n, 8)
table of observations, sums it over peers with a sparse product and over units with bincount,
then updates beliefs, motivation and ability array by array. Here one pass builds the table and the
unit totals, and a second pass reads each cadre's peers' rows and applies every update to that
cadre; sums run in the NumPy path's order (peers in tie order in float32, as SciPy's CSR
product; unit totals in slot order in float64, as bincount), so results are the same bit for bit.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from simulation import formulas as f
from simulation.cadres import CadreArrays
from simulation.config import ModelConfig, Regime
from simulation.kernels.jit import kernel
from simulation.kernels.prefetch import prefetch_row
from simulation.kernels.scalar import clip01, indicator, rate_update, smooth
from simulation.records import Review, Tournament

IDLE, FORMAL, ROUTINE, BOLD = f.IDLE, f.FORMAL, f.ROUTINE, f.BOLD
# Columns of the observation table (the kernel's own layout; learning.OBSERVED's meaning).
CAUGHT, DETECT_EXPOSURE, PUNISHED, REVIEWED, UPHELD, ACCUSE_EXPOSURE, MOTIVATION, COMMENDED = (
    range(8)
)
N_OBSERVED = 8
#: Cadres ahead whose peers' rows are prefetched (best of 4-32 at a million cadres).
AHEAD = 8


class Seen(NamedTuple):
    """What happened to each cadre this year that it and its peers can see."""

    action: NDArray[np.int8]
    caught_idle: NDArray[np.bool_]
    caught_formal: NDArray[np.bool_]
    failure_punished: NDArray[np.bool_]
    failure_tolerated: NDArray[np.bool_]
    accusation_upheld: NDArray[np.bool_]
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
    belief_detect: NDArray[np.float64]
    belief_punish: NDArray[np.float64]
    belief_accuse: NDArray[np.float64]
    belief_promote: NDArray[np.float64]


class Published(NamedTuple):
    """The promotion statistics seen in each unit, as update_beliefs reads them."""

    published: NDArray[np.bool_]  # a statistic exists
    statistic: NDArray[np.float64]  # its value (0 where none)
    weight: NDArray[np.float64]  # the weight of the update toward it


class Rates(NamedTuple):
    """The scalars of the learning phase, from the config and the regime in force."""

    formalism_detection: float
    safe_work_accusation_ratio: float
    belief_rate: float
    own_weight: float
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
        formalism_detection=regime.evaluation.formalism_detection,
        safe_work_accusation_ratio=config.behaviour.safe_work_accusation_ratio,
        belief_rate=lrn.belief_rate,
        own_weight=lrn.own_weight,
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
    rev: Review,
    tour: Tournament,
    commended: NDArray[np.bool_],
    config: ModelConfig,
    regime: Regime,
) -> None:
    """Phase 5 in place, as simulation.step.learn does after choosing the role models."""
    lrn = config.learning
    stat = tour.responsiveness
    weight = lrn.belief_rate * f.pool_weight(tour.responsiveness_size, lrn.statistic_pseudocount)
    seen = Seen(action=action, caught_idle=rev.caught_idle, caught_formal=rev.caught_formal,
                failure_punished=rev.failure_punished, failure_tolerated=rev.failure_tolerated,
                accusation_upheld=rev.accusation_upheld, wrongful=rev.wrongful,
                commended=commended, promoted=tour.promoted, passed_over=tour.passed_over)
    learner = Learner(
        peers=cadres.peers, unit=cadres.unit,
        innate_motivation=cadres.innate_motivation, motivation=cadres.motivation,
        ability=cadres.ability, belief_detect=cadres.belief_detect,
        belief_punish=cadres.belief_punish, belief_accuse=cadres.belief_accuse,
        belief_promote=cadres.belief_promote,
    )
    published = Published(published=~np.isnan(stat), statistic=np.nan_to_num(stat),
                          weight=weight)
    _learn(seen, learner, published, rates(config, regime))


@kernel
def _observe(seen, motivation, unit, p):  # pragma: no cover - compiled
    """(own observations (n, 8) float32, per-unit totals of the two detection columns).

    ``seen`` is the year's ``Seen``, ``p`` the ``Rates``.
    """
    action, caught_idle, caught_formal = seen.action, seen.caught_idle, seen.caught_formal
    failure_punished, failure_tolerated = seen.failure_punished, seen.failure_tolerated
    accusation_upheld, commended = seen.accusation_upheld, seen.commended
    n = action.size
    n_units = 0
    for i in range(n):
        n_units = max(n_units, unit[i] + 1)
    own = np.empty((n, N_OBSERVED), dtype=np.float32)
    totals = np.zeros((n_units, 2))
    for i in range(n):
        a = action[i]
        formal = a == FORMAL
        safe = formal | (a == ROUTINE)
        own[i, CAUGHT] = caught_idle[i] | caught_formal[i]
        own[i, DETECT_EXPOSURE] = indicator(a == IDLE) + p.formalism_detection * indicator(formal)
        own[i, PUNISHED] = failure_punished[i]
        own[i, REVIEWED] = failure_punished[i] | failure_tolerated[i]
        own[i, UPHELD] = accusation_upheld[i]
        own[i, ACCUSE_EXPOSURE] = (
            indicator(a == BOLD) + p.safe_work_accusation_ratio * indicator(safe)
        )
        own[i, MOTIVATION] = motivation[i]
        own[i, COMMENDED] = commended[i]
        totals[unit[i], 0] += own[i, CAUGHT]
        totals[unit[i], 1] += own[i, DETECT_EXPOSURE]
    return own, totals


@kernel
def _learn(seen, learner, published, p):  # pragma: no cover - compiled
    """Observations, then per cadre: peer sums, beliefs, motivation, ability (in place).

    ``seen`` is the year's ``Seen``, ``learner`` the cadres' ``Learner`` arrays (updated in
    place), ``published`` the ``Published`` statistics, ``p`` the ``Rates``. Sums are kept in
    scalar float32 variables (registers), not a small array, and every update is written out:
    array temporaries or tuples of arrays inside the loop cost reference counts.
    """
    action, wrongful, commended = seen.action, seen.wrongful, seen.commended
    promoted, passed_over = seen.promoted, seen.passed_over
    peers, unit = learner.peers, learner.unit
    innate_motivation, motivation = learner.innate_motivation, learner.motivation
    ability, belief_detect = learner.ability, learner.belief_detect
    belief_punish, belief_accuse = learner.belief_punish, learner.belief_accuse
    belief_promote = learner.belief_promote
    known, statistic, weight = published.published, published.statistic, published.weight
    own, totals = _observe(seen, motivation, unit, p)
    n, k = peers.shape
    zero, ties = np.float32(0.0), np.float32(k)
    own_weight = np.float32(p.own_weight)
    role_model_boost = np.float32(p.role_model_boost)
    for i in range(n):
        if i + AHEAD < n:
            for j in range(k):
                prefetch_row(own, peers[i + AHEAD, j])
        caught = exposure_d = punished = reviewed = zero
        upheld = exposure_a = peer_motivation = role_models = zero
        for j in range(k):  # the peers' sums, tie by tie, as SciPy's CSR product adds them
            peer = peers[i, j]
            caught += own[peer, CAUGHT]
            exposure_d += own[peer, DETECT_EXPOSURE]
            punished += own[peer, PUNISHED]
            reviewed += own[peer, REVIEWED]
            upheld += own[peer, UPHELD]
            exposure_a += own[peer, ACCUSE_EXPOSURE]
            peer_motivation += own[peer, MOTIVATION]
            role_models += own[peer, COMMENDED]
        # Detection is also seen across the whole unit (unit_mates_sums).
        caught += np.float32(totals[unit[i], 0] - own[i, CAUGHT])
        exposure_d += np.float32(totals[unit[i], 1] - own[i, DETECT_EXPOSURE])
        belief_detect[i] = _learnt(belief_detect[i], own[i, CAUGHT], caught,
                                   own[i, DETECT_EXPOSURE], exposure_d, own_weight,
                                   p.belief_rate)
        belief_punish[i] = _learnt(belief_punish[i], own[i, PUNISHED], punished,
                                   own[i, REVIEWED], reviewed, own_weight, p.belief_rate)
        belief_accuse[i] = _learnt(belief_accuse[i], own[i, UPHELD], upheld,
                                   own[i, ACCUSE_EXPOSURE], exposure_a, own_weight,
                                   p.belief_rate)
        if known[unit[i]]:
            belief_promote[i] = smooth(belief_promote[i], statistic[unit[i]], weight[unit[i]])
        norm = peer_motivation / ties
        m = motivation[i]
        target = innate_motivation[i]
        target = target + p.care_lift * (1.0 - target)
        delta = (
            p.motivation_reversion * (target - m)
            + p.education * (1.0 - m)
            + p.conformity * (np.float64(norm) - m)
            + p.recognition_boost * indicator(promoted[i] | commended[i])
            + np.float64(role_model_boost * role_models)
            - p.unfairness_penalty * indicator(wrongful[i])
            - p.passed_over_penalty * indicator(passed_over[i])
        )
        motivation[i] = clip01(m + delta)
        a = ability[i]
        gain = (p.training + p.experience_gain * indicator(action[i] == BOLD)) * (1.0 - a)
        loss = p.skill_decay * indicator(action[i] == IDLE) * a
        ability[i] = clip01(a + gain - loss)


@kernel
def _learnt(belief, own_events, seen_events, own_exposure, seen_exposure, own_weight,
            rate):  # pragma: no cover - compiled
    """update_beliefs for one belief: own (weighted, float32) plus seen, then rate_update."""
    events = own_weight * own_events + seen_events
    exposed = own_weight * own_exposure + seen_exposure
    return clip01(rate_update(belief, np.float64(events), np.float64(exposed), rate))
