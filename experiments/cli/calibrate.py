"""``cadresim calibrate TARGETS``: fit behavioural parameters to published figures (ABC-SMC).

The same command as ``python -m experiments.calibration``: its arguments and its run come from
``experiments.calibration.__main__``. pyABC is imported only when the command runs.

Exit codes: 0 on success, 2 for bad targets, priors, budget or output folder (a
``CalibrationError``, which the ``cadresim`` entry point reports as a ``ConfigError``).
"""

from __future__ import annotations

import argparse

from experiments.calibration.__main__ import DESCRIPTION, add_arguments


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``calibrate`` subcommand."""
    calibrate = subparsers.add_parser(
        "calibrate",
        help="fit behavioural parameters to published figures (ABC-SMC)",
        description=DESCRIPTION,
    )
    add_arguments(calibrate)
    calibrate.set_defaults(handler=cmd_calibrate)


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Run the calibration (imports pyABC and the model now)."""
    from experiments.calibration.__main__ import run

    return run(args)
