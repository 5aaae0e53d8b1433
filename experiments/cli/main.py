"""The ``cadresim`` command: its parser and entry point; each subcommand is a module here.

Bad input (a config, an override, a flag) ends with one clear message on stderr and exit code
2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from experiments.cli import analyze, calibrate, plot, regimes, run, sweep, validate
from simulation import ConfigError

EXIT_USAGE = 2
#: The subcommands in help order; each module has ``register(subparsers)``.
SUBCOMMANDS = (run, regimes, sweep, analyze, plot, validate, calibrate)


def build_parser() -> argparse.ArgumentParser:
    """The ``cadresim`` argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="cadresim",
        description="Agent-based simulation of civil-service cadres under policy regimes.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in SUBCOMMANDS:
        command.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``cadresim`` with ``argv`` (default: the command line); return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except ConfigError as exc:
        print(f"cadresim: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
