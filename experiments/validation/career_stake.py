"""How much lying flat the career stake holds back: what an age ceiling can take away.

The ``career_concerns_age_ceiling`` check asks that a ceiling at 50 raise the idle share of
cadres aged 50-54 over those aged 45-49 by at least 0.05. A ceiling takes the career stake away
and nothing else, so the jump it can make is bounded by what removing the whole stake does to
the chance of lying flat of cadres who hold one. This measures that bound on the check's own
cadres (aged 45-49 under a ceiling at 50, not at the top rank, not sanctioned), population and
years (``stake_effect``; the command is ``python -m scripts.career_stake``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from experiments.validation.patterns import BAND as BAND_YEARS
from experiments.validation.patterns import CEILING
from experiments.validation.probes import idle_chances
from experiments.validation.tools import run_stepwise

#: The check's seeds for its ceiling arm (``patterns.run_age_ceiling``: base 8000, arm 1).
SEED_BASE, SEED_ARM = 8000, 1
BAND = (CEILING - BAND_YEARS, CEILING)  # the check's band below the ceiling, ages 45-49


def stake_effect(overrides: Mapping[str, Any], seed: int) -> tuple[float, float]:
    """One run's mean chance of lying flat in the band, with and without the career stake."""
    totals = np.zeros(3)

    def before(model):
        c = model.cadres
        band = ((c.rank < model.config.organisation.n_ranks - 1) & (c.sanction_years == 0)
                & (c.age >= BAND[0]) & (c.age < BAND[1]))
        staked, unstaked = idle_chances(model)
        return staked[band].sum(), unstaked[band].sum(), np.count_nonzero(band)

    def after(model, state, totals=totals):
        totals += state

    run_stepwise({**overrides, "regime.promotion.age_ceiling": CEILING}, seed, before, after)
    return float(totals[0] / totals[2]), float(totals[1] / totals[2])
