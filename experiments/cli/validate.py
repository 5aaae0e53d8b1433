"""``cadresim validate``: run the validation suite (docs/validation.md) and report each check.

One line per check: PASS or FAIL, its name, the measured figure and the criterion (with
``--verbose``, also the figure measured for each part of the criterion). Exit code 0 when every
check passed, 1 when some failed, 2 for a bad flag (an unknown check, a report without its
markers, a folder that cannot be written).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from experiments.validation import core, report
from simulation import ConfigError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``validate`` subcommand."""
    validate = subparsers.add_parser(
        "validate",
        help="check the model against analytic limits and published stylised facts",
        description="Run the validation suite: analytic limits of the decision rule (fast) and "
        "stylised facts from the literature reproduced by seeded sweeps (slow: about 1 "
        "minute on a quiet 2-core machine, 22 at load 10). Says which check is running and "
        "counts its model runs as they end, then prints PASS/FAIL for each check with its "
        "measured figures and criterion. "
        "Deterministic: fixed seeds throughout. Exit code 0 if every check passes, 1 if not.",
    )
    validate.add_argument(
        "--fast", action="store_true", help="only the fast (analytic) checks"
    )
    validate.add_argument(
        "--only", action="append", default=[], metavar="NAME",
        help="run only this check (repeatable, or comma-separated); see --list",
    )
    validate.add_argument("--list", action="store_true", help="list the checks and exit")
    validate.add_argument(
        "--json", action="store_true", help="print the results as one JSON object"
    )
    validate.add_argument(
        "--markdown", action="store_true",
        help="print the results as Markdown (summary table and one block per check)",
    )
    validate.add_argument(
        "--figures", metavar="DIR",
        help="write each check's figure into DIR as NAME.png (300 dpi) and NAME.pdf",
    )
    validate.add_argument(
        "--update-report", metavar="FILE",
        help="rewrite the generated result blocks of FILE (e.g. docs/validation.md)",
    )
    validate.add_argument(
        "--check-report", metavar="FILE",
        help="also check that FILE (e.g. docs/validation.md) quotes exactly what was measured; "
        "exit 1 if not (what `make validate` runs, so the slow checks run once)",
    )
    validate.add_argument(
        "--set", dest="at", action="append", default=[], metavar="KEY=VALUE",
        help="run every check at this parameter value instead of the default, e.g. --set "
        "behaviour.temperature=0.25 (repeatable; a check's own arms still set what they vary; "
        "not with --update-report or --check-report, which document the defaults)",
    )
    validate.add_argument(
        "-v", "--verbose", action="store_true",
        help="under each check's line, the figure measured for each part of its criterion",
    )
    validate.set_defaults(handler=cmd_validate)


def _parameters(args: argparse.Namespace) -> dict[str, Any]:
    """The ``--set`` values, checked against the config schema before any check runs."""
    if not args.at:
        return {}
    if args.update_report or args.check_report:
        raise ConfigError("--set: the report documents the checks at the defaults; drop "
                          "--set, or --update-report and --check-report")
    from simulation.loading import checked_settings

    values = checked_settings(args.at)  # names the field, the value and what is allowed
    if fixed := sorted(set(values) & CHECKS_OWN):
        raise ConfigError(f"--set {', '.join(fixed)}: each check sets its own population and "
                          "years; set the parameters of the cadres and the regime")
    return values


#: What every check sets for itself (``validation.tools``): not settable by ``--set``.
CHECKS_OWN = frozenset({"organisation.n_cadres", "steps"})


def _say_where(at: dict[str, Any], args: argparse.Namespace) -> None:
    """Say, before the checks, which parameters are not at their defaults."""
    if at and not (args.json or args.markdown):
        print("at " + ", ".join(f"{k}={v}" for k, v in at.items()) + " (the rest at defaults)",
              flush=True)


def _names(values: list[str]) -> list[str]:
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def cmd_validate(args: argparse.Namespace) -> int:
    """Run the selected checks, print or write their results; 1 if any failed."""
    checks = _selected_checks(args)
    if args.list:
        _print_list(checks)
        return 0
    at = args.at_values = _parameters(args)
    report_path, original = _report_to_update(args.update_report, checks)
    figure_dir = _figure_folder(args.figures)
    _say_where(at, args)

    quiet = args.json or args.markdown
    width = max(len(c.name) for c in checks)
    start = time.perf_counter()
    figures_written: dict[str, str] = {}

    def on_result(result: core.Result) -> None:
        if figure_dir is not None and result.check.figure is not None:
            path = figure_dir / f"{result.check.name}.png"
            result.check.figure(result.outcome, path)
            figures_written[result.check.name] = str(path)
        if quiet:
            return
        print(core.format_line(result, width), flush=True)
        if args.verbose:
            for line in core.format_details(result):
                print(line)
        if result.check.name in figures_written:
            print(f"    figure: {figures_written[result.check.name]}")

    from experiments.validation import tools

    with tools.at(at):
        results = _run_with_progress(checks, on_result, quiet)
    elapsed = time.perf_counter() - start
    failed = [r.check.name for r in results if not r.passed]
    failed += _check_report(args.check_report, results)
    if report_path is not None:
        report_path.write_text(report.update(original, results), encoding="utf-8")
    _print_results(args, results, elapsed, figures_written, report_path)
    if failed and quiet:
        print(f"cadresim validate: failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def _run_with_progress(checks: list[core.Check], on_result: Callable[[core.Result], None],
                       quiet: bool) -> list[core.Result]:
    """Run the checks in order, saying on stderr which one is running (unless ``quiet``).

    Inside a slow check, each model run is counted as it ends (a bar on a terminal, a line
    after the first run and every ``RUNS_PER_LINE`` runs in a log), so a slow check can be told
    from a hung one.
    """
    results = []
    for i, check in enumerate(checks, 1):
        if quiet:
            results.append(core.run_check(check))
        else:
            kind = "fast" if check.fast else "slow"
            print(f"[{i}/{len(checks)}] running {check.name} ({kind}) ...", file=sys.stderr,
                  flush=True)
            with _runs_counted(check.name):
                results.append(core.run_check(check))
        on_result(results[-1])
    return results


