"""``cadresim regimes``: list the preset regimes with their descriptions."""

from __future__ import annotations

import argparse
import sys

from simulation import list_presets


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``regimes`` subcommand."""
    regimes = subparsers.add_parser("regimes", help="list the preset regimes")
    regimes.set_defaults(handler=cmd_regimes)


def cmd_regimes(args: argparse.Namespace) -> int:
    """Print each preset's name and description."""
    presets = list_presets()
    if not presets:
        print("no preset regimes found", file=sys.stderr)
        return 1
    width = max(len(name) for name in presets)
    for name, description in presets.items():
        print(f"{name:<{width}}  {description}")
    return 0
