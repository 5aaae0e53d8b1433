"""How much lying flat the career stake holds back, on the age-ceiling check's own cadres.

The command behind docs/validation.md's bound on ``career_concerns_age_ceiling``
(``experiments.validation.career_stake``), at the defaults or at ``--set`` values:

    python -m scripts.career_stake          # 20 seeds, about 10 s
    python -m scripts.career_stake --set behaviour.effort_cost=0.5

Prints the mean chance of lying flat with the stake, without it and the difference, with 95%
intervals over seeds; nothing is written. A bad ``--set`` is named and exits with 2.
"""

from __future__ import annotations

import argparse

import numpy as np

from experiments.analysis.intervals import t_interval
from experiments.validation.career_stake import BAND, SEED_ARM, SEED_BASE, stake_effect
from experiments.validation.patterns import CEILING
from experiments.validation.tools import seeds
from simulation.errors import ConfigError
from simulation.loading import checked_settings


def main(argv: list[str] | None = None) -> None:
    """Print the measurement (module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                        help="a parameter value instead of the default (repeatable)")
    args = parser.parse_args(argv)
    try:
        overrides = checked_settings(args.sets)  # a bad field is named, with what is allowed
    except ConfigError as error:
        parser.exit(2, f"career_stake: {error}\n")
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
