"""Measurements the model does not report per step, computed from its public functions.

* ``tournament_probe``: who was a promotion candidate each year, with the record and tenure the
  tournament saw, through the model's ``tournament_observer`` hook. Observing draws no random
  numbers and changes nothing, so a probed run is identical to an unprobed one
  (``tests/test_validation.py`` checks this).
* ``chilling``: the share of active cadres whose best response is not bold work but would be if
  the perceived sanction risk of acting were removed (the ``fear = 0`` counterfactual of the
  inaction split, ODD section 8): Wang's (2022) "chilling effect" on initiative.
* ``idle_chances``: each cadre's chance of lying flat this year, with its career stake and
  without it: how much an age ceiling can move at most (the whole stake removed, nothing else).
* ``inaction_by_rank``: this year's inaction and its split by cause, rank by rank (the rank
  pattern of the cadre surveys: slack for want of inducements low down, for fear higher up).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from simulation import decision
from simulation.formulas import BOLD, IDLE, logit_probabilities
from simulation.model import CadreModel
from simulation.promotion import Tournament


@dataclass(frozen=True)
class TournamentView:
    """What one year's tournament saw and decided (arrays over all slots)."""

    pool: NDArray[np.bool_]  # candidates: eligible or self-recommended
    rank: NDArray[np.int8]  # rank competed from (after this year's demotions)
    record: NDArray[np.float64]  # performance record scored (this year's measured output in)
    years_in_rank: NDArray[np.int16]  # seniority scored
    promoted: NDArray[np.bool_]


@contextlib.contextmanager
def tournament_probe(model: CadreModel, views: list[TournamentView]) -> Iterator[None]:
    """Within the block, each of ``model``'s tournaments appends a :class:`TournamentView`."""

    def observe(tour: Tournament) -> None:
        # Called right after promotion: the record is still the one the tournament scored.
        views.append(TournamentView(
            tour.pool, tour.competed_rank, model.cadres.record.copy(), tour.seniority,
            promoted=tour.promoted.copy(),
        ))

    previous = model.tournament_observer
    model.tournament_observer = observe
    try:
        yield
    finally:
        model.tournament_observer = previous


def best_responses(model) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Each cadre's best response this year, with and without fear.

    Each cadre's best response this year, as things are and with the perceived sanction risk of
    acting removed (start-of-year state: call before ``model.step()``).
    """
    cfg, regime = model.config, model.regime
    x = decision.decision_inputs(model.cadres, cfg, regime)
    factual = decision.utilities(x, cfg.behaviour, regime).argmax(axis=1)
    fearless = decision.utilities(x.with_(fear=0.0), cfg.behaviour, regime).argmax(axis=1)
    return factual, fearless


def chilling(
    action: NDArray, best: NDArray, best_without_fear: NDArray
) -> tuple[int, int]:
    """(chilled, active): active cadres, and those deterred from bold work.

    (chilled, active): the active cadres (formal, routine or bold this year; entrants' -1 excluded),
    and those among them whose best response is not bold but would be bold without the perceived
    sanction risk of acting.
    """
    active = action > IDLE
    chilled = active & (best != BOLD) & (best_without_fear == BOLD)
    return int(np.count_nonzero(chilled)), int(np.count_nonzero(active))


def idle_chances(model) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Each cadre's chance of lying flat this year, as things are and with no career stake.

    The logit probabilities of this year's inputs (start-of-year state: call before
    ``model.step()``), then the same with every career weight 0 and nothing else changed.
    """
    cfg, regime = model.config, model.regime
    b = cfg.behaviour
    x = decision.decision_inputs(model.cadres, cfg, regime)
    staked = logit_probabilities(decision.utilities(x, b, regime), b.temperature)[:, IDLE]
    unstaked = logit_probabilities(decision.utilities(x.with_(career=0.0), b, regime),
                                   b.temperature)[:, IDLE]
    return staked, unstaked


#: Columns of ``inaction_by_rank``, all counts: cadres, inactive cadres, the inactive cadres
#: attributed to each cause (``decision.CAUSES``, Shapley), those naming each cause as their
#: first reason, and those naming it among their reasons (a multiple response; same order).
RANK_COLUMNS: tuple[str, ...] = ("cadres", "inactive", *(f"cause:{c}" for c in decision.CAUSES),
                                 *(f"reason:{c}" for c in decision.CAUSES),
                                 *(f"named:{c}" for c in decision.CAUSES))


def inaction_by_rank(model) -> NDArray[np.float64]:
    """This year's choices and their accounting rank by rank: (ranks, ``RANK_COLUMNS``) counts.

    From the start-of-year state (call before ``model.step()``) and the year's own taste
    draws (counter-based: reading them changes nothing). Choices and their counterfactuals are
    each cadre's own, so the ranks' rows add up to the accounting of all cadres at once.
    """
    cfg, regime = model.config, model.regime
    x = decision.decision_inputs(model.cadres, cfg, regime)
    taste = model.streams.taste(model.year + 1, model.cadres.n)
    rows = np.zeros((cfg.organisation.n_ranks, len(RANK_COLUMNS)))
    for rank in range(cfg.organisation.n_ranks):
        held = np.flatnonzero(model.cadres.rank == rank)
        if not held.size:
            continue
        own = x.subset(held)
        action = decision.choose(own, cfg, regime, taste[held])
        split = decision.account_inaction(own, action, taste[held], cfg, regime)
        rows[rank] = (held.size, split.counts().sum(), *split.causes, *split.reasons,
                      *split.named)
    return rows
