"""``python -m experiments.calibration ...``: the same command as ``cadresim calibrate ...``."""

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``cadresim calibrate`` with ``argv`` (default: the command line); the exit code."""
    from experiments.cli.main import main as cadresim

    return cadresim(["calibrate", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    raise SystemExit(main())
