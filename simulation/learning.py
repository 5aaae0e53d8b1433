"""Phase 5, learning: beliefs follow what a cadre and its peers saw happen; motivation and
ability move with recognition, unfairness, education, care, conformity and training."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from simulation import formulas as f
from simulation.accountability import Review
from simulation.config import ModelConfig, Regime
from simulation.outcomes import Outcomes
from simulation.population import CadreArrays
from simulation.promotion import Tournament


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


def update_beliefs(
    cadres: CadreArrays, action: NDArray[np.int8], rev: Review, tour: Tournament, rate: float,
    own_weight: float,
) -> None:
    """Move each belief toward the share observed over self and peers (only where observed).

    Detection: of idle cadres, the share caught. Punishment: of honest bold failures, the share
    punished. Accusation: of active cadres, the share sanctioned on a false accusation.
    Promotion: the published responsiveness of promotion to performance in the cadre's rank
    and group (front line or not), so a front-line quota is felt by those it favours.
    """
    peers = cadres.peers
    idle = action == f.IDLE
    observed = (
        (cadres.belief_detect, rev.caught_idle, idle),
        (cadres.belief_punish, rev.failure_punished, rev.failure_punished | rev.failure_tolerated),
        (cadres.belief_accuse, rev.accusation_upheld, ~idle),
    )
    for belief, events, exposed in observed:
        share, weight = f.weighted_share(events, exposed, peers, own_weight)
        seen = weight > 0
        belief[seen] = f.smooth(belief[seen], share[seen], rate)
    stat = tour.responsiveness[cadres.rank, cadres.front_line.astype(np.intp)]
    seen = ~np.isnan(stat)
    cadres.belief_promote[seen] = f.smooth(
        cadres.belief_promote[seen], np.clip(stat[seen], 0.0, 1.0), rate
    )


def update_motivation(
    cadres: CadreArrays,
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
    norm = m[cadres.peers].mean(axis=1)
    target = cadres.innate_motivation
    target = target + lrn.care_motivation_lift * sup.care * (1.0 - target)
    role_models = commended[cadres.peers].sum(axis=1)
    delta = (
        lrn.motivation_reversion * (target - m)
        + sup.education * (1.0 - m)
        + lrn.conformity * (norm - m)
        + lrn.recognition_boost * (tour.promoted | commended)
        + lrn.role_model_boost * role_models
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
