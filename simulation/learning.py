"""Phase 5, learning: beliefs about the regime follow the rules as credited and the cases a cadre
sees (its own, its peers', its unit's, published ones); motivation and ability move with
recognition, unfairness, education, care, conformity and training."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from simulation import formulas as f
from simulation.cadres import PERCEIVED_BELIEFS, PERCEIVED_EVIDENCE, CadreArrays
from simulation.config import Learning, ModelConfig, Regime
from simulation.network import peer_sums, unit_mates_sums
from simulation.perceived import Credited
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
    out: Outcomes,
    rev: Review,
    tour: Tournament,
    commended: NDArray[np.bool_],
    config: ModelConfig,
    regime: Regime,
    credited: Credited,
) -> None:
    """Beliefs, motivation and ability, in place, once the role models are ``commended``.

    ``credited`` holds the rules as credited and this year's published cases
    (``perceived.credited_view``). The NumPy reference of ``simulation.kernels.learning.learn``.
    """
    own, peers = observe(cadres, action, out, rev, commended, config)
    update_beliefs(cadres, own, peers, tour, config.learning, credited)
    update_motivation(cadres, peers, rev, tour, commended, config, regime)
    update_ability(cadres, action, config, regime)


#: What each cadre observed this year, as columns; peers' totals come from one sparse product.
OBSERVED: tuple[str, ...] = (
    "caught_idle",  # caught lying flat
    "idle",
    "caught_formal",  # caught at formal work, treated as inaction
    "formal",
    "routine_punished",  # a routine mishap punished (generalised accountability)
    "routine_failure",
    "failure_punished",  # an honest failed bold action punished
    "failure_reviewed",  # ... punished or tolerated
    "accused",  # falsely accused
    "accuse_exposure",  # bold + safe_work_accusation_ratio x (formal + routine)
    "upheld",  # a false accusation upheld
    "warned",  # sanctioned on each rung of the ladder
    "demoted",
    "removed",
    "motivation",
    "commended",
)
COL = {name: i for i, name in enumerate(OBSERVED)}
#: Each perceived rule (``perceived.QUANTITIES`` order): its event and its exposure. A case of
#: a rung's cost is a sanction on that rung (its event is the rung's cost, its exposure 1).
CASES: tuple[tuple[str, str], ...] = (
    ("caught_idle", "idle"),
    ("caught_formal", "formal"),
    ("routine_punished", "routine_failure"),
    ("failure_punished", "failure_reviewed"),
    ("accused", "accuse_exposure"),
    ("upheld", "accused"),
    ("warned", "warned"),
    ("demoted", "demoted"),
    ("removed", "removed"),
)
#: Columns seen across the whole unit: who is disciplined, and for what, is announced in it.
UNIT_SEEN: tuple[str, ...] = (
    "caught_idle", "idle", "caught_formal", "formal", "warned", "demoted", "removed",
)


def observe(
    cadres: CadreArrays,
    action: NDArray[np.int8],
    out: Outcomes,
    rev: Review,
    commended: NDArray[np.bool_],
    config: ModelConfig,
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """This year's observations (n, c) of each cadre about itself, and their sums over peers.

    Safe work is falsely accused at safe_work_accusation_ratio times the rate of bold work, so
    its exposure is weighted by that ratio.
    """
    formal, bold = action == f.FORMAL, action == f.BOLD
    safe = formal | (action == f.ROUTINE)
    own = np.empty((cadres.n, len(OBSERVED)), dtype=np.float32)
    own[:, COL["caught_idle"]] = rev.caught_idle
    own[:, COL["idle"]] = action == f.IDLE
    own[:, COL["caught_formal"]] = rev.caught_formal
    own[:, COL["formal"]] = formal
    own[:, COL["routine_punished"]] = rev.routine_punished
    own[:, COL["routine_failure"]] = out.routine_failure
    own[:, COL["failure_punished"]] = rev.failure_punished
    own[:, COL["failure_reviewed"]] = rev.failure_punished | rev.failure_tolerated
    own[:, COL["accused"]] = rev.accused
    own[:, COL["accuse_exposure"]] = bold + config.behaviour.safe_work_accusation_ratio * safe
    own[:, COL["upheld"]] = rev.accusation_upheld
    own[:, COL["warned"]] = rev.rung == f.WARNING
    own[:, COL["demoted"]] = rev.rung == f.DEMOTION
    own[:, COL["removed"]] = rev.rung == f.REMOVAL
    own[:, COL["motivation"]] = cadres.motivation
    own[:, COL["commended"]] = commended
    return own, peer_sums(cadres.adjacency, own)


def update_beliefs(
    cadres: CadreArrays,
    own: NDArray[np.float32],
    peers: NDArray[np.float32],
    tour: Tournament,
    learning: Learning,
    credited: Credited,
) -> None:
    """Move each belief about the regime with the cases seen (docs/ODD.md 7.5.2).

    Each perceived rule: the cases of the cadre itself (own_weight each), of its peers, of its
    whole unit for detection and sanctions (announced in the unit), and the published ones,
    added to the discounted evidence behind the belief (``formulas.perceived_update``).
    Promotion: the responsiveness of promotion to performance seen in the cadre's unit,
    weighted by the number of candidates behind it, so few cases are shrunk toward the current
    belief rather than clipped. A unit, unlike a whole rank, does not grow with the population,
    so the evidence does not either
    (a rank-wide statistic made beliefs, and so behaviour, depend on the population size).
    """
    seen = peers.copy()
    mates = [COL[name] for name in UNIT_SEEN]
    seen[:, mates] += unit_mates_sums(cadres.unit, own[:, mates])
    for q, (event, exposure) in enumerate(CASES):
        e, x = COL[event], COL[exposure]
        events = learning.own_weight * own[:, e] + seen[:, e] + credited.published[q, 0]
        exposed = learning.own_weight * own[:, x] + seen[:, x] + credited.published[q, 1]
        belief = getattr(cadres, PERCEIVED_BELIEFS[q])
        evidence = getattr(cadres, PERCEIVED_EVIDENCE[q])
        updated, weight = f.perceived_update(
            belief, evidence, credited.rule[q], events.astype(np.float64) * credited.case_value[q],
            exposed, learning.memory, learning.rule_weight,
        )
        if credited.is_rate[q]:
            np.clip(updated, 0.0, 1.0, out=updated)
        belief[:] = updated
        evidence[:] = weight
    rate = learning.belief_rate
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
