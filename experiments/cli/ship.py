"""``cadresim ship CALIBRATION``: ship a fit that passes its checks (``make ship-calibration``).

Its posterior goes into ``configs/posteriors/`` with its provenance, its point estimate into the
defaults of ``simulation/config.py`` (the old values into ``docs/calibration-changelog.md``), and
the generated files are regenerated (``experiments.calibration.ship``). A fit that fails a check
is refused with the reasons and exit code 1; nothing is changed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``ship`` subcommand."""
    p = subparsers.add_parser(
        "ship", help="ship a calibration that passes its checks into configs/ and the defaults",
        description="Ship a finished calibration: its posterior into configs/posteriors with its "
                    "provenance, its posterior median into the defaults of simulation/config.py "
                    "(old values in docs/calibration-changelog.md). Refused, with the reasons, "
                    "unless it fits every target, has 200 effective particles, reproduces "
                    "every target within 2 tolerances and its coverage benchmark passed.")
    p.add_argument("folder", type=Path, help="the finished calibration of every target")
    p.add_argument("--holdout", type=Path, help="the hold-out fit, for the out-of-sample record")
    p.add_argument("--coverage", type=Path,
                   help="coverage JSON (default benchmarks/results/calibration_coverage_latest"
                        ".json)")
    p.add_argument("--patterns", type=Path, metavar="SCREEN",
                   help="a `cadresim validate-posterior` folder of this fit: ship as the "
                        "defaults the medoid of the particles meeting every incentive criterion "
                        "and every survey figure, not the posterior median (docs/calibration.md)")
    p.add_argument("--name", default="status_quo_2018", help="name of the shipped posterior")
    p.add_argument("--force", action="store_true",
                   help="ship even if a check fails (the failures are recorded)")
    p.add_argument("--dry-run", action="store_true", help="check and report; change nothing")
    p.set_defaults(handler=cmd_ship)


def cmd_ship(args: argparse.Namespace) -> int:
    """Ship (or check) the calibration; 0 when shipped or checked, 1 when refused."""
    import yaml

    from experiments.calibration.ship import Refused, plain, ship

    try:
        done = ship(args.folder, name=args.name, holdout=args.holdout, coverage=args.coverage,
                    force=args.force, dry_run=args.dry_run, screen=args.patterns)
    except Refused as refused:
        print(refused, file=sys.stderr)
        return 1
    print(yaml.safe_dump(plain(done), sort_keys=False, allow_unicode=True))
    return 0
