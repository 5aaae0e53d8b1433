"""Phase 5, learning: beliefs follow what a cadre and its peers saw happen; motivation and
ability move with recognition, unfairness, education, care, conformity and training."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from simulation import formulas as f
from simulation.cadres import CadreArrays
from simulation.config import Learning, ModelConfig, Regime
from simulation.network import peer_sums, unit_mates_sums
from simulation.records import Outcomes, Review, Tournament


def commend(out: Outcomes, share: float) -> NDArray[np.bool_]:
    """Role models: the best-measured successful bold cadres, ``share`` of the whole population."""
    commended = np.zeros(out.real.size, dtype=np.bool_)
    k = round(share * out.real.size)
    heroes = np.flatnonzero(out.bold_success)
    if k <= 0 or heroes.size == 0:
        return commended
    k = min(k, heroes.size)
    best = np.argpartition(-out.measured[heroes], k - 1)[:k]
    commended[heroes[best]] = True
    return commended


def learn(
    cadres: CadreArrays,
    action: NDArray[np.int8],
    rev: Review,
    tour: Tournament,
    commended: NDArray[np.bool_],
    config: ModelConfig,
    regime: Regime,
) -> None:
    """Beliefs, motivation and ability, in place, once the role models are ``commended``.

    The NumPy reference of ``simulation.kernels.learning.learn``.
    """
    own, peers = observe(cadres, action, rev, commended, config, regime)
    update_beliefs(cadres, own, peers, tour, config.learning)
    update_motivation(cadres, peers, rev, tour, commended, config, regime)
    update_ability(cadres, action, config, regime)


#: What each cadre observed this year, as columns; peers' totals come from one sparse product.
OBSERVED: tuple[str, ...] = (
    "caught",  # caught lying flat or at formal work
    "detect_exposure",  # idle + formalism_detection x formal: cases that reveal detection
    "failure_punished",
    "failure_reviewed",
    "accusation_upheld",
    "accuse_exposure",  # bold + safe_work_accusation_ratio x (formal + routine)
    "motivation",
    "commended",
)
COL = {name: i for i, name in enumerate(OBSERVED)}


def observe(
    cadres: CadreArrays,
    action: NDArray[np.int8],
    rev: Review,
    commended: NDArray[np.bool_],
    config: ModelConfig,
    regime: Regime,
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """This year's observations (n, c) of each cadre about itself, and their sums over peers.

    Exposures are weighted so that events / exposure estimates the rate a belief is about:
    formal work is caught at formalism_detection times the detection rate of lying flat, and
    safe work is falsely accused at safe_work_accusation_ratio times the rate of bold work.
    """
    formal, bold = action == f.FORMAL, action == f.BOLD
    safe = formal | (action == f.ROUTINE)
    own = np.empty((cadres.n, len(OBSERVED)), dtype=np.float32)
    own[:, COL["caught"]] = rev.caught_idle | rev.caught_formal
    own[:, COL["detect_exposure"]] = (
        (action == f.IDLE) + regime.evaluation.formalism_detection * formal
    )
    own[:, COL["failure_punished"]] = rev.failure_punished
    own[:, COL["failure_reviewed"]] = rev.failure_punished | rev.failure_tolerated
    own[:, COL["accusation_upheld"]] = rev.accusation_upheld
    own[:, COL["accuse_exposure"]] = bold + config.behaviour.safe_work_accusation_ratio * safe
    own[:, COL["motivation"]] = cadres.motivation
    own[:, COL["commended"]] = commended
    return own, peer_sums(cadres.adjacency, own)


def update_beliefs(
    cadres: CadreArrays,
    own: NDArray[np.float32],
    peers: NDArray[np.float32],
    tour: Tournament,
    learning: Learning,
) -> None:
    """Move each belief toward the rate observed over self and others (only where observed).

    Detection: from every lying-flat and formal case the cadre can see (its own, its peers'
    and its whole unit's: who is disciplined for inaction is announced in the unit).
    Punishment: of honest bold failures, the share punished. Accusation: upheld false
    accusations per exposure-weighted active cadre. Promotion: the responsiveness of
    promotion to performance seen in the cadre's unit, weighted by the number of candidates
    behind it, so few cases are shrunk toward the current belief rather than clipped. A unit,
    unlike a whole rank, does not grow with the population, so the evidence does not either
    (a rank-wide statistic made beliefs, and so behaviour, depend on the population size).
    """
    rate, own_weight = learning.belief_rate, learning.own_weight
    seen = peers.copy()
    detection = [COL["caught"], COL["detect_exposure"]]
    seen[:, detection] += unit_mates_sums(cadres.unit, own[:, detection])
    learnt = (
        (cadres.belief_detect, "caught", "detect_exposure"),
        (cadres.belief_punish, "failure_punished", "failure_reviewed"),
        (cadres.belief_accuse, "accusation_upheld", "accuse_exposure"),
    )
    for belief, event, exposure in learnt:
        e, x = COL[event], COL[exposure]
        events = own_weight * own[:, e] + seen[:, e]
        exposed = own_weight * own[:, x] + seen[:, x]
        np.clip(f.rate_update(belief, events, exposed, rate), 0.0, 1.0, out=belief)
    stat, size = tour.responsiveness[cadres.unit], tour.responsiveness_size[cadres.unit]
    published = ~np.isnan(stat)
    weight = rate * f.pool_weight(size, learning.statistic_pseudocount)
    updated = f.smooth(cadres.belief_promote, np.nan_to_num(stat), weight)
    np.copyto(cadres.belief_promote, updated, where=published)


def update_motivation(
    cadres: CadreArrays,
    peers: NDArray[np.float32],
    rev: Review,
    tour: Tournament,
    commended: NDArray[np.bool_],
    config: ModelConfig,
    regime: Regime,
) -> None:
    """Motivation: reversion to (care-lifted) innate level, education, conformity to peers'
    attitudes, recognition, role models, and the sting of unfairness; clipped to [0, 1].

    Conformity pulls toward the peers' mean motivation, not their actions: a lying-flat
    attitude spreads, but work that sanctions compel does not create intrinsic motivation.
    """
    lrn, sup = config.learning, regime.support
    m = cadres.motivation
    norm = peers[:, COL["motivation"]] / cadres.peers.shape[1]
    target = cadres.innate_motivation
    target = target + lrn.care_motivation_lift * sup.care * (1.0 - target)
    delta = (
        lrn.motivation_reversion * (target - m)
        + sup.education * (1.0 - m)
        + lrn.conformity * (norm - m)
        + lrn.recognition_boost * (tour.promoted | commended)
        + lrn.role_model_boost * peers[:, COL["commended"]]
        - lrn.unfairness_penalty * rev.wrongful
        - lrn.passed_over_penalty * tour.passed_over
    )
    np.clip(m + delta, 0.0, 1.0, out=m)


def update_ability(
    cadres: CadreArrays, action: NDArray[np.int8], config: ModelConfig, regime: Regime
) -> None:
    """Ability: training and bold experience close the gap to 1; idle years erode skills."""
    lrn = config.learning
    a = cadres.ability
    gain = (regime.support.training + lrn.experience_gain * (action == f.BOLD)) * (1.0 - a)
    loss = lrn.skill_decay * (action == f.IDLE) * a
    np.clip(a + gain - loss, 0.0, 1.0, out=a)
