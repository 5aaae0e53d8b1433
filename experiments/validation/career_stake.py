"""How much lying flat the career stake holds back: what an age ceiling can take away.

The ``career_concerns_age_ceiling`` check asks that a ceiling at 50 raise the idle share of
cadres aged 50-54 over those aged 45-49 by at least 0.05. A ceiling takes the career stake away
and nothing else, so the jump it can make is bounded by what removing the whole stake does to
the chance of lying flat of cadres who hold one. This measures that bound on the check's own
cadres (aged 45-49 under a ceiling at 50, not at the top rank, not sanctioned), population and
years, at the defaults or at ``--set`` values:

    python -m experiments.validation.career_stake          # 20 seeds, about 20 s
    python -m experiments.validation.career_stake --set behaviour.effort_cost=0.5

Prints the mean chance with the stake, without it and the difference, with 95% intervals over
seeds; nothing is written.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

import numpy as np

from experiments.analysis.intervals import t_interval
from experiments.validation.patterns import CEILING
from experiments.validation.probes import idle_chances
from experiments.validation.tools import run_stepwise, seeds
from simulation.errors import ConfigError
from simulation.loading import load_config, parse_assignment

#: The check's seeds for its ceiling arm (``patterns.run_age_ceiling``: base 8000, arm 1).
SEED_BASE, SEED_ARM = 8000, 1
BAND = (CEILING - 5, CEILING)  # the check's band below the ceiling, ages 45-49


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


def main(argv: list[str] | None = None) -> None:
    """Print the bound (module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                        help="a parameter value instead of the default (repeatable)")
    args = parser.parse_args(argv)
    try:
        load_config(overrides=args.sets)  # a bad field is named, with what is allowed
    except ConfigError as error:
        parser.exit(2, f"career_stake: {error}\n")
    overrides = dict(parse_assignment(text) for text in args.sets)
    runs = np.array([stake_effect(overrides, s) for s in seeds(SEED_BASE, SEED_ARM)])
    print(f"cadres aged {BAND[0]}-{BAND[1] - 1} under an age ceiling at {CEILING} (not top "
          f"rank, not sanctioned), {len(runs)} seeds, years after the burn-in:")
    for label, values in (("chance of lying flat with the career stake", runs[:, 0]),
                          ("without it", runs[:, 1]),
                          ("difference: what the stake holds back", runs[:, 1] - runs[:, 0])):
        _, mean, _, low, high = t_interval(values)
        print(f"  {label}: {mean:.3f} [{low:.3f}, {high:.3f}]")


if __name__ == "__main__":
    main()
