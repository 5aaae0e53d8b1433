"""The written analysis of the objectives: what regimes achieve, and which dominate which.

What each regime achieves, its welfare band, which regimes dominate which, and (under a
posterior) each regime's share of draws on the front.

Tables for ``cadresim analyze``'s printout and Markdown files; values shown as the figures show
them (event rates per 1 000 cadres a year).
"""

from __future__ import annotations

import math
import textwrap

import pandas as pd

from experiments.analysis.intervals import LEVEL
from experiments.analysis.labels import axis_label, metric_label, regime_label, shown_columns
from experiments.analysis.objectives import sesoi_of
from experiments.analysis.results import Results
from experiments.analysis.robustness import lower_is_better
from experiments.analysis.statistics import Analysis
from experiments.analysis.tables import format_estimate, markdown_table, metric_decimals
from experiments.analysis.welfare import WEIGHT_BAND, WEIGHTS
from simulation.outputs import EVENT_UNIT

ESTIMATE_COLUMNS = ("mean", "sd", "ci_low", "ci_high")
SHOWN = f"event rates {EVENT_UNIT}"


def objective_text(results: Results, analysis: Analysis) -> str:
    """The objectives, each with its direction and smallest effect of interest, in words."""
    sesoi = sesoi_of(analysis.objectives, results.spec)
    parts = []
    for metric, s in zip(analysis.objectives, sesoi, strict=True):
        lab = metric_label(metric)
        lower = lower_is_better(metric)
        parts.append(f"{lab.short.lower()} ({'lower' if lower else 'higher'} is better, "
                     f"SESOI {s * lab.scale:g})")
    return ", ".join(parts)


def band_text() -> str:
    """The weight grid of the welfare band, in words."""
    return "; ".join(f"{w.replace('_', ' ')} {lo:g}-{hi:g} (config default {mid:g})"
                     for w, (lo, mid, hi) in ((w, WEIGHT_BAND[w]) for w in WEIGHTS))


def achievement_rows(results: Results, analysis: Analysis, level: float = LEVEL
                     ) -> tuple[list[str], list[list[str]]]:
    """One row per point: every objective, welfare's band and rank range, and the front.

    Inaction first; the front is the dominance table's (no other regime dominates it).
    """
    shown = list(dict.fromkeys(m for m in ("inaction", *analysis.objectives)
                               if m in results.metrics))
    means = shown_columns(analysis.means[analysis.means["metric"].isin(shown)],
                          ESTIMATE_COLUMNS)
    decimals = {m: metric_decimals(t) for m, t in means.groupby("metric")}
    band = analysis.welfare.set_index("point") if not analysis.welfare.empty else None
    front = {}
    if not analysis.dominance.empty and not analysis.dominance["setting"].astype(bool).any():
        front = dict(zip(analysis.dominance["regime"], analysis.dominance["on_front"],
                         strict=True))
    headers = ["Point", *(metric_label(m).short for m in shown)]
    if band is not None:
        headers += ["Welfare band", "Welfare rank"]
    if front:
        headers.append("Front")
    rows = []
    for point, part in means.groupby("point", sort=True):
        by_metric = part.set_index("metric")
        row = [part["label"].iloc[0]] + [
            format_estimate(by_metric.at[m, "mean"], by_metric.at[m, "ci_low"],
                            by_metric.at[m, "ci_high"], decimals=decimals[m]) for m in shown]
        if band is not None:
            b = band.loc[point]
            row.append(f"[{b['band_low']:.2f}, {b['band_high']:.2f}]")
            row.append(_rank_text(b))
        if front:
            row.append("yes" if front.get(part["regime"].iloc[0]) else "")
        rows.append(row)
    return headers, rows


def _rank_text(row: pd.Series) -> str:
    """``3 (2-5)``: the rank at the config's weights and its range over the weights."""
    if not math.isfinite(row["rank"]):
        return "n/a"
    best, worst = int(row["rank_best"]), int(row["rank_worst"])
    spread = f"{best}" if best == worst else f"{best}-{worst}"
    return f"{int(row['rank'])} ({spread})"


