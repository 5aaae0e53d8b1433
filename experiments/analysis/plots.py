"""Figures from a saved results folder (PNG at 300 dpi and vector PDF), drawn with Agg.

Each figure function takes the loaded results (and the analysis tables), never the model, and
raises :class:`Skip` with a reason when the data cannot support the figure. Figures are built
on ``matplotlib.figure.Figure`` without pyplot, so nothing global changes for the caller.
"""

from __future__ import annotations

import itertools
import math
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from experiments.analysis.labels import (
    axis_label,
    format_value,
    metric_label,
    parameter_label,
    regime_label,
    setting_text,
    shown,
)
from experiments.analysis.results import SAMPLED_DESIGNS, Results
from experiments.analysis.statistics import Analysis, point_labels, t_interval
from simulation.outputs import CAUSES
from simulation.viz import palette

#: The causes of inaction and formalism keep these colours in every figure (simulation.viz.palette;
#: formalism is hatched in bars).
CAUSE_COLOURS: dict[str, str] = {
    **palette.CAUSE_COLOURS, "formalism": palette.ACTION_COLOURS["formal"],
}
#: The three forms of inaction (simulation.viz.palette, as in the app).
FORM_COLOURS: dict[str, str] = palette.FORM_COLOURS
#: Regimes and point groups: ten colours clear of the cause and form colours (palette).
GROUP_COLOURS: tuple[str, ...] = palette.GROUP_COLOURS
SOBOL_COLOURS = {"S1": "#31688E", "ST": "#8FD744"}
#: One style for every figure, the validation figures too (simulation.viz.palette).
STYLE: dict[str, object] = palette.STYLE
FULL_WIDTH = 7.0  # inches: a journal page width
MAX_BARS = 16
MAX_LINES = 8
MAX_LABELLED_POINTS = 12
ANNOTATE_CELLS = 49


class Skip(Exception):
    """The data does not support this figure; the message says why."""


@dataclass
class FigureResult:
    """A written figure: its files and what it shows."""

    name: str
    files: list[Path]
    description: str


