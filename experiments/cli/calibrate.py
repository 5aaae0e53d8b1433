"""``cadresim calibrate TARGETS``: fit behavioural parameters to published figures (ABC-SMC).

With ``--compare REGIME ...`` the calibrated regime comparison follows, one posterior draw per
replicate, into ``OUT/comparison``. Flags are checked by the parser, before anything heavy is
imported; pyABC and the model are imported when a calibration runs.

Exit codes: 0 on success, 2 for a bad flag, or bad targets, priors, budget or output folder (a
``CalibrationError``, which the ``cadresim`` entry point reports as a ``ConfigError``).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from experiments.cli.argtypes import whole_number
from experiments.cli.sweep import positive_seconds

DEFAULT_PRIORS = Path(__file__).resolve().parents[2] / "configs" / "priors" / "behaviour.yaml"
DESCRIPTION = (
    "Fit behavioural parameters to published figures by ABC-SMC (pyABC); "
    "rerunning into the same folder resumes."
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``calibrate`` subcommand."""
    calibrate = subparsers.add_parser(
        "calibrate",
        help="fit behavioural parameters to published figures (ABC-SMC)",
        description=DESCRIPTION,
    )
    add_arguments(calibrate)
    calibrate.set_defaults(handler=cmd_calibrate)


def add_arguments(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the calibration command's arguments to ``p`` (and return it)."""
    count = whole_number(1)
    p.add_argument("targets", help="targets YAML (configs/targets/*.yaml)")
    p.add_argument("--priors", default=str(DEFAULT_PRIORS), help="priors YAML")
    p.add_argument("--out", help="output folder (default: results/calibration/<targets name>)")
    p.add_argument("--population", type=count, default=100, help="particles per generation")
    p.add_argument("--generations", type=count, default=5, help="ABC-SMC generations in all")
    p.add_argument("--max-simulations", type=count, default=None, help="stop after this many")
    p.add_argument("--ppc-draws", type=count, default=40, help="posterior predictive draws")
    p.add_argument("--min-ess", type=count, default=None, metavar="PARTICLES",
                   help="add generations one at a time while the last has fewer effective "
                        "particles than this")
    p.add_argument("--max-generations", type=count, default=None,
                   help="the most generations --min-ess may lead to (default: generations + 4)")
    p.add_argument("--seed", type=whole_number(0), default=0,
                   help="the result is a function of this seed (0 or more)")
    p.add_argument("--workers", type=count, default=2,
                   help="worker processes (1: run in this process)")
    p.add_argument("--run-timeout", type=positive_seconds, metavar="SECONDS",
                   help="stop the calibration if a model run takes longer (default: no limit)")
    p.add_argument("--hold-out", nargs="+", metavar="TARGET_OR_YEAR", default=(),
                   help="predict these targets (names, or survey years such as 2018) without "
                        "fitting them: the out-of-sample check")
    p.add_argument("--compare", nargs="*", metavar="REGIME", default=None,
                   help="after the fit, compare these presets with the status quo (default)")
    p.add_argument("--draws", type=count, default=20, help="posterior draws in the comparison")
    p.add_argument("--smallest-effect", type=float, default=0.01,
                   help="smallest reduction of inaction worth having (share of cadres)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--no-figures", action="store_true",
                   help="write the report's tables but not its figures (a fit on a cluster node; "
                        "the figures cost about 4 s of CPU)")
    return p


def command_line() -> str:
    """This command as typed to ``cadresim`` (for the manifest's provenance)."""
    words = sys.argv[1:]
    if words[:1] == ["calibrate"]:  # `cadresim calibrate ...`; `python -m experiments.calibration`
        words = words[1:]  # passes the arguments alone
    return shlex.join(["cadresim", "calibrate", *words])


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Run a calibration from parsed arguments (imports pyABC and the model now); 0 on success.

    Raises:
        ConfigError: bad targets, priors, budget or output folder (``CalibrationError`` is a
            subclass); the entry point turns it into one message and exit code 2.
    """
    if args.workers > 1:  # the workers' model loads while this process imports pyABC
        from experiments.engine.executors import start_forkserver

        start_forkserver()
    from experiments.calibration.fit import Budget, calibrate
    from experiments.calibration.targets import load_targets
    from simulation.loading import read_text_file

    targets = load_targets(args.targets)
    out = Path(args.out or Path("results") / "calibration" / targets.name)
    budget = Budget(args.population, args.generations, args.max_simulations, args.ppc_draws,
                    args.min_ess, args.max_generations)
    result = calibrate(targets, args.priors, out, budget, seed=args.seed,
                       workers=args.workers, progress=not args.quiet,
                       run_timeout=args.run_timeout, plots=not args.no_figures,
                       held_out=tuple(args.hold_out), command=command_line())
    print(read_text_file(out / "report.md", what="calibration report", limit=2**24))
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
