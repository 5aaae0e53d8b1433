"""Inaction and its causes rank by rank: the rank pattern of the cadre surveys, measured.

Chen, Keng and Zhang (2023) find slack among lower-ranked cadres caused mainly by a lack of
material inducements and among higher-ranked ones more by risk (docs/validation.md). This runs
the validation suite's population and years at the defaults or at ``--set`` values and prints,
for each rank, the inactive share and the share of inaction each cause explains (Shapley), each
reason is named first and each is named among the reasons, with 95% intervals over seeds
(``experiments.validation.probes.inaction_by_rank``):

    python -m scripts.rank_split              # 10 seeds, about 5 s
    python -m scripts.rank_split --seeds 20 --set regime.fault_tolerance.tolerance=0.8

Nothing is written. A bad ``--set`` is named and exits with 2.
"""

from __future__ import annotations

import argparse

import numpy as np

from experiments.analysis.intervals import t_interval
from experiments.validation.probes import RANK_COLUMNS, inaction_by_rank
from experiments.validation.tools import run_stepwise, seeds
from simulation.decision import CAUSES
from simulation.errors import ConfigError
from simulation.loading import checked_settings

#: Seeds of this measurement (apart from every check's).
SEED_BASE = 9500


def rank_rows(overrides: dict, seed: int) -> np.ndarray:
    """One run's counts per rank (``RANK_COLUMNS``), summed over the kept years."""
    totals: list[np.ndarray] = []

    def before(model):
        return inaction_by_rank(model)

    def after(model, rows):
        totals.append(rows)

    run_stepwise(overrides, seed, before, after)
    return np.sum(totals, axis=0)


def main(argv: list[str] | None = None) -> None:
    """Print the measurement (module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="runs (default 10)")
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                        help="a parameter value instead of the default (repeatable)")
    args = parser.parse_args(argv)
    if args.seeds < 2:
        parser.exit(2, f"rank_split: --seeds: got {args.seeds}; allowed: 2 or more\n")
    try:
        overrides = checked_settings(args.sets)
    except ConfigError as error:
        parser.exit(2, f"rank_split: {error}\n")
    runs = np.array([rank_rows(overrides, s) for s in seeds(SEED_BASE, 0, args.seeds)])
    column = {name: k for k, name in enumerate(RANK_COLUMNS)}
    cadres, inactive = runs[..., column["cadres"]], runs[..., column["inactive"]]

    def cell(values: np.ndarray) -> str:
        _, mean, _, low, high = t_interval(values)
        return f"{mean:.3f} [{low:.3f}, {high:.3f}]"

    print(f"{args.seeds} runs, years after the burn-in; shares of inaction per rank "
          "(mean [95% interval over runs]):\n")
    print("| rank | cadre-years | inactive | " + " | ".join(f"cause: {c}" for c in CAUSES)
          + " | " + " | ".join(f"first reason: {c}" for c in CAUSES)
          + " | " + " | ".join(f"among reasons: {c}" for c in CAUSES) + " |")
    print("|---:|---:|" + "---|" * (1 + 3 * len(CAUSES)))
    for rank in range(runs.shape[1]):
        held = inactive[:, rank]
        if not (held > 0).all():
            continue
        causes = [cell(runs[:, rank, column[f"cause:{c}"]] / held) for c in CAUSES]
        reasons = [cell(runs[:, rank, column[f"reason:{c}"]] / held) for c in CAUSES]
        named = [cell(runs[:, rank, column[f"named:{c}"]] / held) for c in CAUSES]
        print(f"| {rank} | {int(cadres[:, rank].sum())} | {cell(held / cadres[:, rank])} | "
              + " | ".join(causes) + " | " + " | ".join(reasons) + " | " + " | ".join(named)
              + " |")


if __name__ == "__main__":
    main()
