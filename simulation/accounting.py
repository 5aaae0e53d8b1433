"""Whether a run accounts for its inaction: asked only when a kept output needs it.

Responsibility avoidance, inaction's causes and the reasons cadres give come from asking every
cadre that did not take on the hard task what it would do under seven counterfactuals (the
decide phase's accounting, docs/ODD.md 8.1-8.2). That feeds only the year's aggregates, never
the state, so a run that keeps none of them may skip it: every other output stays the same bit
for bit, and the skipped columns are NaN. A sweep says what it keeps with :func:`only_for`
around its runs; a model made inside reads :func:`wanted` (``CadreModel.accounts_inaction``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from simulation.outputs import OUTPUTS

#: The per-step columns the accounting makes (lying flat and formal work are read off actions),
#: with the survey answers (``simulation.survey``), asked of cadres alongside it.
ACCOUNTED: frozenset[str] = frozenset((
    "inaction", "avoidance", "avoidance_fear", "unwilling", "unable", "afraid",
    "reason_unwilling", "reason_unable", "reason_afraid", "names_unwilling", "names_unable",
    "names_afraid", "effort_over_reward", "held_back_by_fear",
))

_wanted: ContextVar[bool] = ContextVar("account_inaction", default=True)


def needed(outputs: Iterable[str]) -> bool:
    """Whether any of ``outputs`` (run outputs or per-step columns) reads the accounting.

    A derived output needs it when the column it reads or divides by does; a name that is not
    an output is taken to need it.
    """
    for name in outputs:
        out = OUTPUTS.get(name)
        if out is None or out.column in ACCOUNTED or out.per in ACCOUNTED:
            return True
    return False


def wanted() -> bool:
    """Whether models made now account for inaction (True unless inside ``only_for``)."""
    return _wanted.get()


@contextmanager
def only_for(outputs: Iterable[str]) -> Iterator[bool]:
    """Models made inside account for inaction only if ``outputs`` need it; yields whether."""
    token = _wanted.set(needed(tuple(outputs)))
    try:
        yield _wanted.get()
    finally:
        _wanted.reset(token)
