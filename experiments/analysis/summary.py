"""The one-run summary: the handful of figures a researcher reads first, from a per-step table.

Each line reports one output of the registry (``simulation.outputs``) under its registry name
(the name of its Parquet column), reduced as the registry says, over the years after the
burn-in. ``summarise`` keeps the stored unit (a share of cadres a year for event rates); the
printed summary and the ``shown`` values of ``cadresim run --json`` are scaled as the registry
says (``Output.scale``: event rates per 1 000 cadres a year, as in the figures and the analysis
tables).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from simulation.outputs import EVENT_UNIT, OUTPUTS, reduce_output


@dataclass(frozen=True)
class SummaryLine:
    """One line of the summary: the output it reports (its registry name), label and format."""

    output: str
    label: str
    fmt: str


#: The lines of the readable summary, in print order.
SUMMARY_LINES: tuple[SummaryLine, ...] = (
    SummaryLine("final_inaction", "Inaction rate, final year", "{:.1%}"),
    SummaryLine("inaction", "Inaction rate, mean", "{:.1%}"),
    SummaryLine("lying_flat", "  in form: lying flat", "{:.1%}"),
    SummaryLine("formalism", "  in form: false action (formal work)", "{:.1%}"),
    SummaryLine("avoidance", "  in form: responsibility avoidance", "{:.1%}"),
    SummaryLine("unwilling", "  by cause: unwilling", "{:.1%}"),
    SummaryLine("unable", "  by cause: unable", "{:.1%}"),
    SummaryLine("afraid", "  by cause: afraid", "{:.1%}"),
    SummaryLine("afraid_share", "  afraid, as a share of inaction", "{:.1%}"),
    SummaryLine("reason_afraid_share", "Inactive who say: afraid (survey 51.8%)", "{:.1%}"),
    SummaryLine("reason_unable_share", "Inactive who say: cannot (survey 43.8%)", "{:.1%}"),
    SummaryLine("routine", "Routine work (mean share)", "{:.1%}"),
    SummaryLine("bold", "Bold work (mean share)", "{:.1%}"),
    SummaryLine("wrongful_sanctions", f"Wrongful sanctions {EVENT_UNIT}", "{:.1f}"),
    SummaryLine("shielded_violations", f"Shielded violations {EVENT_UNIT}", "{:.1f}"),
    SummaryLine("meritocracy", "Meritocracy (rank-ability corr., mean)", "{:+.3f}"),
    SummaryLine("real_output", "Real output per cadre (mean)", "{:.3f}"),
)


def summarise(table: pd.DataFrame, burn_in: int = 0) -> dict[str, float]:
    """Each summary output of a per-step table, in its stored unit; means skip ``burn_in`` steps."""
    if len(table) == 0:
        raise ValueError("the run has no steps to summarise")
    if not 0 <= burn_in < len(table):
        raise ValueError(f"burn_in must be from 0 to {len(table) - 1}, got {burn_in}")
    return {line.output: reduce_output(table, OUTPUTS[line.output], burn_in)
            for line in SUMMARY_LINES}


def shown_values(summary: dict[str, float]) -> dict[str, float]:
    """The summary's values as figures show them (event rates per 1 000 cadres a year)."""
    return {name: value * OUTPUTS[name].scale for name, value in summary.items()}


def units(summary: dict[str, float]) -> dict[str, dict[str, Any]]:
    """Each output's stored unit, and the scale and unit it is shown in."""
    return {name: {"unit": OUTPUTS[name].unit, "scale": OUTPUTS[name].scale,
                   "shown_unit": OUTPUTS[name].shown_unit} for name in summary}


def format_summary(summary: dict[str, float], header: str = "") -> str:
    """The summary as aligned lines for a terminal, event rates per 1 000 cadres a year."""
    width = max(len(line.label) for line in SUMMARY_LINES)
    values = shown_values(summary)
    lines = [header] if header else []
    lines += [f"{line.label:<{width}}  {line.fmt.format(values[line.output])}"
              for line in SUMMARY_LINES]
    return "\n".join(lines)
