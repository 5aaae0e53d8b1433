"""Measurements the model does not report per step, computed from its public functions.

* ``tournament_probe``: who was a promotion candidate each year, with the record and tenure the
  tournament saw. ``simulation.step.advance`` calls ``hold_tournament`` through its module
  namespace; the probe wraps that name for the duration of a ``with`` block and restores it.
  The wrapper draws no random numbers and changes nothing, so a probed run is identical to an
  unprobed one (``tests/test_validation.py`` checks this). A hook in the model would make the
  wrap unnecessary (see docs/validation.md, "Model hooks").
* ``chilling``: the share of active cadres whose best response is not bold work but would be if
  the perceived sanction risk of acting were removed (the ``fear = 0`` counterfactual of the
  inaction split, ODD section 8): Wang's (2022) "chilling effect" on initiative.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

import simulation.step as step_module
from simulation import decision, promotion
from simulation.formulas import BOLD, IDLE


@dataclass(frozen=True)
class TournamentView:
    """What one year's tournament saw and decided (arrays over all slots)."""

    pool: NDArray[np.bool_]  # candidates: eligible or self-recommended
    rank: NDArray[np.int8]  # rank competed from (after this year's demotions)
    record: NDArray[np.float64]  # performance record scored (this year's measured output in)
    years_in_rank: NDArray[np.int16]  # seniority scored
    promoted: NDArray[np.bool_]


@contextlib.contextmanager
def tournament_probe(views: list[TournamentView]) -> Iterator[None]:
    """Within the block, every tournament appends a :class:`TournamentView` to ``views``."""
    original = step_module.hold_tournament

    def probed(cadres, config, regime, capacities, rng, leaving=None):
        promo = regime.promotion
        n_ranks = config.organisation.n_ranks
        # Eligibility exactly as promotion.hold_tournament computes it (docs/ODD.md 7.4); the
        # fast-track band is a pure function of the state, so computing it here draws nothing.
        band = promotion.fast_track_band(cadres, n_ranks, promo.fast_track_share)
        unbarred = (cadres.sanction_years == 0) & (cadres.probation_years == 0)
        unbarred &= cadres.rank < n_ranks - 1
        if leaving is not None:
            unbarred &= ~leaving
        tenure_ok = (cadres.years_in_rank >= promo.min_tenure) | band
        age_ok = (
            (cadres.age < promo.age_ceiling) | band
            if promo.age_ceiling > 0
            else np.ones(cadres.n, dtype=np.bool_)
        )
        eligible = unbarred & tenure_ok & age_ok
        before = (cadres.rank.copy(), cadres.record.copy(), cadres.years_in_rank.copy())
        result = original(cadres, config, regime, capacities, rng, leaving)
        pool = eligible | result.self_recommended
        if np.any(result.promoted & ~pool):
            raise AssertionError("tournament_probe: a winner outside the reconstructed pool")
        views.append(TournamentView(pool, *before, promoted=result.promoted.copy()))
        return result

    step_module.hold_tournament = probed
    try:
        yield
    finally:
        step_module.hold_tournament = original


def best_responses(model) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Each cadre's best response this year, as things are and with the perceived sanction risk
    of acting removed (start-of-year state: call before ``model.step()``)."""
    cfg, regime = model.config, model.regime
    x = decision.decision_inputs(model.cadres, cfg, regime)
    factual = decision.utilities(x, cfg.behaviour, regime).argmax(axis=1)
    fearless = decision.utilities(x.with_(fear=0.0), cfg.behaviour, regime).argmax(axis=1)
    return factual, fearless


def chilling(
    action: NDArray, best: NDArray, best_without_fear: NDArray
) -> tuple[int, int]:
    """(chilled, active): the active cadres (formal, routine or bold this year; entrants' -1
    excluded), and those among them whose best response is not bold but would be bold without
    the perceived sanction risk of acting."""
    active = action > IDLE
    chilled = active & (best != BOLD) & (best_without_fear == BOLD)
    return int(np.count_nonzero(chilled)), int(np.count_nonzero(active))
