"""Figures of estimates and their precision.

Regime differences from a reference regime with their 95% intervals (against the smallest effect of
interest), and the running mean of a metric against the number of replications (a variance-stability
check, Lee et al. 2015, JASSS 18(4):4).

Drawn in the house style (:mod:`experiments.analysis.style`); :mod:`experiments.analysis.plots`
lists them in ``figure_plan``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FormatStrFormatter, LogLocator, MaxNLocator, NullFormatter

from experiments.analysis.comparisons import regime_comparisons
from experiments.analysis.differences import smallest_effect
from experiments.analysis.labels import axis_label, metric_label, point_labels, regime_label
from experiments.analysis.results import Results
from experiments.analysis.series_plots import MAX_LINES
from experiments.analysis.statistics import Analysis
from experiments.analysis.style import (
    FULL_WIDTH,
    Skip,
    fit_title,
    group_colour,
    new_figure,
    wrap,
)

#: Most rows (regime x setting) in the differences figure.
MAX_DIFFERENCES = 40


def reference_differences(results: Results, analysis: Analysis, metric: str,
                          reference: str | None = None) -> tuple[str, pd.DataFrame]:
    """(reference, rows of ``metric``: each regime minus the reference, with intervals)."""
    reference = reference or analysis.reference or (results.regimes[0] if results.regimes
                                                    else None)
    table = analysis.comparisons
    # Every pair puts the spec's first regime as A; a chosen reference is A in its own table.
    first = results.regimes[0] if results.regimes else None
    if not table.empty and analysis.reference in (reference, None if reference == first
                                                  else reference):
        rows = table[(table["metric"] == metric) & (table["regime_a"] == reference)]
    else:
        rows, _ = regime_comparisons(results, [metric], reference=reference)
    return str(reference), rows


def figure_differences(results: Results, analysis: Analysis, metric: str = "inaction",
                       reference: str | None = None) -> Figure:
    """Each regime minus the reference regime on ``metric``.

    The difference with its 95% interval (a dot and a whisker), one row per regime (and design
    setting), the band of +-smallest effect of interest shaded.
    """
    if len(results.regimes) < 2:
        raise Skip("one regime only: no regime differences")
    if metric not in results.metrics:
        raise Skip(f"the runs do not keep {metric}")
    ref, rows = reference_differences(results, analysis, metric, reference)
    if rows.empty:
        raise Skip(f"no regime differences of {metric} (see `cadresim analyze`)")
    if len(rows) > MAX_DIFFERENCES:
        raise Skip(f"{len(rows)} differences are too many rows (at most {MAX_DIFFERENCES})")
    rows = rows.iloc[::-1]  # first regime on top
    several = rows["setting"].astype(bool).any()
    names = [regime_label(r["regime_b"]) + (f" ({r['setting']})" if several else "")
             for r in rows.to_dict("records")]
    fig = new_figure(5.6, 0.32 * len(rows) + 1.5)
    ax = fig.subplots()
    y = np.arange(len(rows))
    sesoi = smallest_effect(metric, results.spec)
    if math.isfinite(sesoi):
        ax.axvspan(-sesoi, sesoi, color="#E6E6E6", zorder=0, lw=0)
    ax.axvline(0, color="black", linewidth=0.8)
    diff = rows["difference"].to_numpy(dtype=float)
    low = rows["diff_ci_low"].to_numpy(dtype=float)
    high = rows["diff_ci_high"].to_numpy(dtype=float)
    has = np.isfinite(low) & np.isfinite(high)
    err = np.vstack([np.where(has, diff - low, 0), np.where(has, high - diff, 0)])
    ax.errorbar(diff, y, xerr=err, fmt="o", color=group_colour(0), markersize=4,
                elinewidth=1.1, capsize=2.5)
    ax.set_yticks(y)
    ax.set_yticklabels([wrap(n, 38) for n in names])
    ax.set_xlabel(wrap(f"Difference from {regime_label(ref)}: " + axis_label(metric), 60))
    handles = [Line2D([0], [0], color=group_colour(0), marker="o", markersize=4, linewidth=1.1),
               *([Patch(color="#E6E6E6")] if math.isfinite(sesoi) else [])]
    texts = ["Difference with its 95% interval (" + ", ".join(dict.fromkeys(rows["method"]))
             + ")", *([f"Smallest effect of interest: ±{sesoi:g}"]
                      if math.isfinite(sesoi) else [])]
    fig.legend(handles, [wrap(t, 70) for t in texts], loc="outside lower center", ncol=1)
    fig.suptitle(wrap(f"{metric_label(metric).short}: each regime minus "
                       f"{regime_label(ref)}", 60), x=0.02, ha="left", fontsize=10,
                 fontweight="bold")
    return fig


def running_means(values: np.ndarray, level: float = 0.95) -> pd.DataFrame:
    """Mean and t-interval of the first k values, k = 1 .. n (no interval for k = 1)."""
    from scipy import stats

    x = np.asarray(values, dtype=float)
    k = np.arange(1, len(x) + 1)
    mean = np.cumsum(x) / k
    square = np.cumsum(x**2)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.maximum(square - k * mean**2, 0) / (k - 1)
        t = np.where(k > 1, stats.t.ppf(0.5 + level / 2, np.maximum(k - 1, 1)), np.nan)
        half = t * np.sqrt(var / k)
    return pd.DataFrame({"replications": k, "mean": mean, "ci_low": mean - half,
                         "ci_high": mean + half, "half_width": half})


def _running_metrics(results: Results) -> list[str]:
    replications = results.spec.get("replications")
    named = list(replications.get("precision") or {}) if isinstance(replications, dict) else []
    return [m for m in named if m in results.metrics] or \
        [m for m in ("inaction",) if m in results.metrics]


def figure_running_mean(results: Results) -> Figure:
    """Per metric (the precision targets' metrics, else inaction).

    The running mean over the first k replicates, in replicate order, with its 95% t-interval band,
    one line per point (beyond ``MAX_LINES`` points, that many spread over the design, the
    title saying so), and below it the half-width against k with the precision target and,
    when not every point is drawn, the largest half-width over all points. A flat mean inside
    a narrowing band says the replications suffice (Lee et al. 2015).
    """
    metrics = _running_metrics(results)
    if not metrics:
        raise Skip("the runs keep neither a precision target's metric nor inaction")
    reps = results.runs.groupby("point").size()
    if reps.max() < 3:
        raise Skip("fewer than 3 replicates per point: no running mean to show")
    every = sorted(results.points["point"])
    # Too many points for one line each: MAX_LINES of them spread over the design, and every
    # point's precision still shown as the largest half-width over all points.
    points = every if len(every) <= MAX_LINES else \
        [every[i] for i in np.linspace(0, len(every) - 1, MAX_LINES).round().astype(int)]
    labels = point_labels(results)
    replications = results.spec.get("replications")
    targets = (replications.get("precision") or {}) if isinstance(replications, dict) else {}
    width = 34 if len(metrics) == 1 else 44  # legend characters per line
    legend_lines = sum(len(wrap(labels[p], width).splitlines()) for p in points) + 4
    # The panels keep 3.2 in whatever the legend (two columns) below them needs.
    fig = new_figure(FULL_WIDTH if len(metrics) > 1 else 5.0,
                     3.2 + 0.16 * math.ceil(legend_lines / 2))
    axes = fig.subplots(2, len(metrics), squeeze=False, sharex="col")
    for j, metric in enumerate(metrics):
        top, bottom = axes[0][j], axes[1][j]
        for i, point in enumerate(points):
            part = results.runs[results.runs["point"] == point].sort_values("replicate")
            run = running_means(part[metric].dropna().to_numpy())
            colour = group_colour(i)
            top.plot(run["replications"], run["mean"], color=colour, label=labels[point])
            top.fill_between(run["replications"], run["ci_low"], run["ci_high"], color=colour,
                             alpha=0.2, linewidth=0)
            bottom.plot(run["replications"], run["half_width"], color=colour)
        if len(points) < len(every):
            widest = pd.concat([
                running_means(part.sort_values("replicate")[metric].dropna().to_numpy())
                .set_index("replications")["half_width"]
                for _, part in results.runs.groupby("point")], axis=1).max(axis=1)
            bottom.plot(widest.index, widest.to_numpy(), color="black", linestyle=":",
                        linewidth=1.2)
        if metric in targets:
            bottom.axhline(targets[metric], color="black", linestyle="--", linewidth=1)
        bottom.set_yscale("log")
        # Plain numbers at powers of ten, and at 2 and 5 times them over a decade or less.
        drawn = np.concatenate([line.get_ydata() for line in bottom.get_lines()])
        drawn = drawn[np.isfinite(drawn) & (drawn > 0)]
        narrow = drawn.size and np.log10(drawn.max() / drawn.min()) <= 1
        bottom.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0) if narrow else (1.0,)))
        bottom.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        bottom.yaxis.set_minor_formatter(NullFormatter())
        bottom.xaxis.set_major_locator(MaxNLocator(integer=True))
        top.set_title(wrap(metric_label(metric).name, 44), loc="left", fontsize=9)
        top.set_ylabel(metric_label(metric).unit)
        bottom.set_ylabel("95% half-width")
        bottom.set_xlabel("Replications [runs]")
    handles, names = axes[0][0].get_legend_handles_labels()
    extra = [(Patch(color="#888888", alpha=0.35), "95% t-interval of the running mean"),
             *([(Line2D([0], [0], color="black", linestyle=":"),
                 f"Largest half-width over all {len(every)} points")]
               if len(points) < len(every) else []),
             *([(Line2D([0], [0], color="black", linestyle="--"), "Precision target")]
               if targets else [])]
    fig.legend([*handles, *(h for h, _ in extra)],
               [*(wrap(n, width) for n in names), *(wrap(t, width) for _, t in extra)],
               loc="outside lower center", ncol=2)
    count = "" if len(points) == len(every) else \
        f" ({len(points)} of {len(every)} points drawn, spread over the design)"
    fit_title(fig, "Running mean against replications" + count)
    return fig
