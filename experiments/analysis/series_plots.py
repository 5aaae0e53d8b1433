"""Per-year series with 95% bands: the kept outputs, and the causes of inaction.

The burn-in is shaded and the regime switch marked on every panel.
"""

from __future__ import annotations

import math

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from experiments.analysis.intervals import t_interval
from experiments.analysis.labels import (
    metric_label,
    point_labels,
    regime_label,
    shown,
)
from experiments.analysis.results import Results
from experiments.analysis.style import (
    CAUSE_COLOURS,
    FULL_WIDTH,
    Skip,
    group_colour,
    new_figure,
    wrap,
)
from simulation.outputs import CAUSES

MAX_LINES = 8


def series_groups(results: Results) -> tuple[str, dict[str, list[int]]]:
    """How to group runs for time series: per point when few, else per regime (pooled)."""
    labels = point_labels(results)
    points = sorted(results.points["point"])
    if len(points) <= MAX_LINES:
        return "point", {labels[p]: [p] for p in points}
    if len(results.regimes) <= MAX_LINES:
        return "regime", {
            regime_label(r): sorted(results.points.loc[results.points["regime"] == r, "point"])
            for r in results.regimes}
    raise Skip(f"{len(points)} points and {len(results.regimes)} regimes are too many lines")


def series_bands(results: Results, metric: str, points: list[int]) -> pd.DataFrame:
    """Per step: mean over runs of the given points and its 95% t-interval."""
    data = results.series
    data = data[(data["metric"] == metric) & data["point"].isin(points)]
    rows = []
    for step, part in data.groupby("step", sort=True):
        n, mean, _, low, high = t_interval(part["value"].to_numpy())
        rows.append({"step": int(step), "n": n, "mean": mean, "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows, columns=["step", "n", "mean", "ci_low", "ci_high"])


def switch_step_of(results: Results, points: list[int]) -> int | None:
    """The switch step of a group of points, if they share one.

    The first step under the switched-to regime for these points: the design's ``switch.step`` when
    it is varied (None unless the points agree), else the spec's; None when it lies beyond the
    series.
    """
    if "switch.step" in results.parameters:
        steps = results.points.set_index("point").loc[points, "switch.step"].dropna().unique()
        step = int(steps[0]) if len(steps) == 1 else None
    else:
        step = results.switch_step
    last = results.series["step"].max() if not results.series.empty else None
    if step is None or (last is not None and step > last):
        return None
    return step


def _switch_text(results: Results, step: int | None = None) -> str:
    target = results.switch_label
    text = f"Switch to {regime_label(target)}" if target else "Regime switch"
    return text + (f" (year {step})" if step is not None else "")


def _mark_phases(ax: Axes, results: Results,
                 groups: list[tuple[list[int], str]]) -> list[tuple[object, str]]:
    """Mark the burn-in and the regime switch on a time-series panel.

    Shade the burn-in and draw each group's regime switch (a line just before its first step; black
    dashed when all groups switch together, else dotted in the group's colour). Returns legend
    entries (a legend, not text in the panel, so nothing overlaps).
    """
    entries: list[tuple[object, str]] = []
    if results.burn_in > 0:
        ax.axvspan(0.5, results.burn_in + 0.5, color="#EBEBEB", zorder=0, lw=0)
        entries.append((Patch(color="#EBEBEB"), "Burn-in (left out of the means)"))
    steps = [(switch_step_of(results, points), colour) for points, colour in groups]
    drawn = {step for step, _ in steps if step is not None}
    if len(drawn) == 1 and all(step is not None for step, _ in steps):
        step = drawn.pop()
        ax.axvline(step - 0.5, color="black", linestyle="--", linewidth=1, zorder=1)
        entries.append((Line2D([0], [0], color="black", linestyle="--", linewidth=1),
                        _switch_text(results, step)))
    elif drawn:
        for step, colour in steps:
            if step is not None:
                ax.axvline(step - 0.5, color=colour, linestyle=":", linewidth=1.4, zorder=1)
        entries.append((Line2D([0], [0], color="#555555", linestyle=":", linewidth=1.4),
                        _switch_text(results) + " (in the colour of its line)"))
    return entries


def _series_metrics(results: Results) -> list[str]:
    kept = list(dict.fromkeys(results.series["metric"]))
    order = {m: i for i, m in enumerate(results.metrics)}
    return sorted(kept, key=lambda m: order.get(m, len(order)))


def figure_timeseries(results: Results) -> Figure:
    """Time series of the kept series metrics, with CI bands.

    One panel per kept series metric; a line per point (or regime) with its 95% CI band; the burn-in
    shaded and the regime switch marked.
    """
    if results.series.empty:
        raise Skip("the sweep kept no per-step series (spec `series` is empty)")
    kind, groups = series_groups(results)
    metrics = _series_metrics(results)
    ncols = 1 if len(metrics) == 1 else 2
    nrows = math.ceil(len(metrics) / ncols)
    fig = new_figure(FULL_WIDTH if ncols == 2 else 5.0, 2.3 * nrows + 0.9)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True)
    for k, metric in enumerate(metrics):
        ax = axes[k // ncols][k % ncols]
        phases = _mark_phases(ax, results, [(points, group_colour(i))
                                            for i, points in enumerate(groups.values())])
        for i, (name, points) in enumerate(groups.items()):
            band = series_bands(results, metric, points)
            band[["mean", "ci_low", "ci_high"]] = shown(metric, band[["mean", "ci_low",
                                                                      "ci_high"]])
            colour = group_colour(i)
            if band.empty:  # no successful run at these points: say so in the legend
                ax.plot([], [], color=colour, label=f"{name} (no successful run)")
                continue
            ax.plot(band["step"], band["mean"], color=colour, label=name)
            ax.fill_between(band["step"], band["ci_low"], band["ci_high"], color=colour,
                            alpha=0.2, linewidth=0)
        ax.set_ylabel(metric_label(metric).unit)
        ax.set_title(wrap(metric_label(metric).name, 44), loc="left", fontsize=9)
        if k // ncols == nrows - 1 or k + ncols >= len(metrics):
            ax.set_xlabel("Year of the run [years]")
            ax.xaxis.set_tick_params(labelbottom=True)
    for k in range(len(metrics), nrows * ncols):
        axes[k // ncols][k % ncols].set_visible(False)
    handles, names = axes[0][0].get_legend_handles_labels()
    names = [wrap(n, 40) for n in names]
    extra = [(Patch(color="#888888", alpha=0.35), "95% CI over replicates"), *phases]
    fig.legend([*handles, *(h for h, _ in extra)], [*names, *(t for _, t in extra)],
               loc="outside lower center", ncol=2 if len(names) + len(extra) > 3 else 3)
    title = "Per-year outputs" + (" (regimes pooled over design points)" if kind == "regime"
                                  else "")
    fig.suptitle(title, x=0.02, ha="left", fontsize=10, fontweight="bold")
    return fig


def figure_timeseries_causes(results: Results) -> Figure:  # noqa: C901 - one drawing
    """Time series of the causes of inaction, one panel per point.

    One panel per point (or regime): the three causes of inaction over time, in their colours, with
    95% CI bands; total inaction dashed when kept.
    """
    if results.series.empty:
        raise Skip("the sweep kept no per-step series")
    kept = set(results.series["metric"])
    missing = [c for c in CAUSES if c not in kept]
    if missing:
        raise Skip(f"the series do not keep {', '.join(missing)}")
    kind, groups = series_groups(results)
    if len(groups) > 6:
        raise Skip(f"{len(groups)} groups are too many panels (at most 6)")
    ncols = min(3, len(groups))
    nrows = math.ceil(len(groups) / ncols)
    fig = new_figure(min(FULL_WIDTH, 2.6 * ncols + 0.6), 2.4 * nrows + 0.9)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True)
    lines = [*CAUSES, *(["inaction"] if "inaction" in kept else [])]
    phases: dict[str, object] = {}
    for k, (name, points) in enumerate(groups.items()):
        ax = axes[k // ncols][k % ncols]
        phases |= {text: handle for handle, text in _mark_phases(ax, results, [(points, "black")])}
        for metric in lines:
            band = series_bands(results, metric, points)
            if band.empty:  # no successful run at these points
                continue
            colour = CAUSE_COLOURS.get(metric, "black")
            total = metric == "inaction"
            ax.plot(band["step"], band["mean"], color=colour, linewidth=1.1 if total else 1.6,
                    label="Inaction (total)" if total else metric_label(metric).short)
            ax.fill_between(band["step"], band["ci_low"], band["ci_high"], color=colour,
                            alpha=0.2, linewidth=0)
        ax.set_title(wrap(name, 22 if ncols == 3 else 34), loc="left", fontsize=9)
        if k % ncols == 0:
            ax.set_ylabel("Share of cadres [share]")
        if k // ncols == nrows - 1 or k + ncols >= len(groups):
            ax.set_xlabel("Year of the run [years]")
            ax.xaxis.set_tick_params(labelbottom=True)
    axes[0][0].set_ylim(bottom=0)  # shared: after every panel is drawn
    for k in range(len(groups), nrows * ncols):
        axes[k // ncols][k % ncols].set_visible(False)
    switches = [t for t in phases if t.startswith(_switch_text(results))]
    if len(switches) > 1:  # switch years differ between panels: one generic entry
        handle = phases[switches[0]]
        for t in switches:
            del phases[t]
        phases[_switch_text(results) + " (dashed; its year in each panel)"] = handle
    handles, names = axes[0][0].get_legend_handles_labels()
    extra = [(Patch(color="#888888", alpha=0.35), "95% CI"), *((h, t) for t, h in phases.items())]
    fig.legend([*handles, *(h for h, _ in extra)], [*names, *(wrap(t, 36) for _, t in extra)],
               loc="outside lower center", ncol=3)
    fig.suptitle("Inaction by cause over time" + (" (regimes pooled)" if kind == "regime"
                                                  else ""),
                 x=0.02, ha="left", fontsize=10, fontweight="bold")
    return fig