def group_colour(i: int) -> str:
    """The i-th group colour (cycles)."""
    return GROUP_COLOURS[i % len(GROUP_COLOURS)]


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Figure, folder: Path, name: str) -> list[Path]:
    """Write ``name.png`` (300 dpi) and ``name.pdf`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{name}.png", folder / f"{name}.pdf"]
    with mpl.rc_context(STYLE):
        for path in paths:
            fig.savefig(path, dpi=300)
    return paths


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width=width, break_long_words=False)) or text


def _wide_means(means: pd.DataFrame) -> pd.DataFrame:
    """Per point: ``mean``, ``ci_low``, ``ci_high`` columns per metric (MultiIndex)."""
    return means.pivot(index="point", columns="metric", values=["mean", "ci_low", "ci_high"])


def _half(means: pd.DataFrame, metric: str) -> np.ndarray:
    """Half-widths of the CIs (0 where there is none)."""
    half = (means["ci_high"][metric] - means["ci_low"][metric]).to_numpy(dtype=float) / 2
    return np.nan_to_num(half, nan=0.0)


def fit_xticklabels(fig: Figure, ax: Axes) -> None:
    """Rotate the x tick labels by 30 degrees if any two of them overlap."""
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()]
    if any(a.x1 > b.x0 for a, b in itertools.pairwise(boxes)):
        for tick in ax.get_xticklabels():
            tick.set_rotation(30)
            tick.set_horizontalalignment("right")
            tick.set_rotation_mode("anchor")


# --------------------------------------------------------------------------------------------
# 1. Inaction by cause, with formalism beside it
# --------------------------------------------------------------------------------------------


def bar_points(results: Results, analysis: Analysis, needed: list[str]
               ) -> tuple[pd.DataFrame, list[int], dict[int, str], np.ndarray]:
    """For a bar figure per point: the wide means, the points, their labels and bar positions.

    Skip unless the runs keep ``needed`` and there are 2 to MAX_BARS compared points.
    """
    missing = [m for m in needed if m not in results.metrics]
    if missing:
        raise Skip(f"the runs do not keep {', '.join(missing)}")
    n = results.points["point"].nunique()
    if n < 2:
        raise Skip("a single point: nothing to compare")
    if results.design_kind in SAMPLED_DESIGNS:
        raise Skip(f"{results.design_kind} design: sampled points are not compared as bars")
    if n > MAX_BARS:
        raise Skip(f"{n} points are too many bars (at most {MAX_BARS}); see the heatmap")
    wide = _wide_means(analysis.means)
    points = list(wide.index)
    return wide, points, point_labels(results), np.arange(len(points))


def figure_inaction_by_cause(results: Results, analysis: Analysis) -> Figure:
    """Stacked bars of unwilling / unable / afraid per point, with the total's 95% CI.

    The causes stack to the headline inaction, whose three forms (false action among them) are
    drawn by ``figure_inaction_by_form``.
    """
    wide, points, labels, x = bar_points(results, analysis, ["inaction", *CAUSES])
    width, offset = 0.6, 0.0
    fig_width = min(FULL_WIDTH * 1.4, max(4.6, 1.0 * len(points) + 2.6))
    fig = _new_figure(fig_width, 3.6)
    ax = fig.add_subplot()
    bottom = np.zeros(len(points))
    for cause in CAUSES:
        values = wide["mean"][cause].to_numpy(dtype=float)
        ax.bar(x - offset, values, width, bottom=bottom, color=CAUSE_COLOURS[cause],
               edgecolor="white", linewidth=0.5, label=metric_label(cause).short)
        bottom += values
    total = wide["mean"]["inaction"].to_numpy(dtype=float)
    ax.errorbar(x - offset, total, yerr=_half(wide, "inaction"), fmt="none", ecolor="black",
                elinewidth=1, capsize=3)
    top = wide["ci_high"]["inaction"].fillna(wide["mean"]["inaction"]).max()
    whisker = Line2D([0], [0], color="black", marker="_", markersize=8, linewidth=1)
    handles, names = ax.get_legend_handles_labels()
    order = [2, 1, 0, *range(3, len(handles))]  # legend top-down as the stack reads
    fig.legend([*(handles[i] for i in order), whisker], [*(names[i] for i in order), "95% CI"],
               loc="outside right upper")
    ax.set_ylim(0, float(top) * 1.08 if math.isfinite(top) and top > 0 else 1)
    ax.set_ylabel("Share of cadres [share]")
    ax.set_xticks(x)
    chars = max(8, int(14 * (fig_width - 2.4) / len(points)))  # ~14 characters per inch
    ax.set_xticklabels([_wrap(labels[p], chars) for p in points])
    fit_xticklabels(fig, ax)
    ax.set_xlim(-0.6, len(points) - 0.4)
    ax.set_title("Inaction by cause", loc="left")
    return fig


# --------------------------------------------------------------------------------------------
# 1b. Inaction by form beside inaction by cause (the demo's main figure)
# --------------------------------------------------------------------------------------------

#: The two splits of inaction drawn side by side, each stacking to the headline.
SPLITS: tuple[tuple[str, dict[str, str]], ...] = (
    ("form", FORM_COLOURS),
    ("cause", {c: CAUSE_COLOURS[c] for c in CAUSES}),
)


def figure_inaction_by_form(results: Results, analysis: Analysis) -> Figure:
    """Per point (regime), two stacked bars of equal height.

    Inaction in its three forms (lying flat, false action, avoidance) and beside it the same
    inaction by cause (unwilling, unable, afraid), with the 95% CI of the total as a whisker on
    each.
    """
    wide, points, labels, x = bar_points(results, analysis,
                                         ["inaction", *FORM_COLOURS, *CAUSES])
    width, offset = 0.38, 0.21
    fig_width = min(FULL_WIDTH * 1.4, max(4.8, 1.0 * len(points) + 2.8))
    fig = _new_figure(fig_width, 3.8)
    ax = fig.add_subplot()
    total = wide["mean"]["inaction"].to_numpy(dtype=float)
    for side, (_, parts) in zip((-1, 1), SPLITS, strict=True):
        bottom = np.zeros(len(points))
        for name, colour in parts.items():
            values = wide["mean"][name].to_numpy(dtype=float)
            ax.bar(x + side * offset, values, width, bottom=bottom, color=colour,
                   edgecolor="white", linewidth=0.5, label=metric_label(name).short)
            bottom += values
        ax.errorbar(x + side * offset, total, yerr=_half(wide, "inaction"), fmt="none",
                    ecolor="black", elinewidth=1, capsize=3)
    handles, names = ax.get_legend_handles_labels()
    title = Patch(visible=False)
    whisker = Line2D([0], [0], color="black", marker="_", markersize=8, linewidth=1)
    fig.legend([title, *handles[2::-1], title, *handles[5:2:-1], whisker],
               ["Left bar: form", *names[2::-1], "Right bar: cause", *names[5:2:-1],
                "95% CI of inaction"], loc="outside right upper")
    top = wide["ci_high"]["inaction"].fillna(wide["mean"]["inaction"]).max()
    ax.set_ylim(0, float(top) * 1.08 if math.isfinite(top) and top > 0 else 1)
    ax.set_ylabel(_wrap(axis_label("inaction"), 40))
    ax.set_xticks(x)
    chars = max(8, int(14 * (fig_width - 2.6) / len(points)))
    ax.set_xticklabels([_wrap(labels[p], chars) for p in points])
    fit_xticklabels(fig, ax)
    ax.set_xlim(-0.6, len(points) - 0.4)
    ax.set_title("Inaction by form (left) and by cause (right)", loc="left")
    return fig


# --------------------------------------------------------------------------------------------
# 2. Heatmap over a two-parameter grid
# --------------------------------------------------------------------------------------------


def _edges(values: np.ndarray) -> np.ndarray:
    """Cell edges halfway between sorted grid values (half a step beyond the ends)."""
    if len(values) == 1:
        return np.array([values[0] - 0.5, values[0] + 0.5])
    mid = (values[1:] + values[:-1]) / 2
    return np.concatenate([[values[0] - (mid[0] - values[0])], mid,
                           [values[-1] + (values[-1] - mid[-1])]])


def cell_format(values: np.ndarray) -> str:
    """A format with one precision for all of a heatmap's values.

    Enough decimals that a tenth of their range shows (0.021, 0.034 ... rather than 0.02, 0.03), at
    most 4.
    """
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    span = float(np.ptp(values)) if values.size else 0.0
    if span == 0:
        return "{:.3g}"
    decimals = max(0, min(4, -math.floor(math.log10(span / 10))))
    return f"{{:.{decimals}f}}"


#: A third grid parameter with at most this many levels becomes one heatmap panel per level.
MAX_FACET_LEVELS = 4


def grid_axes(results: Results) -> tuple[str, str, str | None]:
    """The axes (and facet) of a 2-D grid heatmap.

    The two axis parameters of a complete 2-D grid per panel, and the facet parameter (a third grid
    parameter with few levels, or None); Skip saying why not.
    """
    if results.design_kind in SAMPLED_DESIGNS:
        raise Skip(f"{results.design_kind} design: its points are a sample, not a grid")
    varying = list(results.varying_parameters())
    facet = None
    if len(varying) == 3:
        facet = min(varying, key=lambda p: results.points[p].nunique())
        if results.points[facet].nunique() > MAX_FACET_LEVELS:
            raise Skip(
                f"three varying parameters, none with at most {MAX_FACET_LEVELS} levels to "
                "draw as panels"
            )
        varying.remove(facet)
    if len(varying) != 2:
        raise Skip(
            "needs two varying parameters (or three, one with at most "
            f"{MAX_FACET_LEVELS} levels), the design has {len(results.varying_parameters())}"
        )
    px, py = varying
    for _, block in heatmap_panels(results, facet):
        nx, ny = block[px].nunique(), block[py].nunique()
        combos = block[[px, py]].drop_duplicates()
        if nx < 2 or ny < 2 or len(combos) != nx * ny or len(block) != nx * ny:
            raise Skip("the points do not form a complete 2-D grid in every panel")
    return px, py, facet


def heatmap_panels(results: Results, facet: str | None) -> list[tuple[str, pd.DataFrame]]:
    """(title, points) of each heatmap panel: one per regime, times one per facet level."""
    panels = []
    for regime in results.regimes:
        block = results.points[results.points["regime"] == regime]
        levels = sorted(block[facet].unique()) if facet else [None]
        for level in levels:
            part = block if facet is None else block[block[facet] == level]
            title = regime_label(regime) if len(results.regimes) > 1 else ""
            if facet is not None:
                where = _wrap(setting_text(facet, level), 40)
                title = f"{title}\n{where}" if title else where
            panels.append((title, part))
    return panels


# The figure functions read top to bottom as one drawing: each branch is a named layout choice
# (facets, annotated cells or contours, markers or crosses), so C901 is waived for them.
def figure_heatmap(  # noqa: C901 - one drawing, see above
    results: Results, analysis: Analysis, metric: str = "inaction"
) -> Figure:
    """Heatmap of a metric over a 2-D grid of two parameters.

    Per regime, the mean of ``metric`` over a 2-D grid of two parameters; cells annotated when few,
    contour lines when many.
    """
    if metric not in results.metrics:
        raise Skip(f"the runs do not keep {metric}")
    px, py, facet = grid_axes(results)
    means = analysis.means[analysis.means["metric"] == metric]
    means = means.assign(mean=shown(metric, means["mean"].astype(float)))
    panels = heatmap_panels(results, facet)
    ncols = min(3, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    fig = _new_figure(min(FULL_WIDTH * 1.3, 3.2 * ncols + 1.2), 2.9 * nrows + 0.4)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True)
    finite = means["mean"].to_numpy(dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        raise Skip(f"no finished runs with a value of {metric}")
    norm = Normalize(vmin=float(finite.min()), vmax=float(finite.max()) or 1.0)
    if norm.vmin == norm.vmax:
        norm = Normalize(vmin=norm.vmin - 0.5, vmax=norm.vmax + 0.5)
    cmap = mpl.colormaps["viridis"]
    levels = MaxNLocator(7).tick_values(norm.vmin, norm.vmax)  # the same in every panel
    cell = cell_format(finite)  # one precision in every cell: enough to show the gradient
    mesh = None
    half = ((means["ci_high"] - means["ci_low"]) / 2).to_numpy(dtype=float)
    for k, (title, block) in enumerate(panels):
        ax = axes[k // ncols][k % ncols]
        part = means[means["point"].isin(block["point"])]
        table = part.pivot_table(index=py, columns=px, values="mean", aggfunc="mean")
        halves = part.assign(half=(part["ci_high"] - part["ci_low"]) / 2).pivot_table(
            index=py, columns=px, values="half", aggfunc="max").reindex_like(table)
        xs = table.columns.to_numpy(dtype=float)
        ys = table.index.to_numpy(dtype=float)
        z = table.to_numpy(dtype=float)
        mesh = ax.pcolormesh(_edges(xs), _edges(ys), z, cmap=cmap, norm=norm, shading="flat")
        if z.size <= ANNOTATE_CELLS:
            for i, yv in enumerate(ys):
                for j, xv in enumerate(xs):
                    if np.isfinite(z[i, j]):
                        r, g, b, _ = cmap(norm(z[i, j]))
                        light = 0.299 * r + 0.587 * g + 0.114 * b > 0.5
                        text = cell.format(z[i, j])
                        half = shown(metric, halves.to_numpy(dtype=float)[i, j])
                        if np.isfinite(half):
                            text += f"\n±{half:.1g}"
                        ax.text(xv, yv, text, ha="center", va="center",
                                fontsize=7, color="black" if light else "white")
        elif min(z.shape) >= 3 and np.isfinite(z).all() and np.ptp(z) > 0:
            lines = ax.contour(xs, ys, z, levels=levels, colors="white", linewidths=0.8)
            halo = [patheffects.withStroke(linewidth=1.8, foreground="#333333")]
            lines.set(path_effects=halo)
            for text in ax.clabel(lines, fontsize=7, fmt=lambda v: cell.format(v), inline=True):
                text.set_path_effects(halo)
        ax.set_xticks(xs if len(xs) <= 8 else ax.get_xticks())
        ax.set_yticks(ys if len(ys) <= 8 else ax.get_yticks())
        if len(xs) <= 8:
            ax.set_xticklabels([format_value(float(v)) for v in xs])
        if len(ys) <= 8:
            ax.set_yticklabels([format_value(float(v)) for v in ys])
        ax.set_xlim(_edges(xs)[[0, -1]])
        ax.set_ylim(_edges(ys)[[0, -1]])
        for side in ("top", "right"):
            ax.spines[side].set_visible(True)
        if title:
            ax.set_title(title, loc="left", fontsize=9)
        if k // ncols == nrows - 1 or k + ncols >= len(panels):
            ax.set_xlabel(_wrap(axis_label(px), 40))
        if k % ncols == 0:
            ax.set_ylabel(_wrap(axis_label(py), 34))
    for k in range(len(panels), nrows * ncols):
        axes[k // ncols][k % ncols].set_visible(False)
    bar = fig.colorbar(mesh, ax=axes, shrink=0.9, pad=0.02)
    bar.set_label(_wrap(axis_label(metric), 36))
    half = half[np.isfinite(half)]
    note = (f" (± 95% CI half-width; largest ±{half.max():.1g})" if half.size
            else " (one replicate: no interval)")
    fig.suptitle(f"{metric_label(metric).name}: mean over replicates" + note, x=0.02,
                 ha="left", fontsize=10, fontweight="bold")
    return fig


# --------------------------------------------------------------------------------------------
# 3. Time series with CI bands
# --------------------------------------------------------------------------------------------


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
    fig = _new_figure(FULL_WIDTH if ncols == 2 else 5.0, 2.3 * nrows + 0.9)
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
        ax.set_title(_wrap(metric_label(metric).name, 44), loc="left", fontsize=9)
        if k // ncols == nrows - 1 or k + ncols >= len(metrics):
            ax.set_xlabel("Year of the run [years]")
            ax.xaxis.set_tick_params(labelbottom=True)
    for k in range(len(metrics), nrows * ncols):
        axes[k // ncols][k % ncols].set_visible(False)
    handles, names = axes[0][0].get_legend_handles_labels()
    names = [_wrap(n, 40) for n in names]
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
    fig = _new_figure(min(FULL_WIDTH, 2.6 * ncols + 0.6), 2.4 * nrows + 0.9)
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
        ax.set_title(_wrap(name, 22 if ncols == 3 else 34), loc="left", fontsize=9)
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
    fig.legend([*handles, *(h for h, _ in extra)], [*names, *(_wrap(t, 36) for _, t in extra)],
               loc="outside lower center", ncol=3)
    fig.suptitle("Inaction by cause over time" + (" (regimes pooled)" if kind == "regime"
                                                  else ""),
                 x=0.02, ha="left", fontsize=10, fontweight="bold")
    return fig


# --------------------------------------------------------------------------------------------
# 4. Sensitivity indices
# --------------------------------------------------------------------------------------------


def _index_table(results: Results, indices: pd.DataFrame, kind: str, name: str,
                 metric: str) -> pd.DataFrame:
    """One metric's sensitivity indices, or Skip saying why there are none to draw."""
    if results.design_kind != kind:
        raise Skip(f"the design is {results.design_kind or 'none'}, not {kind}")
    if indices.empty:
        raise Skip(f"the {name} indices could not be computed (see `cadresim analyze`)")
    table = indices[indices["metric"] == metric]
    if table.empty:
        raise Skip(f"no {name} indices for {metric}")
    return table


