"""``python -m experiments.calibration TARGETS --priors P --out DIR``: fit, check, report.

With ``--compare REGIME ...`` the calibrated regime comparison follows, one posterior draw per
replicate, into ``DIR/comparison``.

The same command is ``cadresim calibrate`` (``experiments.cli.calibrate``): both build their
parser with :func:`add_arguments` and run with :func:`run`. Importing this module is cheap;
pyABC and the model are imported when a calibration runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from simulation.loading import ConfigError

DEFAULT_PRIORS = Path(__file__).resolve().parents[2] / "configs" / "priors" / "behaviour.yaml"
DESCRIPTION = (
    "Fit behavioural parameters to published figures by ABC-SMC (pyABC); "
    "rerunning into the same folder resumes."
)


def add_arguments(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the calibration command's arguments to ``p`` (and return it)."""
    p.add_argument("targets", help="targets YAML (configs/targets/*.yaml)")
    p.add_argument("--priors", default=str(DEFAULT_PRIORS), help="priors YAML")
    p.add_argument("--out", help="output folder (default: results/calibration/<targets name>)")
    p.add_argument("--population", type=int, default=100, help="particles per generation")
    p.add_argument("--generations", type=int, default=5, help="ABC-SMC generations in all")
    p.add_argument("--max-simulations", type=int, default=None, help="stop after this many")
    p.add_argument("--ppc-draws", type=int, default=40, help="posterior predictive draws")
    p.add_argument("--seed", type=int, default=0, help="the result is a function of this seed")
    p.add_argument("--workers", type=int, default=2, help="processes (1: run in this process)")
    p.add_argument("--compare", nargs="*", metavar="REGIME", default=None,
                   help="after the fit, compare these presets with the status quo (default)")
    p.add_argument("--draws", type=int, default=20, help="posterior draws in the comparison")
    p.add_argument("--smallest-effect", type=float, default=0.01,
                   help="smallest reduction of inaction worth having (share of cadres)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    return p


def parser() -> argparse.ArgumentParser:
    """The command line of ``python -m experiments.calibration``."""
    return add_arguments(
        argparse.ArgumentParser(prog="python -m experiments.calibration", description=DESCRIPTION)
    )


def run(args: argparse.Namespace) -> int:
    """Run a calibration from parsed arguments; 0 on success.

    Raises:
        ConfigError: bad targets, priors, budget or output folder (``CalibrationError`` is a
            subclass); the callers turn it into one message and exit code 2.
    """
    from experiments.calibration.fit import Budget, calibrate
    from experiments.calibration.targets import load_targets

    targets = load_targets(args.targets)
    out = Path(args.out or Path("results") / "calibration" / targets.name)
    budget = Budget(args.population, args.generations, args.max_simulations, args.ppc_draws)
    result = calibrate(targets, args.priors, out, budget, seed=args.seed,
                       workers=args.workers, progress=not args.quiet)
    print((out / "report.md").read_text())
    if args.compare is not None:
        from experiments.calibration.compare import compare_regimes

        comparison = compare_regimes(
            result.out, args.compare, out / "comparison", draws=args.draws,
            settings=targets.simulation, seed=args.seed,
            smallest_effect=args.smallest_effect, workers=args.workers,
            progress=not args.quiet,
        )
        print(comparison.robustness.to_string(index=False))
    print(f"results in {out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run a calibration from the command line; 0 on success, 2 on bad input."""
    args = parser().parse_args(argv)
    try:
        return run(args)
    except ConfigError as exc:  # CalibrationError included
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
