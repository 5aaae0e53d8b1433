"""Validation suite: the model against analytic limits and published stylised facts.

Run it with ``cadresim validate`` (``--fast`` for the analytic checks only); the write-up is
``docs/validation.md``. Each check states its source and its criterion before measuring, runs
with fixed seeds, and reports its measured figures.
"""

from experiments.validation.core import (
    Check,
    Condition,
    Outcome,
    Result,
    all_checks,
    run_check,
    run_checks,
    select,
)

__all__ = [
    "Check",
    "Condition",
    "Outcome",
    "Result",
    "all_checks",
    "run_check",
    "run_checks",
    "select",
]
