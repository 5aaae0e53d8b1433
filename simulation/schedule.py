"""The regime in force each year: the starting regime, a switch, and an optional return.

A reform rarely lands in one year (fault-tolerance rules spread across provinces over several
years), and some reforms are reversed ("flipping pancakes", source text 001):
``switch.phase_in`` spreads a change over years; ``switch.back_step`` undoes it. The regime of
a year is a pure function of the config and the year (docs/ODD.md, process overview, step 0).
"""

from __future__ import annotations

from typing import Any

from simulation.config import ModelConfig, Regime


def switch_weight(config: ModelConfig, year: int) -> float:
    """How far the switch has gone in ``year``: 0 before it (or after the return), 1 in full.

    With ``phase_in`` P > 1 the change moves in P equal steps: year ``step + k`` (k < P) is
    (k + 1) / P of the way; with P of 0 or 1 it is whole at ``step``.
    """
    switch = config.switch
    if switch is None or year < switch.step:
        return 0.0
    if switch.back_step and year >= switch.back_step:
        return 0.0
    years = max(switch.phase_in, 1)
    return min(1.0, (year - switch.step + 1) / years)


def regime_in_force(config: ModelConfig, year: int) -> tuple[Regime, str]:
    """The regime of ``year`` and the label it is recorded under."""
    weight = switch_weight(config, year)
    switch = config.switch
    if switch is None or weight == 0.0:
        return config.regime, config.name
    label = switch.label or "switched"
    if weight == 1.0:
        return switch.regime, label
    mixed = _between(config.regime.model_dump(), switch.regime.model_dump(), weight)
    return Regime.model_validate(mixed), label


def _between(old: Any, new: Any, weight: float) -> Any:
    """``weight`` of the way from ``old`` to ``new``, field by field.

    Real numbers move linearly; integers take the nearest whole value on the way; anything
    else (flags, names) changes once the change is at least half done.
    """
    if isinstance(old, dict):
        return {key: _between(old[key], new[key], weight) for key in old}
    if isinstance(old, bool) or not isinstance(old, int | float):
        return new if weight >= 0.5 else old
    value = old + weight * (new - old)
    return round(value) if isinstance(old, int) else float(value)
