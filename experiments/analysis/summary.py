"""The one-run summary: the handful of figures a researcher reads first, from a per-step table.

Each line reports one output of the registry (``simulation.outputs``), reduced as the registry
says unless the line says otherwise (meritocracy is reported in the final year), and scaled as
the registry says (``Output.scale``: event rates per 1 000 cadres a year, as in the figures and
the analysis tables).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from simulation.outputs import EVENT_UNIT, OUTPUTS, Reduce, reduce_output


@dataclass(frozen=True)
class SummaryLine:
    """One line of the summary.

    Its key (also in ``cadresim run --json``), label and format, the output it reports, and how
    (None: as the registry reduces it).
    """

    key: str
    label: str
    fmt: str
    output: str
    reduce: Reduce | None = None


#: The lines of the readable summary, in print order.
SUMMARY_LINES: tuple[SummaryLine, ...] = (
    SummaryLine("final_inaction", "Inaction rate, final year", "{:.1%}", "final_inaction"),
    SummaryLine("mean_inaction", "Inaction rate, mean", "{:.1%}", "inaction"),
    SummaryLine("lying_flat", "  in form: lying flat", "{:.1%}", "lying_flat"),
    SummaryLine("formalism", "  in form: false action (formal work)", "{:.1%}", "formalism"),
    SummaryLine("avoidance", "  in form: responsibility avoidance", "{:.1%}", "avoidance"),
    SummaryLine("unwilling", "  by cause: unwilling", "{:.1%}", "unwilling"),
    SummaryLine("unable", "  by cause: unable", "{:.1%}", "unable"),
    SummaryLine("afraid", "  by cause: afraid", "{:.1%}", "afraid"),
    SummaryLine("afraid_share", "  afraid, as a share of inaction", "{:.1%}", "afraid_share"),
    SummaryLine("reason_afraid_share", "Inactive who say: afraid (survey 51.8%)", "{:.1%}",
                "reason_afraid_share"),
    SummaryLine("reason_unable_share", "Inactive who say: cannot (survey 43.8%)", "{:.1%}",
                "reason_unable_share"),
    SummaryLine("routine", "Routine work (mean share)", "{:.1%}", "routine"),
    SummaryLine("bold", "Bold work (mean share)", "{:.1%}", "bold"),
    SummaryLine("wrongful_sanctions_per_1000", f"Wrongful sanctions {EVENT_UNIT}", "{:.1f}",
                "wrongful_sanctions"),
    SummaryLine("shielded_violations_per_1000", f"Shielded violations {EVENT_UNIT}",
                "{:.1f}", "shielded_violations"),
    SummaryLine("meritocracy", "Meritocracy (rank-ability corr., final)", "{:+.3f}",
                "meritocracy", reduce="final"),
    SummaryLine("real_output", "Real output per cadre (mean)", "{:.3f}", "real_output"),
)


def summarise(table: pd.DataFrame, burn_in: int = 0) -> dict[str, Any]:
    """Summary of a per-step table; means skip the first ``burn_in`` steps."""
    if len(table) == 0:
        raise ValueError("the run has no steps to summarise")
    if not 0 <= burn_in < len(table):
        raise ValueError(f"burn_in must be from 0 to {len(table) - 1}, got {burn_in}")
    summary: dict[str, Any] = {}
    for line in SUMMARY_LINES:
        out = OUTPUTS[line.output]
        summary[line.key] = reduce_output(table, out, burn_in, line.reduce) * out.scale
    return summary


def format_summary(summary: dict[str, Any], header: str = "") -> str:
    """The summary as aligned lines for a terminal."""
    width = max(len(line.label) for line in SUMMARY_LINES)
    lines = [header] if header else []
    lines += [f"{line.label:<{width}}  {line.fmt.format(summary[line.key])}"
              for line in SUMMARY_LINES]
    return "\n".join(lines)
