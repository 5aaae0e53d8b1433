"""Values that are constant while the regime is: computed once a run and regime, not once a step.

A run asks for its utility's scalars and the reference levels of the cause split every year
with the same behaviour and regime. :func:`once_per_regime` keeps the last answer of such a
function with copies of the configs it came from, and gives it again while the configs asked
with are equal to them (configs may be changed in place, so equality, not identity, decides; a
comparison costs about a sixth of recomputing the scalars). Each new model calls
:func:`forget`, so a run never reuses an answer computed before it started (a test may have
replaced a formula in between).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

#: The remembered answers of every function made by ``once_per_regime``.
_REMEMBERED: list[list[Any]] = []


def once_per_regime[T](compute: Callable[..., T]) -> Callable[..., T]:
    """``compute`` (a pure function of configs), remembered for its last arguments."""
    last: list[Any] = [None, None]  # copies of the arguments, and the value computed from them
    _REMEMBERED.append(last)

    @functools.wraps(compute)
    def remembered(*configs: Any) -> T:
        if last[0] is None or last[0] != configs:
            value = compute(*configs)
            last[:] = [tuple(_copy(c) for c in configs), value]
        return last[1]

    return remembered


def forget() -> None:
    """Drop every remembered answer (a new run starts)."""
    for last in _REMEMBERED:
        last[:] = [None, None]


def _copy(config: Any) -> Any:
    return config.model_copy(deep=True) if isinstance(config, BaseModel) else config