#: Without a terminal (``make validate > log``), a progress line after this many model runs.
RUNS_PER_LINE = 10


@contextmanager
def _runs_counted(name: str) -> Iterator[None]:
    """Show the model runs of check ``name`` on stderr as they end."""
    from experiments.validation.progress import on_each_run

    if sys.stderr.isatty():
        from tqdm.auto import tqdm

        with tqdm(desc=f"    {name}", unit=" runs", file=sys.stderr, leave=False) as bar, \
                on_each_run(bar.update):
            yield
        return
    start, done = time.perf_counter(), 0

    def line() -> None:
        nonlocal done
        done += 1
        if done == 1 or done % RUNS_PER_LINE == 0:
            runs = "1 model run" if done == 1 else f"{done} model runs"
            print(f"    {name}: {runs} done ({time.perf_counter() - start:.0f} s)",
                  file=sys.stderr, flush=True)

    with on_each_run(line):
        yield


def _read_report(flag: str, path: Path) -> str:
    """The text of a report file, or a clean error naming the flag."""
    from simulation.loading import read_text_file

    return read_text_file(path, what=flag, limit=16 * 2**20)


def _check_report(option: str | None, results: list[core.Result]) -> list[str]:
    """``--check-report FILE``.

    Print each place FILE misquotes a result; a failure name per misquoted file (empty when it
    quotes every result exactly, or without the option).
    """
    if not option:
        return []
    path = Path(option)
    text = _read_report("--check-report", path)
    problems = report.mismatches(text, results)
    for problem in problems:
        print(f"report: {problem}", file=sys.stderr)
    if problems:
        print(f"regenerate with: cadresim validate --update-report {path} "
              "--figures docs/figures/validation", file=sys.stderr)
        return [f"report {path}"]
    print(f"{path} quotes every result exactly")
    return []


def _print_results(
    args: argparse.Namespace,
    results: list[core.Result],
    elapsed: float,
    figures_written: dict[str, str],
    report_path: Path | None,
) -> None:
    """The results as one JSON object (``--json``), Markdown (``--markdown``) or a verdict."""
    failed = [r.check.name for r in results if not r.passed]
    if args.json:
        print(json.dumps({
            "passed": not failed,
            "at": args.at_values,
            "seconds": round(elapsed, 1),
            "checks": [
                {**r.as_dict(), "figure": figures_written.get(r.check.name)} for r in results
            ],
        }))
    elif args.markdown:
        print(report.markdown(results))
    else:
        verdict = "all passed" if not failed else f"{len(failed)} failed: {', '.join(failed)}"
        print(f"{len(results)} checks, {verdict} ({elapsed:.1f} s)")
        if report_path is not None:
            print(f"result blocks rewritten in {report_path}")


def _selected_checks(args: argparse.Namespace) -> list[core.Check]:
    """The checks ``--only`` and ``--fast`` select (all with ``--list`` and no selection)."""
    try:
        checks = core.select(_names(args.only), fast_only=args.fast)
    except KeyError as exc:
        raise ConfigError(f"--only: {exc.args[0]}") from None
    if not checks and not args.list:
        raise ConfigError("no check selected (--fast with --only of slow checks only?)")
    return checks


def _print_list(checks: list[core.Check]) -> None:
    """One line per check: name, fast or slow, title."""
    width = max(len(c.name) for c in checks)
    for c in checks:
        kind = "fast" if c.fast else "slow"
        print(f"{c.name:<{width}}  {kind}  {c.title}")


def _report_to_update(
    option: str | None, checks: list[core.Check]
) -> tuple[Path | None, str]:
    """``--update-report FILE``: its path and text, checked before any check runs.

    ``--update-report FILE``: its path and text, refused before any check runs if the file cannot be
    read or lacks a result block of a selected check.
    """
    if not option:
        return None, ""
    path = Path(option)
    original = _read_report("--update-report", path)
    for c in checks:
        try:
            report.result_text(original, c.name)
        except ValueError:
            raise ConfigError(
                f"--update-report: {str(path)!r} has no result block for {c.name!r} "
                f"(markers {report.result_begin(c.name)} ... {report.result_end(c.name)})"
            ) from None
    return path, original


def _figure_folder(option: str | None) -> Path | None:
    """``--figures DIR``, created if needed."""
    if not option:
        return None
    folder = Path(option)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"--figures: cannot create {str(folder)!r}: "
                          f"{exc.strerror}") from None
    return folder
