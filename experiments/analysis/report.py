"""The written analysis: its tables as CSV and Markdown files, and what ``cadresim analyze`` prints.

The CSV files keep the stored values; the Markdown tables and the printout show event rates per
1 000 cadres a year, as the figures do (``experiments.analysis.labels.shown_columns``).
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.analysis.comparisons import paired_arms
from experiments.analysis.intervals import LEVEL
from experiments.analysis.labels import (
    axis_label,
    format_value,
    metric_label,
    regime_label,
    shown_columns,
)
from experiments.analysis.objective_report import (
    achievement_note,
    achievement_rows,
    dominance_lines,
    dominance_markdown,
    pareto_lines,
    welfare_markdown,
)
from experiments.analysis.results import SAMPLED_DESIGNS, Results
from experiments.analysis.robustness import ROBUST_SHARE, default_reference, lower_is_better
from experiments.analysis.statistics import ALPHA, Analysis
from experiments.analysis.tables import (
    format_estimate,
    markdown_table,
    metric_decimals,
    number,
    p_text,
    row_decimals,
    text_table,
)
from experiments.analysis.transition_report import transition_lines, write_transitions
from simulation.outputs import CAUSES, EVENT_UNIT, FORMS, in_group

#: What `cadresim analyze` prints first: the headline, its three forms, its three causes, bold
#: (all kept metrics go to the files).
HEADLINE: tuple[str, ...] = (*in_group("headline", per_step=True), *FORMS, *CAUSES, "bold")
MAX_PRINTED_ROWS = 40
#: The columns of each analysis table that are in the metric's unit, scaled as figures show
#: them in the Markdown tables and on the terminal (the CSVs keep the stored values).
ESTIMATE_COLUMNS = ("mean", "sd", "ci_low", "ci_high")
DIFFERENCE_COLUMNS = ("mean_a", "mean_b", "difference", "diff_ci_low", "diff_ci_high",
                      "smallest_effect")
MORRIS_COLUMNS = ("mu_star", "mu_star_conf", "mu", "sigma")
SHOWN_NOTE = f"event rates {EVENT_UNIT}, as in the figures; the CSV files keep them as " \
    "shares, the spec's smallest_effect too"


def _means_markdown(results: Results, analysis: Analysis, level: float) -> str:
    varying = results.varying_parameters()
    several = len(results.regimes) > 1
    out = [f"# {results.name}: means over replicates",
           "",
           f"Each run's value is its mean over the steps after a burn-in of {results.burn_in}; "
           f"the table gives the mean over replicates and its {level:.0%} t-interval, in the "
           f"unit of each heading ({SHOWN_NOTE}).",
           ""]
    means = shown_columns(analysis.means, ESTIMATE_COLUMNS)
    for metric, table in means.groupby("metric", sort=False):
        dec = metric_decimals(table)
        out += [f"## {axis_label(metric)}", ""]
        headers = ["Point", *(["Regime"] if several else []),
                   *(axis_label(p) for p in varying), "n", "Mean", f"{level:.0%} CI"]
        rows = []
        for d in table.to_dict("records"):
            est = format_estimate(d["mean"], d["ci_low"], d["ci_high"], "ci", dec)
            mean_text, _, ci_text = est.partition(" ")
            rows.append([str(d["point"]), *([regime_label(d["regime"])] if several else []),
                         *(format_value(d[p]) for p in varying), str(d["n"]), mean_text,
                         ci_text or "n/a"])
        out += [markdown_table(headers, rows), ""]
    return "\n".join(out)


def comparison_method_text(results: Results, table: pd.DataFrame) -> str:
    """One paragraph: how the differences and their intervals were computed."""
    pairing = ("the arms share random numbers (common_random_numbers), so intervals are paired "
               "on replicate" if paired_arms(results) else
               "the arms do not share random numbers, so intervals are Welch t-intervals")
    text = (f"Difference = regime B minus regime A with its 95% interval; {pairing}; "
            "rare-event outputs get a BCa bootstrap interval (20 runs or more per arm). Effect: "
            "Hedges' g (difference over the pooled between-run sd). SESOI: the smallest effect "
            "of interest (spec's smallest_effect, else 0.01 for shares of cadres); relevance: "
            "beyond = the interval lies beyond +-SESOI, within = inside it, inconclusive = it "
            "straddles a bound.")
    if "p_adjusted" in table:
        n = int(table["p_value"].notna().sum())
        text += (f" p: t-test matching the interval (paired or Welch), adjusted "
                 f"({table['adjustment'].iloc[0]}, statsmodels) over the {n} tests in this "
                 "table; with enough replications every difference is 'significant', so read "
                 "the intervals first.")
    return text


def _difference_text(r: dict[str, Any]) -> str:
    dec = row_decimals(r["mean_a"], r["mean_b"])
    diff = number(r["difference"], dec, signed=True)
    if math.isfinite(r["diff_ci_low"]):
        diff += f" [{number(r['diff_ci_low'], dec, signed=True)}, " \
                f"{number(r['diff_ci_high'], dec, signed=True)}]"
    return diff


def _comparisons_markdown(results: Results, table: pd.DataFrame) -> str:
    out = [f"# {results.name}: regime differences", "", comparison_method_text(results, table),
           "", f"Means, differences and SESOI are in the unit of each heading ({SHOWN_NOTE}).",
           ""]
    table = shown_columns(table, DIFFERENCE_COLUMNS)
    has_setting = table["setting"].astype(bool).any()
    tests = "p_adjusted" in table
    for metric, part in table.groupby("metric", sort=False):
        out += [f"## {axis_label(metric)}", ""]
        headers = [*(["Setting"] if has_setting else []), "Regime A", "Regime B", "n", "Mean A",
                   "Mean B", "Difference [95% CI]", "Method", "Hedges g", "SESOI", "Relevance",
                   *(["p", "p (adjusted)"] if tests else [])]
        rows = []
        for r in part.to_dict("records"):
            dec = row_decimals(r["mean_a"], r["mean_b"])
            rows.append([*([r["setting"]] if has_setting else []), regime_label(r["regime_a"]),
                         regime_label(r["regime_b"]), f"{r['n_a']}/{r['n_b']}",
                         number(r["mean_a"], dec), number(r["mean_b"], dec), _difference_text(r),
                         r["method"], number(r["effect_size"], 2, signed=True),
                         number(r["smallest_effect"], dec), r["relevance"] or "n/a",
                         *([p_text(r["p_value"]), p_text(r["p_adjusted"])] if tests else [])])
        out += [markdown_table(headers, rows), ""]
    return "\n".join(out)


def _precision_markdown(results: Results, table: pd.DataFrame) -> str:
    out = [f"# {results.name}: precision reached", "",
           "Replications by precision: each point ran until every named metric's 95% "
           "half-width was at most its target, or the spec's max was reached.", ""]
    table = shown_columns(table, ("half_width", "target"))
    rows = [[r["label"], metric_label(r["metric"]).short, metric_label(r["metric"]).unit,
             str(r["n"]), number(r["half_width"], 5), number(r["target"], 5),
             "yes" if r["reached"] else "no"]
            for r in table.to_dict("records")]
    out += [markdown_table(["Point", "Metric", "Unit", "n", "Half-width", "Target", "Reached"],
                           rows), ""]
    return "\n".join(out)


def _sensitivity_markdown(results: Results, table: pd.DataFrame, kind: str) -> str:
    out = [f"# {results.name}: {kind} sensitivity indices", ""]
    if kind == "Sobol":
        out += ["First-order (S1) and total (ST) indices on per-point means over replicates, "
                "with bootstrap 95% intervals (±).", ""]
    else:
        out += ["Morris mean absolute elementary effect (mu*) with its bootstrap 95% interval, "
                "mean effect (mu) and spread (sigma), on per-point means.", ""]
    several = table["regime"].nunique() > 1
    table = shown_columns(table, MORRIS_COLUMNS)
    for (regime, metric), part in table.groupby(["regime", "metric"], sort=False):
        title = axis_label(metric) + (f" — {regime_label(regime)}" if several else "")
        out += [f"## {title}", ""]
        if kind == "Sobol":
            headers = ["Parameter", "S1", "±", "ST", "±"]
            rows = [[r["parameter_name"], f"{r['S1']:.3f}", f"{r['S1_conf']:.3f}",
                     f"{r['ST']:.3f}", f"{r['ST_conf']:.3f}"] for r in part.to_dict("records")]
        else:
            headers = ["Parameter", "mu*", "±", "mu", "sigma"]
            rows = [[r["parameter_name"], f"{r['mu_star']:.4g}", f"{r['mu_star_conf']:.2g}",
                     f"{r['mu']:.4g}", f"{r['sigma']:.4g}"] for r in part.to_dict("records")]
        out += [markdown_table(headers, rows), ""]
    return "\n".join(out)


def write_analysis(results: Results, analysis: Analysis, alpha: float = ALPHA,
                   level: float = LEVEL) -> list[Path]:
    """Write the tables as CSV and Markdown into ``RESULTS/analysis/``; returns the files."""
    del alpha  # kept for callers of the earlier signature
    folder = results.path / "analysis"
    folder.mkdir(exist_ok=True)
    written = []

    def put(name: str, text: str) -> None:
        path = folder / name
        path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        written.append(path)

    analysis.means.to_csv(folder / "means.csv", index=False)
    written.append(folder / "means.csv")
    put("means.md", _means_markdown(results, analysis, level))
    if not analysis.comparisons.empty:
        analysis.comparisons.to_csv(folder / "comparisons.csv", index=False)
        written.append(folder / "comparisons.csv")
        put("comparisons.md", _comparisons_markdown(results, analysis.comparisons))
    if not analysis.precision.empty:
        analysis.precision.to_csv(folder / "precision.csv", index=False)
        written.append(folder / "precision.csv")
        put("precision.md", _precision_markdown(results, analysis.precision))
    if not analysis.welfare.empty:
        analysis.welfare.to_csv(folder / "welfare.csv", index=False)
        written.append(folder / "welfare.csv")
        put("welfare.md", welfare_markdown(results, analysis))
    if not analysis.dominance.empty:
        analysis.dominance.to_csv(folder / "dominance.csv", index=False)
        written.append(folder / "dominance.csv")
        put("dominance.md", dominance_markdown(results, analysis))
    if not analysis.robustness.empty:
        analysis.robustness.to_csv(folder / "robustness.csv", index=False)
        written.append(folder / "robustness.csv")
        if not analysis.pareto.empty:
            analysis.pareto.to_csv(folder / "pareto.csv", index=False)
            written.append(folder / "pareto.csv")
        put("robustness.md", robustness_markdown(analysis.robustness, analysis.pareto))
    written += write_transitions(folder, results.name, analysis.transitions,
                                 analysis.transition_paths)
    for kind, table in (("Sobol", analysis.sobol), ("Morris", analysis.morris)):
        if not table.empty:
            table.to_csv(folder / f"{kind.lower()}.csv", index=False)
            written.append(folder / f"{kind.lower()}.csv")
            put(f"{kind.lower()}.md", _sensitivity_markdown(results, table, kind))
    return written


def _point_lines(results: Results, analysis: Analysis, shown: list[str],
                 level: float) -> list[str]:
    """One row per point: inaction in its forms and causes, then what each regime achieves."""
    lines = [f"Means over replicates ± half-width of the {level:.0%} t-interval "
             f"(burn-in {results.burn_in} steps).", "",
             "Inaction, its forms and its causes (each three add up to inaction; their "
             "intervals are in analysis/means.md):", *_headline_table(analysis, shown)]
    if analysis.objectives:
        headers, rows = achievement_rows(results, analysis, level)
        lines += ["", "What each regime achieves:",
                  *textwrap.wrap(achievement_note(results, analysis), 100),
                  text_table(headers, rows)]
    return lines


def _headline_table(analysis: Analysis, shown: list[str]) -> list[str]:
    """Per point: inaction and the others as mean ± half-width, its forms and causes as means.

    The parts in inaction's decimals, so that each three visibly add up to it.
    """
    wide = shown_columns(analysis.means[analysis.means["metric"].isin(shown)], ESTIMATE_COLUMNS)
    decimals = {m: metric_decimals(t) for m, t in wide.groupby("metric")}
    parts = {*FORMS, *CAUSES}
    rows = []
    for _point, part in wide.groupby("point", sort=True):
        by_metric = part.set_index("metric")
        rows.append([part["label"].iloc[0]] + [
            f"{by_metric.at[m, 'mean']:.{max(decimals.get('inaction', 3), 2)}f}" if m in parts
            else format_estimate(by_metric.at[m, "mean"], by_metric.at[m, "ci_low"],
                                 by_metric.at[m, "ci_high"], decimals=decimals[m])
            for m in shown])
    headers = ["Point", *(metric_label(m).short for m in shown)]
    return [text_table(headers, rows)]


def _spread_lines(results: Results, analysis: Analysis, shown: list[str]) -> list[str]:
    """For many points: per regime, the median and range of the per-point means."""
    lines = [f"Per-point means over replicates (burn-in {results.burn_in} steps), their median "
             "[min, max] over the points of each regime; every point is in analysis/means.md:"]
    wide = shown_columns(analysis.means[analysis.means["metric"].isin(shown)], ("mean",))
    rows = []
    for regime in results.regimes:
        part = wide[wide["regime"] == regime]
        row = [regime_label(regime)]
        for m in shown:
            v = part.loc[part["metric"] == m, "mean"].dropna()
            dec = row_decimals(*v.to_numpy()) - 1 if len(v) else 3
            row.append(f"{v.median():.{dec}f} [{v.min():.{dec}f}, {v.max():.{dec}f}]"
                       if len(v) else "n/a")
        rows.append(row)
    headers = ["Regime", *(metric_label(m).short for m in shown)]
    return [*lines, text_table(headers, rows)]


def printed_reference(results: Results, analysis: Analysis) -> str | None:
    """The regime the printout compares others with.

    ``--reference``, else the status quo (``simulation.loading.STATUS_QUO``) if it was run,
    else the first regime in spec order.
    """
    return analysis.reference or default_reference(list(results.regimes))


def against_reference(table: pd.DataFrame, reference: str) -> pd.DataFrame:
    """The rows of a comparisons table that involve ``reference``, each as other minus it."""
    part = table[(table["regime_a"] == reference) | (table["regime_b"] == reference)].copy()
    flip = part["regime_b"] == reference
    if flip.any():
        f = part.loc[flip]
        swapped = {"regime_a": f["regime_b"], "regime_b": f["regime_a"],
                   "point_a": f["point_b"], "point_b": f["point_a"], "n_a": f["n_b"],
                   "n_b": f["n_a"], "mean_a": f["mean_b"], "mean_b": f["mean_a"],
                   "difference": -f["difference"], "diff_ci_low": -f["diff_ci_high"],
                   "diff_ci_high": -f["diff_ci_low"], "effect_size": -f["effect_size"]}
        for column, values in swapped.items():
            part.loc[flip, column] = values.to_numpy()
    return part


def _comparison_lines(results: Results, analysis: Analysis, shown: list[str]) -> list[str]:
    """The objectives' differences from the printed reference, with intervals and relevance."""
    table = analysis.comparisons
    if table.empty:
        return []
    reference = printed_reference(results, analysis)
    against = f"each regime minus {regime_label(reference)}"
    counts = table["relevance"].value_counts()
    without = int((table["relevance"] == "").sum())
    metrics = analysis.objectives or shown
    lines = ["", f"Regime differences ({against}) with 95% intervals"
             + ("" if analysis.reference else "; every pair is in analysis/comparisons.md")
             + ":", *textwrap.wrap(comparison_method_text(results, table), 100),
             f"Over all {len(table)} differences: {counts.get('beyond', 0)} beyond the SESOI, "
             f"{counts.get('within', 0)} within it, {counts.get('inconclusive', 0)} "
             "inconclusive" + (f", {without} without a SESOI or an interval" if without else "")
             + (". Objectives:" if analysis.objectives else ". Headline metrics:")]
    table = against_reference(table, reference) if reference is not None else table
    order = {m: i for i, m in enumerate(metrics)}
    part = table[table["metric"].isin(metrics)]
    part = part.iloc[part["metric"].map(order).argsort(kind="stable")]
    part = shown_columns(part, DIFFERENCE_COLUMNS)
    has_setting = part["setting"].astype(bool).any()
    tests = "p_adjusted" in part
    rows = [[metric_label(r["metric"]).short, *([r["setting"]] if has_setting else []),
             f"{regime_label(r['regime_b'])} - {regime_label(r['regime_a'])}",
             _difference_text(r), r["method"], number(r["effect_size"], 2, signed=True),
             r["relevance"] or "n/a", *([p_text(r["p_adjusted"])] if tests else [])]
            for r in part.to_dict("records")]
    headers = ["Metric", *(["Setting"] if has_setting else []), "Comparison",
               "Difference [95% CI]", "Method", "g", "vs SESOI",
               *(["p (adj.)"] if tests else [])]
    lines.append(text_table(headers, rows[:MAX_PRINTED_ROWS]))
    if len(rows) > MAX_PRINTED_ROWS:
        lines.append(f"... {len(rows) - MAX_PRINTED_ROWS} more rows in analysis/comparisons.md")
    return lines


