"""The validation suite's building blocks: a check, its result, and running a selection.

A **check** compares the model with one published result (or one analytic limit of its decision
rule). Its criterion is written down before anything is measured, as a list of **conditions**;
the check passes when every condition holds. A check is deterministic: every random number comes
from fixed seeds, so ``docs/validation.md`` quotes figures a fresh run reproduces exactly.

``fast`` checks (the analytic limits) run in ``make test``; the others are sweeps over many
seeded model runs and run with ``make validate`` / ``cadresim validate``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Condition:
    """One part of a criterion: what was measured, against what threshold, and whether it held."""

    label: str  # the condition in words, e.g. "idle share falls"
    measured: str  # the figure, formatted
    passed: bool

    def as_dict(self) -> dict[str, Any]:
        """The condition as JSON-ready data."""
        return {"label": self.label, "measured": self.measured, "passed": self.passed}


@dataclass
class Outcome:
    """What a check's run function returns: its conditions, a headline figure, plot data."""

    conditions: list[Condition]
    headline: str  # the measured figure printed on the check's line
    data: dict[str, Any] = field(default_factory=dict)  # for the figure (not printed)
    notes: list[str] = field(default_factory=list)  # diagnostics, not criteria


@dataclass(frozen=True)
class Check:
    """One validation check.

    Attributes:
        name: identifier used by ``--only``.
        title: one-line description.
        source: the published result (citation) the check reproduces.
        criterion: the pass criterion in words, stated before measuring.
        fast: True for checks cheap enough for ``make test`` (analytic, under a second or two).
        run: computes the outcome (deterministic).
        figure: draws the outcome's data into a PNG at the given path, or None for no figure.
    """

    name: str
    title: str
    source: str
    criterion: str
    fast: bool
    run: Callable[[], Outcome]
    figure: Callable[[Outcome, Path], None] | None = None


@dataclass
class Result:
    """A check's result: pass or fail, the figures measured, and the run time."""

    check: Check
    outcome: Outcome
    seconds: float

    @property
    def passed(self) -> bool:
        """Whether every condition held."""
        return all(c.passed for c in self.outcome.conditions)

    @property
    def status(self) -> str:
        """``PASS`` or ``FAIL``."""
        return "PASS" if self.passed else "FAIL"

    def as_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data (``cadresim validate --json``)."""
        return {
            "name": self.check.name,
            "status": self.status,
            "fast": self.check.fast,
            "measured": self.outcome.headline,
            "criterion": self.check.criterion,
            "source": self.check.source,
            "conditions": [c.as_dict() for c in self.outcome.conditions],
            "notes": list(self.outcome.notes),
            "seconds": round(self.seconds, 2),
        }


def all_checks() -> list[Check]:
    """Every check, in report order (analytic first, then stylised facts): ``checks.CHECKS``."""
    from experiments.validation.checks import CHECKS  # the checks import this module

    names = [c.name for c in CHECKS]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"duplicate validation check {duplicated[0]!r}")
    return list(CHECKS)


def select(names: Iterable[str] = (), fast_only: bool = False) -> list[Check]:
    """The checks to run: the named ones (all if none), the fast ones if ``fast_only``.

    Raises KeyError naming the unknown check and listing the known ones.
    """
    checks = all_checks()
    wanted = [n for n in names if n]
    if wanted:
        known = {c.name: c for c in checks}
        unknown = [n for n in wanted if n not in known]
        if unknown:
            raise KeyError(
                f"unknown check {unknown[0]!r}; known checks: {', '.join(known)}"
            )
        checks = [c for c in checks if c.name in set(wanted)]
    if fast_only:
        checks = [c for c in checks if c.fast]
    return checks


def run_check(check: Check) -> Result:
    """Run one check and time it."""
    start = time.perf_counter()
    outcome = check.run()
    return Result(check=check, outcome=outcome, seconds=time.perf_counter() - start)


def run_checks(
    checks: Sequence[Check], on_result: Callable[[Result], None] | None = None
) -> list[Result]:
    """Run checks in order; ``on_result`` is called as each finishes (to print progressively)."""
    results = []
    for check in checks:
        result = run_check(check)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results


def format_line(result: Result, name_width: int = 0) -> str:
    """One line per check: PASS/FAIL, name, measured figure, criterion."""
    name = result.check.name.ljust(name_width)
    return (
        f"{result.status}  {name}  {result.outcome.headline}  "
        f"[criterion: {result.check.criterion}]"
    )


def format_details(result: Result) -> list[str]:
    """The check's conditions (and diagnostics), indented, one per line."""
    lines = [
        f"    {'ok  ' if c.passed else 'FAIL'} {c.label}: {c.measured}"
        for c in result.outcome.conditions
    ]
    lines += [f"    note {note}" for note in result.outcome.notes]
    return lines
