"""Values that are constant while the regime is: computed once a run and regime, not once a step.

A run asks for its utility's scalars and the reference levels of the cause split every year
with the same behaviour and regime. :func:`once_per_regime` keeps the last answers of such a
function (``KEPT`` of them: a batch of runs of different configs asks for each run's in turn)
with the configs each came from and a snapshot of their fields, and gives one again while those
configs are unchanged since (configs may be changed in place) and the configs asked with are the
same objects or equal to them. While no field of any config section has been assigned since an
answer was computed or last checked (``config.assignments``), its configs are unchanged; after
an assignment the snapshot is compared, a shallow comparison of each section's fields (values
and nested sections, the latter by identity first, about 14 us a call). Neither copies the
configs; a field set around pydantic (through ``__dict__``) is not seen, and nothing in the
project sets one so. Each new model calls :func:`forget`, so a run never reuses an answer
computed before it started (a test may have replaced a formula in between).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from simulation.config import assignments

#: Answers each function keeps: one per run of the largest batch (``engine.batching``).
KEPT = 16
#: The remembered answers of every function made by ``once_per_regime``: by the identities of
#: the configs asked with, [configs, snapshot, value, assignments when last found unchanged],
#: the most recently used last.
_REMEMBERED: list[dict[tuple[int, ...], list[Any]]] = []


def once_per_regime[T](compute: Callable[..., T]) -> Callable[..., T]:
    """``compute`` (a pure function of configs), remembered for its last ``KEPT`` arguments.

    Answers are found by the identities of the configs (each answer keeps its configs alive,
    so an identity is never another object's), else among equal configs.
    """
    answers: dict[tuple[int, ...], list[Any]] = {}
    _REMEMBERED.append(answers)

    @functools.wraps(compute)
    def remembered(*configs: Any) -> T:
        key = tuple(map(id, configs))
        found = answers.pop(key, None)
        if found is not None and still(found):
            answers[key] = found  # the most recently used, last
            return found[2]
        for entry in answers.values():
            kept = entry[0]
            if len(kept) == len(configs) and still(entry) and configs == kept:
                value = entry[2]  # equal configs, other objects: the same answer, theirs too
                break
        else:
            value = compute(*configs)
        answers[key] = [configs, snapshot_of(configs), value, assignments()]
        while len(answers) > KEPT:
            del answers[next(iter(answers))]
        return value

    return remembered


def forget() -> None:
    """Drop every remembered answer (a new run starts)."""
    for answers in _REMEMBERED:
        answers.clear()


def snapshot_of(configs: tuple[Any, ...]) -> list[tuple[Any, dict[str, Any]]]:
    """Each config section reachable from ``configs``, with a shallow copy of its fields."""
    found: list[tuple[Any, dict[str, Any]]] = []
    stack = [c for c in configs if isinstance(c, BaseModel)]
    while stack:
        section = stack.pop()
        fields = dict(section.__dict__)
        found.append((section, fields))
        stack.extend(v for v in fields.values() if isinstance(v, BaseModel))
    return found


def still(entry: list[Any]) -> bool:
    """Whether a remembered answer's configs are unchanged: no assignment since, or equal fields.

    After assignments that left them unchanged, the count is moved on, so the fields are not
    compared again until the next assignment.
    """
    now = assignments()
    if entry[3] == now:
        return True
    if unchanged(entry[1]):
        entry[3] = now
        return True
    return False


def unchanged(snapshot: list[tuple[Any, dict[str, Any]]]) -> bool:
    """Whether every section in ``snapshot`` still has the fields it had when taken.

    A field replaced by an equal value or section counts as unchanged (``==``).
    """
    return all(section.__dict__ == fields for section, fields in snapshot)