def achievement_note(results: Results, analysis: Analysis) -> str:
    """What the achievement table shows, in one paragraph."""
    text = (f"Objectives: {objective_text(results, analysis)}; {SHOWN}. Welfare at the config's "
            "weights; its band is the lowest and highest mean over the weights "
            f"({band_text()}), recomputed from the stored outputs; rank 1 = highest welfare, in "
            "brackets the best and worst rank over the weights.")
    if not analysis.dominance.empty:
        text += (" Front: no other regime dominates it (no worse on every objective and "
                 "better on at least one, by more than the SESOI, on the 95% intervals of the "
                 "paired differences).")
    return text


def dominance_lines(analysis: Analysis) -> list[str]:
    """What ``cadresim analyze`` prints about dominance (nothing without a table)."""
    table = analysis.dominance
    if table.empty:
        return []
    lines = ["", *textwrap.wrap(
        "Dominance on the objectives: regime X dominates Y when the 95% interval of every "
        "paired difference shows X no worse than Y by more than the objective's SESOI, and one "
        "shows X better by more than it (each interval at 95%, not adjusted for the number of "
        "objectives).", 100)]
    for setting, part in table.groupby("setting", sort=False):
        on = [regime_label(r) for r in part.loc[part["on_front"], "regime"]]
        where = f"{setting}: " if setting else ""
        lines.append(f"{where}on the front (dominated by none): {', '.join(on) or 'none'}")
        for r in part[~part["on_front"]].to_dict("records"):
            by = ", ".join(regime_label(x) for x in r["dominated_by"].split("; "))
            lines.append(f"  {regime_label(r['regime'])} is dominated by {by}")
    return lines


def dominance_markdown(results: Results, analysis: Analysis) -> str:
    """``analysis/dominance.md``."""
    table = analysis.dominance
    has_setting = table["setting"].astype(bool).any()
    rows = [[*([r["setting"]] if has_setting else []), regime_label(r["regime"]),
             "yes" if r["on_front"] else "no",
             ", ".join(regime_label(x) for x in r["dominates"].split("; ") if x) or "-",
             ", ".join(regime_label(x) for x in r["dominated_by"].split("; ") if x) or "-"]
            for r in table.to_dict("records")]
    headers = [*(["Setting"] if has_setting else []), "Regime", "On the front", "Dominates",
               "Dominated by"]
    return "\n".join([f"# {results.name}: dominance on the objectives", "",
                      "\n".join(dominance_lines(analysis)[1:]), "",
                      f"Objectives: {objective_text(results, analysis)}.", "",
                      markdown_table(headers, rows), ""])


def welfare_markdown(results: Results, analysis: Analysis) -> str:
    """``analysis/welfare.md``: welfare per point at the config's weights and its band."""
    table = analysis.welfare
    rows = [[r["label"], str(r["n"]),
             format_estimate(r["welfare"], r["ci_low"], r["ci_high"], "ci"),
             f"[{r['band_low']:.3f}, {r['band_high']:.3f}]", _rank_text(pd.Series(r))]
            for r in table.to_dict("records")]
    return "\n".join([
        f"# {results.name}: welfare and its band over the weights", "",
        f"{axis_label('welfare')}: per point, the mean over replicates at the config's weights "
        "with its 95% t-interval, and the lowest and highest mean over the grid of weights "
        f"({band_text()}; docs/ODD.md 9.1), recomputed from the stored real output, effort "
        "cost, wrongful sanctions and shielded violations. Rank 1 = highest welfare among the "
        "regimes at the same setting; in brackets the best and worst rank over the grid.", "",
        markdown_table(["Point", "n", "Welfare [95% CI]", "Band over the weights", "Rank (band)"],
                       rows), ""])


def pareto_lines(analysis: Analysis) -> list[str]:
    """What ``cadresim analyze`` prints about the Pareto front under a posterior."""
    table = analysis.pareto
    if table.empty:
        return []
    first = table.iloc[0]
    lines = ["", *textwrap.wrap(
        f"Pareto front across {int(first['draws'])} posterior draws: the share of draws in "
        "which no other regime is no worse on every objective and better on one by more than "
        f"its SESOI ({first['objectives']}).", 100)]
    has_setting = table["setting"].astype(bool).any()
    for r in table.sort_values("share_front", ascending=False, kind="stable").to_dict("records"):
        where = f"{r['setting']}: " if has_setting else ""
        lines.append(f"  {where}{regime_label(r['regime'])}: {r['share_front']:.0%}")
    return lines
