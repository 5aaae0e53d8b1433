"""The one error type of the calibration package, and its wording of validation errors.

The per-error wording is the project's one translator, ``simulation.errors.describe_error``.
"""

from __future__ import annotations

from pydantic import BaseModel, ValidationError

from simulation.errors import describe_error
from simulation.loading import ConfigError, shown


class CalibrationError(ConfigError):
    """Targets, priors or a calibration folder that cannot be used; the message says why.

    A subclass of ``simulation.ConfigError``, so callers that already catch config errors (the
    CLI) catch these too.
    """


def _unknown(where: str) -> str:
    return f"{where}: unknown key (not allowed here)"


def describe_validation_error(exc: ValidationError, origin: str) -> str:
    r"""One line per problem: the field's dotted location, the bad value and what is allowed.

    Args:
        exc: the pydantic error.
        origin: the file (or ``<text>``) the data came from, named in the first line.

    Returns:
        A message such as ``targets 'x.yaml' are not valid:\\n  - targets.0.value: got 1.5 ...``.
    """
    lines = [f"{origin!r} is not valid:"]
    lines += [
        "  - " + describe_error(err, allowed=lambda _loc: "", unknown=_unknown, show=shown)
        for err in exc.errors()
    ]
    return "\n".join(lines)


def validated(model: type[BaseModel], data: object, origin: str, what: str) -> BaseModel:
    """``data`` validated as ``model``; a CalibrationError naming each bad field otherwise.

    ``what`` starts the message ("targets", "priors").
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise CalibrationError(f"{what} " + describe_validation_error(exc, origin)) from None
