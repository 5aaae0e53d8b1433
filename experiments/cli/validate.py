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
from collections.abc import Callable
from pathlib import Path

from experiments.validation import core, report
from simulation import ConfigError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``validate`` subcommand."""
    validate = subparsers.add_parser(
        "validate",
        help="check the model against analytic limits and published stylised facts",
        description="Run the validation suite: analytic limits of the decision rule (fast) and "
        "stylised facts from the literature reproduced by seeded sweeps (slow: about 3 "
        "minutes on one idle core, 9-15 on a loaded 2-core machine). Says which check is "
        "running, then prints PASS/FAIL for each check with its measured figures and criterion. "
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
        "-v", "--verbose", action="store_true",
        help="under each check's line, the figure measured for each part of its criterion",
    )
    validate.set_defaults(handler=cmd_validate)


def _names(values: list[str]) -> list[str]:
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def cmd_validate(args: argparse.Namespace) -> int:
    """Run the selected checks, print or write their results; 1 if any failed."""
    checks = _selected_checks(args)
    if args.list:
        _print_list(checks)
        return 0
    report_path, original = _report_to_update(args.update_report, checks)
    figure_dir = _figure_folder(args.figures)

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
    """Run the checks in order, saying on stderr which one is running (unless ``quiet``)."""
    results = []
    for i, check in enumerate(checks, 1):
        if not quiet:
            kind = "fast" if check.fast else "slow"
            print(f"[{i}/{len(checks)}] running {check.name} ({kind}) ...", file=sys.stderr,
                  flush=True)
        results.append(core.run_check(check))
        on_result(results[-1])
    return results


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
