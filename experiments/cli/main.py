"""The ``cadresim`` command: its parser and entry point; each subcommand is a module here.

Bad input (a config, an override, a flag) ends with one clear message on stderr and exit code
2, never a traceback; so does a fault of the machine (a full disk, a read-only folder, a deleted
working directory: ``experiments.cli.faults``). Ctrl-C, SIGTERM and SIGHUP end a command with
one line saying it was interrupted, and exit code 128 + the signal. A file of the wrong kind (an
experiment spec given to ``run``, a model config or preset given to ``sweep``) is named as what
it is, with the command that takes it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from experiments.cli import (
    analyze,
    calibrate,
    discover,
    plot,
    regimes,
    run,
    search,
    ship,
    sweep,
    validate,
    validate_posterior,
)
from experiments.cli.faults import check_working_directory, fault_message
from simulation.errors import ConfigError

EXIT_USAGE = 2
#: Subcommands that continue where an interrupted run of the same command stopped.
RESUMABLE = frozenset({"sweep", "calibrate"})
#: The subcommands in help order; each module has ``register(subparsers)``.
SUBCOMMANDS = (run, regimes, sweep, analyze, plot, validate, validate_posterior, calibrate, ship,
               search, discover)
#: Top-level keys only an experiment spec has, and only a model config (or preset) has.
SPEC_KEYS = frozenset({"regimes", "replications", "design", "base", "burn_in", "series",
                       "metrics", "output", "set"})
CONFIG_KEYS = frozenset({"regime", "organisation", "population", "behaviour", "learning"})


def package_version() -> str:
    """The installed cadresim version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cadresim")
    except PackageNotFoundError:  # pragma: no cover - running from an uninstalled tree
        return "unknown"


class VersionAction(argparse.Action):
    """``--version``: print the installed version and exit (looked up only when asked)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        """A flag that takes no value."""
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="show program's version number and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        """Print ``cadresim VERSION`` on stdout, as argparse's own version action does, and exit."""
        print(f"{parser.prog} {package_version()}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The ``cadresim`` argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="cadresim",
        description="Agent-based simulation of civil-service cadres under policy regimes.",
    )
    parser.add_argument("--version", action=VersionAction)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in SUBCOMMANDS:
        command.register(sub)
    return parser


def file_kind(path: str, what: str = "config") -> str | None:
    """What kind of file ``path`` is: 'spec', 'config', or None.

    'spec' for an experiment spec, 'config' for a model config or preset, None when it cannot
    tell (no such file, not a .yaml name, or keys of neither or both kinds: the subcommand then
    reports it itself). The file is read by the careful reader (``read_yaml``), so a file that
    cannot be read or parsed is a ConfigError naming it as ``what``, never a traceback.
    """
    from simulation.loading import path_kind, read_yaml

    file = Path(path)
    if file.suffix not in (".yaml", ".yml") or path_kind(file, what) is None:
        return None
    keys = set(read_yaml(file, what))
    if keys & SPEC_KEYS and not keys & CONFIG_KEYS:
        return "spec"
    if keys & CONFIG_KEYS and not keys & SPEC_KEYS:
        return "config"
    return None


def check_file_kind(args: argparse.Namespace) -> None:
    """Refuse an experiment spec given to ``run`` and a model config given to ``sweep``."""
    if args.command == "run" and file_kind(args.config, "config") == "spec":
        raise ConfigError(
            f"{args.config} is an experiment spec (regimes, replications, a design), not a "
            f"model config; run it with `cadresim sweep {args.config}`"
        )
    if args.command == "sweep" and file_kind(args.spec, "spec") == "config":
        raise ConfigError(
            f"{args.spec} is a model config (a regime preset), not an experiment spec; run it "
            f"with `cadresim run {args.spec}`, or name it under `regimes:` in a spec"
        )


def check_command(parser: argparse.ArgumentParser, word: str) -> None:
    """Refuse an unknown subcommand with the ones it may have meant (``swep``: ``sweep``)."""
    from simulation.suggest import did_you_mean

    commands = [command.__name__.rsplit(".", 1)[-1].replace("_", "-") for command in SUBCOMMANDS]
    if word not in commands:
        hint = did_you_mean(word, commands) or f"commands: {', '.join(commands)}"
        parser.error(f"unknown command {word!r}; {hint} (cadresim --help lists them)")


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``cadresim`` with ``argv`` (default: the command line); return the exit code."""
    from experiments.engine.interrupts import exit_code, user_interrupts

    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    if words and not words[0].startswith("-"):
        check_command(parser, words[0])
    args = parser.parse_args(words)
    try:
        with user_interrupts():
            check_working_directory()
            check_file_kind(args)
            return args.handler(args)
    except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM or SIGHUP: what was written is kept
        from experiments.engine.executors import stop_forkserver

        stop_forkserver()  # and with it any worker process left
        resumes = "; rerun the same command to resume" if args.command in RESUMABLE else ""
        print(f"cadresim {args.command}: interrupted{resumes}", file=sys.stderr)
        return exit_code(exc)
    except ConfigError as exc:
        print(f"cadresim: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # a full disk, a read-only folder: not a traceback
        message = fault_message(exc)
        if message is None:
            raise
        print(f"cadresim: error: {message}", file=sys.stderr)
        return EXIT_USAGE
