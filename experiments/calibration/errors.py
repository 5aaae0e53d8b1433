"""The one error type of the calibration package, and pydantic errors turned into plain text."""

from __future__ import annotations

from pydantic import ValidationError

from simulation.loading import ConfigError


class CalibrationError(ConfigError):
    """Targets, priors or a calibration folder that cannot be used; the message says why.

    A subclass of ``simulation.ConfigError``, so callers that already catch config errors (the
    CLI) catch these too.
    """


def describe_validation_error(exc: ValidationError, origin: str) -> str:
    r"""One line per problem: the field's dotted location, the bad value and what is allowed.

    Args:
        exc: the pydantic error.
        origin: the file (or ``<text>``) the data came from, named in the first line.

    Returns:
        A message such as ``targets 'x.yaml' are not valid:\\n  - targets.0.value: got 1.5 ...``.
    """
    lines = [f"{origin!r} is not valid:"]
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            lines.append(f"  - {loc}: unknown key (not allowed here)")
        elif err["type"] in ("value_error", "assertion_error") or err["type"].startswith("model_"):
            lines.append(f"  - {loc}: {msg}")
        else:
            value = err.get("input")
            shown = "a mapping" if isinstance(value, dict) else repr(value)
            lines.append(f"  - {loc}: got {shown}: {msg}")
    return "\n".join(lines)
