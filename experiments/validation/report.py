"""The generated parts of ``docs/validation.md``: a summary table and one result block per check.

The report is prose written by hand around blocks that only ``cadresim validate
--update-report docs/validation.md`` writes:

* the summary, between ``<!-- BEGIN VALIDATION SUMMARY -->`` and ``<!-- END VALIDATION
  SUMMARY -->``: one table row per check;
* each check's measured figures, between ``<!-- BEGIN RESULT name -->`` and
  ``<!-- END RESULT name -->``.

Run times are left out (they vary from run to run); everything else is deterministic, so
``tests/test_validation.py`` can check that the report quotes what a fresh run computes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from experiments.validation.core import Result, all_checks

SUMMARY_BEGIN = "<!-- BEGIN VALIDATION SUMMARY -->"
SUMMARY_END = "<!-- END VALIDATION SUMMARY -->"
SUMMARY_HEADER = (
    "| result | check | kind | measured |\n"
    "|---|---|---|---|"
)


def result_begin(name: str) -> str:
    """The marker that opens a check's result block."""
    return f"<!-- BEGIN RESULT {name} -->"


def result_end(name: str) -> str:
    """The marker that closes a check's result block."""
    return f"<!-- END RESULT {name} -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def summary_row(result: Result) -> str:
    """The check's row of the summary table."""
    kind = "analytic (fast)" if result.check.fast else "sweep (slow)"
    return (
        f"| {result.status} | `{result.check.name}` | {kind} | "
        f"{_cell(result.outcome.headline)} |"
    )


def result_block(result: Result) -> str:
    """The check's measured figures: status, each condition with its figure, diagnostics."""
    lines = [f"**Result: {result.status}.** {result.outcome.headline}.", ""]
    for c in result.outcome.conditions:
        mark = "pass" if c.passed else "FAIL"
        lines.append(f"- {mark}: {c.label}: **{c.measured}**")
    for note in result.outcome.notes:
        lines.append(f"- {note}")
    return "\n".join(lines)


def markdown(results: Sequence[Result]) -> str:
    """The summary table and every result block, for ``cadresim validate --markdown``."""
    parts = [SUMMARY_HEADER, *(summary_row(r) for r in results), ""]
    for r in results:
        parts += [f"### `{r.check.name}`", "", result_block(r), ""]
    return "\n".join(parts)


def _between(text: str, begin: str, end: str) -> tuple[int, int]:
    """Start and end offsets of the content between two markers (ValueError if absent)."""
    start = text.find(begin)
    stop = text.find(end, start + len(begin)) if start >= 0 else -1
    if start < 0 or stop < 0:
        raise ValueError(f"markers {begin!r} ... {end!r} not found")
    return start + len(begin), stop


def summary_rows(text: str) -> dict[str, str]:
    """The summary rows in a report, keyed by check name."""
    start, stop = _between(text, SUMMARY_BEGIN, SUMMARY_END)
    rows = {}
    for line in text[start:stop].splitlines():
        match = re.match(r"\| \w+ \| `([^`]+)` \|", line)
        if match:
            rows[match.group(1)] = line
    return rows


def result_text(text: str, name: str) -> str:
    """A check's result block in a report (without the markers and surrounding blank lines)."""
    start, stop = _between(text, result_begin(name), result_end(name))
    return text[start:stop].strip("\n")


def update(text: str, results: Iterable[Result]) -> str:
    """The report with the summary rows and result blocks of ``results`` rewritten.

    Rows of checks not in ``results`` are kept; rows are ordered as ``checks.CHECKS`` orders checks.
    Raises ValueError naming the first missing marker.
    """
    results = list(results)
    rows = summary_rows(text)
    rows.update({r.check.name: summary_row(r) for r in results})
    order = [c.name for c in all_checks()]
    ordered = [rows[n] for n in order if n in rows] + [
        row for n, row in rows.items() if n not in order
    ]
    start, stop = _between(text, SUMMARY_BEGIN, SUMMARY_END)
    text = text[:start] + "\n" + SUMMARY_HEADER + "\n" + "\n".join(ordered) + "\n" + text[stop:]
    for r in results:
        start, stop = _between(text, result_begin(r.check.name), result_end(r.check.name))
        text = text[:start] + "\n" + result_block(r) + "\n" + text[stop:]
    return text


def mismatches(text: str, results: Iterable[Result]) -> list[str]:
    """Where the report does not quote what ``results`` measured (empty if it does)."""
    problems = []
    rows = summary_rows(text)
    for r in results:
        name = r.check.name
        if rows.get(name) != summary_row(r):
            problems.append(f"summary row of {name}: report {rows.get(name)!r}, "
                            f"fresh run {summary_row(r)!r}")
        try:
            quoted = result_text(text, name)
        except ValueError:
            problems.append(f"no result block for {name}")
            continue
        if quoted != result_block(r):
            problems.append(f"result block of {name} differs from a fresh run:\n"
                            f"report:\n{quoted}\nfresh run:\n{result_block(r)}")
    return problems