def _precision_lines(analysis: Analysis) -> list[str]:
    """Which points reached their precision targets."""
    table = analysis.precision
    if table.empty:
        return []
    by_point = table.groupby("label", sort=False)["reached"].all()
    missed = [label for label, ok in by_point.items() if not ok]
    lines = ["", f"Precision targets: {int(by_point.sum())} of {len(by_point)} points reached "
                 "every target (analysis/precision.md)."]
    if missed:
        lines.append("not reached (max replications): " + "; ".join(missed[:10])
                     + (" ..." if len(missed) > 10 else ""))
    return lines


def format_report(results: Results, analysis: Analysis, level: float = LEVEL) -> str:
    """What ``cadresim analyze`` prints: headline means, differences with intervals, indices."""
    n_points = results.points["point"].nunique()
    reps = results.runs.groupby("point").size()
    rep_text = (f"{reps.iloc[0]} replicates" if reps.nunique() == 1
                else f"{reps.min()}-{reps.max()} replicates")
    lines = [f"{results.name}: {n_points} point(s) x {rep_text}; {len(results.runs)} runs ok, "
             f"{results.n_failed} failed; design: {results.design_kind or 'none'}; "
             f"burn-in {results.burn_in} years", ""]
    shown = [m for m in HEADLINE if m in results.metrics]
    if results.design_kind in SAMPLED_DESIGNS or n_points > MAX_PRINTED_ROWS:
        lines += _spread_lines(results, analysis, shown)
    else:
        lines += _point_lines(results, analysis, shown, level)
    lines += _comparison_lines(results, analysis, shown)
    lines += dominance_lines(analysis)
    if not analysis.robustness.empty:
        lines += robustness_lines(analysis.robustness)
    lines += pareto_lines(analysis)
    lines += _precision_lines(analysis)
    lines += transition_lines(analysis.transitions)
    if not analysis.sobol.empty:
        metric = "inaction" if "inaction" in set(analysis.sobol["metric"]) else \
            analysis.sobol["metric"].iloc[0]
        for regime, part in analysis.sobol[analysis.sobol["metric"] == metric].groupby(
                "regime", sort=False):
            lines += ["", f"Sobol indices of {metric_label(metric).name}"
                          + (f" — {regime_label(regime)}" if len(results.regimes) > 1 else "")
                          + " (95% bootstrap ±):"]
            lines.append(text_table(
                ["Parameter", "S1", "ST"],
                [[r["parameter_name"], f"{r['S1']:.3f} ± {r['S1_conf']:.3f}",
                  f"{r['ST']:.3f} ± {r['ST_conf']:.3f}"] for r in part.to_dict("records")]))
    if not analysis.morris.empty:
        metric = "inaction" if "inaction" in set(analysis.morris["metric"]) else \
            analysis.morris["metric"].iloc[0]
        part = shown_columns(analysis.morris[analysis.morris["metric"] == metric],
                             MORRIS_COLUMNS)
        lines += ["", f"Morris mu* of {axis_label(metric)}:"]
        lines.append(text_table(
            ["Regime", "Parameter", "mu*", "sigma"],
            [[regime_label(r["regime"]), r["parameter_name"],
              f"{r['mu_star']:.4g} ± {r['mu_star_conf']:.2g}", f"{r['sigma']:.4g}"]
             for r in part.to_dict("records")]))
    if analysis.notes:
        lines += ["", *(f"note: {n}" for n in analysis.notes)]
    return "\n".join(lines)


