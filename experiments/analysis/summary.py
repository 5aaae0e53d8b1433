"""The one-run summary: the handful of figures a researcher reads first, from a per-step table."""

from __future__ import annotations

from typing import Any

import pandas as pd

#: Event rates are reported per 1 000 cadres per year, so runs of any size compare directly.
PER_1000 = 1000.0

#: (key, label, format) of the readable summary, in print order.
SUMMARY_LINES: tuple[tuple[str, str, str], ...] = (
    ("final_inaction", "Inaction rate, final year", "{:.1%}"),
    ("mean_inaction", "Inaction rate, mean", "{:.1%}"),
    ("unwilling", "  of which unwilling (mean)", "{:.1%}"),
    ("unable", "  of which unable (mean)", "{:.1%}"),
    ("afraid", "  of which afraid (mean)", "{:.1%}"),
    ("formalism", "Formalism (mean share)", "{:.1%}"),
    ("routine", "Routine work (mean share)", "{:.1%}"),
    ("bold", "Bold work (mean share)", "{:.1%}"),
    ("wrongful_sanctions_per_1000", "Wrongful sanctions per 1000 cadres/yr", "{:.1f}"),
    ("shielded_violations_per_1000", "Shielded violations per 1000 cadres/yr", "{:.1f}"),
    ("meritocracy", "Meritocracy (rank-ability corr., final)", "{:+.3f}"),
    ("real_output", "Real output per cadre (mean)", "{:.3f}"),
)


def summarise(table: pd.DataFrame, burn_in: int = 0) -> dict[str, Any]:
    """Summary of a per-step table; means skip the first ``burn_in`` steps."""
    if len(table) == 0:
        raise ValueError("the run has no steps to summarise")
    if not 0 <= burn_in < len(table):
        raise ValueError(f"burn_in must be from 0 to {len(table) - 1}, got {burn_in}")
    kept = table.iloc[burn_in:]
    last = table.iloc[-1]
    mean = kept.mean(numeric_only=True)
    return {
        "final_inaction": float(last["inaction"]),
        "mean_inaction": float(mean["inaction"]),
        "unwilling": float(mean["unwilling"]),
        "unable": float(mean["unable"]),
        "afraid": float(mean["afraid"]),
        "formalism": float(mean["formalism"]),
        "routine": float(mean["routine"]),
        "bold": float(mean["bold"]),
        "wrongful_sanctions_per_1000": float(mean["wrongful_sanctions"] * PER_1000),
        "shielded_violations_per_1000": float(mean["shielded_violations"] * PER_1000),
        "meritocracy": float(last["meritocracy"]),
        "real_output": float(mean["real_output"]),
    }


def format_summary(summary: dict[str, Any], header: str = "") -> str:
    """The summary as aligned lines for a terminal."""
    width = max(len(label) for _, label, _ in SUMMARY_LINES)
    lines = [header] if header else []
    lines += [f"{label:<{width}}  {fmt.format(summary[key])}" for key, label, fmt in SUMMARY_LINES]
    return "\n".join(lines)
