"""One translator from a pydantic validation error to a line a researcher can act on.

It reads only pydantic's documented error fields (``loc``, ``type``, ``msg``, ``input``); what
a field accepts and what an unknown key should have been are asked of the caller, so configs
(``simulation.loading``) and experiment specs (``experiments.engine.spec``) word their errors
the same way: ``field: got value (problem); allowed: what``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any


class ConfigError(ValueError):
    """A configuration that cannot be used; the message says which field and why.

    Defined here, with no heavy imports, so the ``cadresim`` entry point can catch it without
    loading the config schema.
    """


def describe_error(
    err: Mapping[str, Any],
    *,
    allowed: Callable[[tuple[Any, ...]], str],
    unknown: Callable[[str], str],
    show: Callable[[Any], str] = repr,
) -> str:
    """One line for one pydantic error: the field, the bad value and what is allowed.

    Args:
        err: one entry of ``ValidationError.errors()``.
        allowed: what the field at a location accepts, in words ("" if nothing to say).
        unknown: the message for an unknown key at a dotted path.
        show: how a bad value is written (default ``repr``; callers shorten long values).
    """
    loc = tuple(err["loc"])
    where = ".".join(str(part) for part in loc)
    kind = err["type"]
    if kind == "extra_forbidden":
        return unknown(where)
    if kind == "missing":
        return f"{where or '(top level)'}: required, but missing"
    msg = err["msg"].removeprefix("Value error, ")
    if kind == "value_error":  # a validator's message states the problem itself
        return f"{where or '(top level)'}: {msg}"
    value = err.get("input")
    shown = "a mapping" if isinstance(value, dict) else show(value)
    what = allowed(loc)
    tail = f"; allowed: {what}" if what else ""
    return f"{where or '(top level)'}: got {shown} ({_problem(kind, msg, value)}){tail}"


def _problem(kind: str, msg: str, value: Any) -> str:
    """What is wrong with ``value``, in words: pydantic's, unless the value itself says more.

    A NaN fails every bound, and pydantic names the first ("less than or equal to 1"); a whole
    number written as ``1e3`` or ``1000.0`` is a float to YAML and no integer to a strict field.
    """
    if isinstance(value, float) and math.isnan(value):
        return "not a number"
    if isinstance(value, float) and math.isinf(value):
        return "not a finite number"
    if kind.startswith("int_") and isinstance(value, float) and value.is_integer():
        return f"a whole number written as a decimal or with an exponent: write {int(value)}"
    return msg[:1].lower() + msg[1:]
