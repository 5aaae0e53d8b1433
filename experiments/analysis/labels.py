"""Human names and units for metrics, parameters and regimes, for tables and figure axes.

Output names and units come from the output registry (``simulation.outputs``); parameter names
and units from the config schema (``simulation.loading.field_info``), so a renamed field or
output is renamed everywhere. Values are stored as the model computes them (event rates as
shares of cadres a year) and shown, in figures and in the tables written for people, as the
registry's ``Output.scale`` says (per 1 000 cadres a year).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import pandas as pd

from simulation import ConfigError
from simulation.loading import field_info
from simulation.outputs import OUTPUTS

if TYPE_CHECKING:
    from experiments.analysis.results import Results


class Label(NamedTuple):
    """How an output or parameter is shown: name, short name, unit and display factor.

    The factor takes the stored value to the shown one (1000 for event rates, per 1 000 cadres
    a year).
    """

    name: str
    short: str
    unit: str
    scale: float = 1.0


#: The label of every output, from the registry (``simulation.outputs``).
METRICS: dict[str, Label] = {
    o.name: Label(o.label, o.short, o.shown_unit, o.scale) for o in OUTPUTS.values()
}


def shown(metric: str, values: object) -> object:
    """Stored values of a metric as figures show them (event rates per 1 000 cadres a year)."""
    scale = metric_label(metric).scale
    return values if scale == 1.0 else values * scale


def shown_columns(table: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """A copy of a long analysis table with its value ``columns`` as figures show them.

    Each row is scaled by the factor of its ``metric`` (event rates per 1 000 cadres a year), so
    a table written for people reads in the units of the figures and of ``axis_label``.
    """
    scale = table["metric"].map(lambda m: metric_label(m).scale).to_numpy(dtype=float)
    out = table.copy()
    for column in columns:
        if column in out:
            out[column] = out[column].to_numpy(dtype=float) * scale
    return out


def stored_unit(metric: str) -> str:
    """The unit of a metric's stored values (results, analysis CSVs): event rates as shares."""
    out = OUTPUTS.get(metric)
    return out.unit if out is not None else ""


def setting_text(path: str, value: object) -> str:
    """``Name = value`` for a point's parameter setting.

    A regime switch set beyond any run (the designs' way of saying 'never') reads 'never switched'.
    """
    if path == "switch.step" and float(value) >= NEVER_SWITCH:
        return "Never switched"
    lab = parameter_label(path)
    try:
        extra = field_info(path).json_schema_extra
    except ConfigError:
        extra = None
    note = str((extra or {}).get("unit") or "") if isinstance(extra, dict) else ""
    for word in ("none", "never"):  # 'years (0 = none)', 'year (0 = never)'
        if f"(0 = {word})" in note and float(value) == 0:
            return f"{lab.short}: {word}"
    counted = lab.unit.startswith(("years", "cadres"))  # '55 years' reads; '0.5 probability' not
    unit = f" {lab.unit}" if counted else ""
    return f"{lab.short} = {format_value(value)}{unit}"


#: A switch step at or beyond this is 'never' (no run is this long).
NEVER_SWITCH = 1000


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
    if "(" in unit:  # 'years (0 = none)': the note belongs to the value, not the unit
        unit = unit.split("(", 1)[0].strip()
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


def point_labels(results: Results) -> dict[int, str]:
    """A readable label per point.

    The regime (if several or nothing else varies) and the values of the parameters that vary.
    """
    varying = results.varying_parameters()
    several = len(results.regimes) > 1
    labels = {}
    for data in results.points.to_dict("records"):
        parts = [regime_label(data["regime"])] if several or not varying else []
        parts += [setting_text(p, data[p]) for p in varying]
        labels[int(data["point"])] = ", ".join(parts)
    return labels


def setting_label(parameters: list[str], values: tuple[Any, ...]) -> str:
    """A design row's parameter values as words (empty without parameters)."""
    return ", ".join(setting_text(p, v) for p, v in zip(parameters, values, strict=True))