# Robustness to the posterior (experiments.analysis.robustness)


def _rows(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    has_setting = table["setting"].astype(bool).any()
    headers = [*(["Setting"] if has_setting else []), "Regime", "Median improvement [90%]",
               "Better", "Worse", "Best", "Verdict"]
    rows = [[*([r["setting"]] if has_setting else []), regime_label(r["regime"]),
             f"{r['median_improvement']:+.3f} [{r['improvement_low']:+.3f}, "
             f"{r['improvement_high']:+.3f}]",
             f"{r['share_better']:.0%}", f"{r['share_worse']:.0%}", f"{r['share_best']:.0%}",
             r["verdict"]] for r in table.to_dict("records")]
    return headers, rows


def _heading(table: pd.DataFrame) -> str:
    first = table.iloc[0]
    metric = metric_label(first["metric"]).name
    reference = regime_label(first["reference"])
    lower = lower_is_better(first["metric"])
    improvement = (f"{reference} minus the regime" if lower else
                   f"the regime minus {reference}")
    return (f"Robustness across {int(first['draws'])} posterior draws: improvement = "
            f"{improvement} in {metric} ({'lower' if lower else 'higher'} is "
            f"better), per draw; better or worse by more than {first['smallest_effect']:g} "
            f"(the smallest effect of interest); 'robustly' at {ROBUST_SHARE:.0%} of draws or "
            "more.")


def robustness_markdown(table: pd.DataFrame, pareto: pd.DataFrame | None = None) -> str:
    """``analysis/robustness.md``: per objective, then the share of draws on the front."""
    out = ["# Robustness to the posterior", ""]
    for metric, part in table.groupby("metric", sort=False):
        headers, rows = _rows(part)
        out += [f"## {axis_label(metric)}", "", _heading(part), "",
                markdown_table(headers, rows), ""]
    if pareto is not None and not pareto.empty:
        lines = pareto_lines_for(pareto)
        out += ["## Pareto front", "", lines[0], "", markdown_table(*lines[1]), ""]
    return "\n".join(out)


def pareto_lines_for(pareto: pd.DataFrame) -> tuple[str, tuple[list[str], list[list[str]]]]:
    """The Pareto shares' heading and (headers, rows)."""
    first = pareto.iloc[0]
    has_setting = pareto["setting"].astype(bool).any()
    heading = (f"Share of the {int(first['draws'])} posterior draws in which no other regime "
               "is no worse on every objective and better on one by more than its smallest "
               f"effect of interest ({first['objectives']}).")
    rows = [[*([r["setting"]] if has_setting else []), regime_label(r["regime"]),
             f"{r['share_front']:.0%}"] for r in pareto.to_dict("records")]
    return heading, ([*(["Setting"] if has_setting else []), "Regime", "On the front"], rows)


def robustness_lines(table: pd.DataFrame) -> list[str]:
    """What ``cadresim analyze`` prints about robustness, per objective.

    Nothing without a posterior.
    """
    if table.empty:
        return []
    lines = []
    for _, part in table.groupby("metric", sort=False):
        headers, rows = _rows(part)
        lines += ["", *textwrap.wrap(_heading(part), 100), text_table(headers, rows)]
    return lines
