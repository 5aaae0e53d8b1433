"""``python -m experiments.cli.ship FOLDER``: ship a finished calibration, or refuse.

The command line of :mod:`experiments.calibration.ship` (every parser lives in this package).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

from experiments.calibration.ship import COVERAGE, NAME, _plain, ship
from experiments.calibration.ship import __doc__ as SHIP_DOC


def main(argv: Sequence[str] | None = None) -> int:
    """Ship a calibration folder; 0 when shipped (or checked, with --dry-run), 1 when refused."""
    p = argparse.ArgumentParser(prog="python -m experiments.cli.ship",
                                description=SHIP_DOC.split("\n\n")[0])
    p.add_argument("folder", type=Path, help="the finished calibration of every target")
    p.add_argument("--holdout", type=Path, help="the hold-out fit, for the out-of-sample record")
    p.add_argument("--coverage", type=Path, help=f"coverage JSON (default {COVERAGE})")
    p.add_argument("--name", default=NAME, help="name of the shipped posterior")
    p.add_argument("--force", action="store_true", help="ship even if a check fails (recorded)")
    p.add_argument("--dry-run", action="store_true", help="check and report; change nothing")
    args = p.parse_args(argv)
    try:
        done = ship(args.folder, name=args.name, holdout=args.holdout, coverage=args.coverage,
                    force=args.force, dry_run=args.dry_run)
    except SystemExit as refused:
        print(refused, file=sys.stderr)
        return 1
    print(yaml.safe_dump(_plain(done), sort_keys=False, allow_unicode=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
