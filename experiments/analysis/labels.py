"""Human names and units for metrics, parameters and regimes, for tables and figure axes.

Output names and units come from the output registry (``simulation.outputs``); parameter names
and units from the config schema (``simulation.loading.field_info``), so a renamed field or
output is renamed everywhere.
"""

from __future__ import annotations

from typing import NamedTuple

from simulation import ConfigError
from simulation.loading import field_info
from simulation.outputs import OUTPUTS


class Label(NamedTuple):
    """A readable name, a short name for crowded places, and the unit."""

    name: str
    short: str
    unit: str


#: The label of every output, from the registry (``simulation.outputs``).
METRICS: dict[str, Label] = {o.name: Label(o.label, o.short, o.unit) for o in OUTPUTS.values()}


def metric_label(metric: str) -> Label:
    """The label of a metric; an unknown metric keeps its code name (so new outputs still plot)."""
    return METRICS.get(metric, Label(metric, metric, ""))


def parameter_label(path: str) -> Label:
    """The label of a config field (dotted path) from its schema title and unit."""
    try:
        info = field_info(path)
    except ConfigError:
        return Label(path, path, "")
    title = info.title or path.rsplit(".", 1)[-1].replace("_", " ").capitalize()
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    unit = str(extra.get("unit") or "")
    if path.startswith("switch.regime."):
        title = f"{title} (after switch)"
    return Label(title, title, unit)


def label(name: str) -> Label:
    """The label of a metric or a parameter, whichever ``name`` is."""
    if name in METRICS or "." not in name:
        return metric_label(name)
    return parameter_label(name)


def axis_label(name: str) -> str:
    """``Name [unit]`` for an axis or a column header."""
    lab = label(name)
    return f"{lab.name} [{lab.unit}]" if lab.unit else lab.name


def regime_label(name: str) -> str:
    """A preset's code name as words: ``jilin_three_ups_downs`` -> ``Jilin three ups downs``."""
    words = str(name).replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:] if words else str(name)


def format_value(value: object) -> str:
    """A parameter value for a label: integers plain, floats to 4 significant digits."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    try:
        return format_value(value.item())  # numpy scalars
    except AttributeError:
        return str(value)