def figure_sobol(results: Results, analysis: Analysis, metric: str = "inaction") -> Figure:
    """Bars of Sobol indices (S1 and ST) per regime.

    Horizontal bars of first-order (S1) and total (ST) Sobol indices with their bootstrap 95%
    intervals, one panel per regime, parameters sorted by ST.
    """
    table = _index_table(results, analysis.sobol, "sobol", "Sobol", metric)
    regimes = list(dict.fromkeys(table["regime"]))
    n_params = table["parameter"].nunique()
    ncols = min(2, len(regimes))
    nrows = math.ceil(len(regimes) / ncols)
    fig = _new_figure(FULL_WIDTH if ncols == 2 else 5.2, (0.32 * n_params + 1.0) * nrows + 0.8)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True)
    order = (table.groupby("parameter")["ST"].mean().sort_values(ascending=True).index)
    y = np.arange(len(order))
    h = 0.38
    for k, regime in enumerate(regimes):
        ax = axes[k // ncols][k % ncols]
        part = table[table["regime"] == regime].set_index("parameter").reindex(order)
        for j, (index, colour) in enumerate(SOBOL_COLOURS.items()):
            ax.barh(y + (0.5 - j) * h, part[index], h, xerr=part[f"{index}_conf"],
                    color=colour, edgecolor="white", linewidth=0.5,
                    error_kw={"elinewidth": 0.9, "capsize": 2.5},
                    label={"S1": "First order (S1)", "ST": "Total (ST)"}[index])
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_yticks(y)
        ax.set_yticklabels([_wrap(parameter_label(p).name, 30) if k % ncols == 0 else ""
                            for p in order])
        if len(regimes) > 1:
            ax.set_title(regime_label(regime), loc="left", fontsize=9)
        ax.set_xlabel(f"Sobol index of {metric_label(metric).short.lower()}\n"
                      "[share of variance]")
        ax.xaxis.set_tick_params(labelbottom=True)
    for k in range(len(regimes), nrows * ncols):
        axes[k // ncols][k % ncols].set_visible(False)
    whisker = Line2D([0], [0], color="black", marker="|", markersize=6, linewidth=1)
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend([*handles, whisker], [*names, "95% bootstrap CI"], loc="outside lower center",
               ncol=3)
    fig.suptitle(f"Sensitivity of {metric_label(metric).name.lower()}", x=0.02, ha="left",
                 fontsize=10, fontweight="bold")
    return fig


def figure_morris(results: Results, analysis: Analysis, metric: str = "inaction") -> Figure:
    """Horizontal bars of Morris mu* with bootstrap 95% intervals, one panel per regime."""
    table = _index_table(results, analysis.morris, "morris", "Morris", metric)
    regimes = list(dict.fromkeys(table["regime"]))
    order = table.groupby("parameter")["mu_star"].mean().sort_values().index
    fig = _new_figure(5.2, (0.3 * len(order) + 1.0) * len(regimes) + 0.6)
    axes = fig.subplots(len(regimes), 1, squeeze=False, sharex=True)
    for k, regime in enumerate(regimes):
        ax = axes[k][0]
        part = table[table["regime"] == regime].set_index("parameter").reindex(order)
        ax.barh(np.arange(len(order)), part["mu_star"], 0.6, xerr=part["mu_star_conf"],
                color=SOBOL_COLOURS["S1"], error_kw={"elinewidth": 0.9, "capsize": 2.5})
        ax.set_yticks(np.arange(len(order)))
        ax.set_yticklabels([_wrap(parameter_label(p).name, 30) for p in order])
        if len(regimes) > 1:
            ax.set_title(regime_label(regime), loc="left", fontsize=9)
    unit = metric_label(metric).unit
    axes[-1][0].set_xlabel(f"Morris μ* of {metric_label(metric).short.lower()}"
                           + (f" [{unit}]" if unit else ""))
    fig.suptitle(f"Elementary effects on {metric_label(metric).name.lower()}", x=0.02,
                 ha="left", fontsize=10, fontweight="bold")
    return fig


# --------------------------------------------------------------------------------------------
# 5. Trade-off scatter
# --------------------------------------------------------------------------------------------

TRADE_OFF_X: tuple[str, ...] = ("shielded_violations", "wrongful_sanctions")
def _label_points(ax: Axes, x: np.ndarray, y: np.ndarray, texts: list[str],
                  colours: list[str]) -> None:
    """Name every point beside it, in its colour, with a leader line.

    AdjustText moves the names until none overlaps another name or a point.
    """
    from adjustText import adjust_text

    labels = [ax.text(xi, yi, text, color=colour, fontsize=7, ha="center", va="center")
              for xi, yi, text, colour in zip(x, y, texts, colours, strict=True)]
    adjust_text(labels, x=x, y=y, ax=ax, expand=(1.15, 1.4), min_arrow_len=4,
                arrowprops={"arrowstyle": "-", "color": "0.45", "lw": 0.6})


def figure_tradeoff(results: Results, analysis: Analysis) -> Figure:
    """Inaction against shielded violations and against wrongful sanctions.

    Per-point means with 95% CI crosses, every point named beside it (adjustText) in its own
    colour. Drawn only where it shows something: a compared design with few enough points to
    name, and an axis that is not zero everywhere.
    """
    if "inaction" not in results.metrics:
        raise Skip("the runs do not keep inaction")
    if results.design_kind in SAMPLED_DESIGNS:
        raise Skip(f"{results.design_kind} design: sampled points are not named regimes; see "
                   "the sensitivity indices")
    xs_metrics = [m for m in TRADE_OFF_X if m in results.metrics]
    if not xs_metrics:
        raise Skip("the runs keep neither shielded_violations nor wrongful_sanctions")
    n = results.points["point"].nunique()
    if n < 2:
        raise Skip("a single point: no trade-off to show")
    if n > MAX_LABELLED_POINTS:
        raise Skip(f"{n} points are too many to name each (at most {MAX_LABELLED_POINTS}); see "
                   "the heatmap")
    wide = _wide_means(analysis.means)
    xs_metrics = [m for m in xs_metrics
                  if np.nanmax(np.abs(wide["mean"][m].to_numpy(dtype=float))) > 0]
    if not xs_metrics:
        raise Skip("shielded violations and wrongful sanctions are zero at every point")
    labels = point_labels(results)
    names = [_wrap(labels[p], 24) for p in wide.index]
    colours = [group_colour(i) for i in range(len(wide.index))]
    fig = _new_figure(FULL_WIDTH if len(xs_metrics) == 2 else 4.6, 4.0)
    axes = fig.subplots(1, len(xs_metrics), squeeze=False, sharey=True)[0]
    y = shown("inaction", wide["mean"]["inaction"].to_numpy(dtype=float))
    yerr = shown("inaction", _half(wide, "inaction"))
    for k, metric in enumerate(xs_metrics):
        ax = axes[k]
        x = shown(metric, wide["mean"][metric].to_numpy(dtype=float))
        xerr = shown(metric, _half(wide, metric))
        for i in range(len(x)):
            ax.errorbar(x[i], y[i], xerr=xerr[i], yerr=yerr[i], fmt="o", color=colours[i],
                        markersize=5, elinewidth=0.9, capsize=2)
        ax.set_xlabel(_wrap(axis_label(metric), 36))
        if k == 0:
            ax.set_ylabel(_wrap(axis_label("inaction"), 36))
        ax.margins(x=0.12, y=0.1)
        _label_points(ax, x, y, names, colours)
    fig.suptitle("Inaction against review errors (means, 95% CI crosses)", x=0.02,
                 ha="left", fontsize=10, fontweight="bold")
    return fig


# --------------------------------------------------------------------------------------------
# All figures
# --------------------------------------------------------------------------------------------


def figure_plan(results: Results, analysis: Analysis, metric: str = "inaction",
                reference: str | None = None) -> list[tuple[str, str, Callable[[], Figure]]]:
    """(file name, description, builder) of every figure ``cadresim plot`` tries."""
    from experiments.analysis.estimate_plots import figure_differences, figure_running_mean

    return [
        ("inaction_by_form", "inaction in its three forms beside its causes, per point",
         lambda: figure_inaction_by_form(results, analysis)),
        ("inaction_by_cause", "inaction split into its causes, per point",
         lambda: figure_inaction_by_cause(results, analysis)),
        (f"heatmap_{metric}", f"{metric} over the two-parameter grid",
         lambda: figure_heatmap(results, analysis, metric)),
        ("timeseries", "per-year series with 95% CI bands",
         lambda: figure_timeseries(results)),
        ("timeseries_causes", "causes of inaction per year with 95% CI bands",
         lambda: figure_timeseries_causes(results)),
        (f"sobol_{metric}", f"Sobol indices (S1, ST) of {metric}",
         lambda: figure_sobol(results, analysis, metric)),
        (f"morris_{metric}", f"Morris indices of {metric}",
         lambda: figure_morris(results, analysis, metric)),
        ("tradeoff", "inaction against shielded violations / wrongful sanctions",
         lambda: figure_tradeoff(results, analysis)),
        (f"differences_{metric}", f"each regime minus the reference regime on {metric}, with "
         "95% intervals", lambda: figure_differences(results, analysis, metric, reference)),
        ("running_mean", "running mean and 95% interval against replications",
         lambda: figure_running_mean(results)),
    ]


def make_figures(results: Results, analysis: Analysis, folder: Path | None = None,
                 metric: str = "inaction", reference: str | None = None,
                 ) -> tuple[list[FigureResult], list[tuple[str, str]]]:
    """Draw every figure the data supports into ``folder`` (default ``RESULTS/figures``).

    Returns the written figures and (name, reason) for each skipped one.
    """
    folder = folder or results.path / "figures"
    written, skipped = [], []
    with mpl.rc_context(STYLE):
        for name, description, build in figure_plan(results, analysis, metric, reference):
            try:
                fig = build()
            except Skip as reason:
                skipped.append((name, str(reason)))
                continue
            written.append(FigureResult(name, save_figure(fig, folder, name), description))
    return written, skipped
