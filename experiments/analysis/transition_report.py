"""The transitions table for people: what ``cadresim analyze`` prints and ``transitions.md``.

Reads the table of :mod:`experiments.analysis.transitions`; values are shown in the units of the
figures (event rates per 1 000 cadres a year), years as whole years of the phase.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.analysis.labels import axis_label, metric_label, shown
from experiments.analysis.tables import format_estimate, markdown_table, number, text_table
from experiments.analysis.transitions import BOOTSTRAP, WINDOW

METHOD = (
    "Years are counted from the change, its first year being year 1: 'half' is the first year "
    "by whose end the effect had covered half of the change (on the mean over replicates), "
    "'90%' nine tenths. The effect is the arm minus the never-switched arm, year by year (or "
    "minus the level before the switch without such an arm); the change is the effect over the "
    f"last {WINDOW} years of the phase (to the return or the end of the run; at most a third of "
    f"it) minus the effect over the {WINDOW} years before it. 'No change': the change's interval "
    "covers 0, so no time is given. 'Gap at the end': the arm minus the comparison arm over "
    "those last years (after a switch: the new regime from the start; after a return: the "
    "never-switched arm, so a gap that excludes 0 is hysteresis). 'Undone': the share of the "
    f"switch's change the return reversed. Brackets: 95% percentile bootstrap ({BOOTSTRAP} "
    "resamples of the replicates, paired across arms when they share random numbers)."
)


def _value(metric: str, x: float) -> float:
    return float(shown(metric, x)) if math.isfinite(x) else math.nan


def _estimate(metric: str, mean: float, low: float, high: float) -> str:
    return format_estimate(_value(metric, mean), _value(metric, low), _value(metric, high), "ci")


def _years(row: dict[str, Any], name: str) -> str:
    """``3 [2, 5]`` years, or 'no change'."""
    if row["status"] != "change":
        return "no change"
    years = row[f"{name}_years"]
    if not math.isfinite(years):
        return "not reached"
    low, high = row[f"{name}_low"], row[f"{name}_high"]
    bounds = f" [{low:.0f}, {high:.0f}]" if math.isfinite(low) else ""
    return f"{years:.0f}{bounds}"


def _share(x: float, low: float = math.nan, high: float = math.nan) -> str:
    if not math.isfinite(x):
        return ""
    text = f"{x + 0.0:.0%}".replace("-0%", "0%")
    return text + (f" [{low:.0%}, {high:.0%}]" if math.isfinite(low) else "")


def _cells(row: dict[str, Any]) -> list[str]:
    """A row's cells after the metric's name."""
    m = row["metric"]
    before, after = (number(_value(m, row[k]), 3) for k in ("level_before", "level_after"))
    levels = f"{before} → {after}"
    gap = _estimate(m, row["gap"], row["gap_low"], row["gap_high"]) if math.isfinite(
        row["gap"]) else ""
    cells = [levels, _estimate(m, row["change"], row["change_low"], row["change_high"]),
             _share(row["first_year_share"]), _years(row, "half"), _years(row, "ninety"), gap]
    if row["transition"] == "return":
        cells.append(_share(row["undone"], row["undone_low"], row["undone_high"]))
    return cells


def _heading(part: pd.DataFrame) -> tuple[str, list[str]]:
    """A block's title and its column headers."""
    first = part.iloc[0]
    where = f"{first['setting']}: " if first["setting"] else ""
    what = "the switch" if first["transition"] == "switch" else "the return"
    title = (f"{where}{first['arm']}: {what} (years {first['year']}-{first['end_year']}, "
             f"{first['replicates']} replicates)")
    versus = first["comparison"] or "comparison arm"
    headers = ["Output", "Before → after", "Change [95%]", "In year 1", "Half [95%]",
               "90% [95%]", f"Gap to '{versus}' at the end"]
    if first["transition"] == "return":
        headers.append("Undone")
    return title, headers


def _blocks(table: pd.DataFrame) -> list[pd.DataFrame]:
    keys = ["setting", "point", "transition"]
    return [part for _, part in table.groupby(keys, sort=False)]


def transition_lines(table: pd.DataFrame) -> list[str]:
    """What ``cadresim analyze`` prints about transitions (nothing without them)."""
    if table.empty:
        return []
    lines = ["", "Transitions (analysis/transitions.md):", *textwrap.wrap(METHOD, 100)]
    for part in _blocks(table):
        title, headers = _heading(part)
        rows = [[metric_label(r["metric"]).short, *_cells(r)] for r in part.to_dict("records")]
        lines += ["", title, text_table(headers, rows)]
    return lines


def transitions_markdown(name: str, table: pd.DataFrame) -> str:
    """``analysis/transitions.md``: one table per arm and change."""
    out = [f"# {name}: transitions", "", METHOD, ""]
    for part in _blocks(table):
        title, headers = _heading(part)
        rows = [[axis_label(r["metric"]), *_cells(r)] for r in part.to_dict("records")]
        out += [f"## {title}", "", markdown_table(headers, rows), ""]
    return "\n".join(out)


def write_transitions(folder: Path, name: str, table: pd.DataFrame,
                      paths: pd.DataFrame) -> list[Path]:
    """``transitions.csv``, ``transition_paths.csv`` and ``transitions.md`` (none if empty)."""
    if table.empty:
        return []
    written = [folder / "transitions.csv", folder / "transition_paths.csv",
               folder / "transitions.md"]
    table.to_csv(written[0], index=False)
    paths.to_csv(written[1], index=False)
    written[2].write_text(transitions_markdown(name, table) + "\n", encoding="utf-8")
    return written
