"""The heatmap of a metric over a two-parameter grid, per regime (and per level of a third)."""

from __future__ import annotations

import math

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator

from experiments.analysis.labels import (
    axis_label,
    format_value,
    metric_label,
    regime_label,
    setting_text,
    shown,
)
from experiments.analysis.results import SAMPLED_DESIGNS, Results
from experiments.analysis.statistics import Analysis
from experiments.analysis.style import (
    FULL_WIDTH,
    Skip,
    fit_title,
    fit_xticklabels,
    new_figure,
    wrap,
)

ANNOTATE_CELLS = 49
#: Inches per annotated cell: room for a value and its interval at 7 pt.
CELL_WIDTH, CELL_HEIGHT = 0.48, 0.42
#: Smallest font an annotated cell may shrink to before its interval is left out.
SMALLEST_CELL_FONT = 6.0


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
                where = wrap(setting_text(facet, level), 40)
                title = f"{title}\n{where}" if title else where
            panels.append((title, part))
    return panels


def _fit_cells(fig: Figure, notes: list[tuple[Axes, Text, float]]) -> bool:
    """Put each cell's 95% half-width under its value where every cell has room for it.

    The cells' font shrinks to ``SMALLEST_CELL_FONT`` if need be; when even then a value and
    its interval do not fit inside one cell, the cells show the values only. Returns whether
    the intervals are shown.
    """
    if not notes or not any(np.isfinite(half) for _, _, half in notes):
        return False
    values = [text.get_text() for _, text, _ in notes]
    for _, text, half in notes:
        if np.isfinite(half):
            text.set_text(f"{text.get_text()}\n±{half:.1g}")
    for size in (7.0, 6.5, SMALLEST_CELL_FONT, None):
        if size is None:  # no room: values only
            for (_, text, _), value in zip(notes, values, strict=True):
                text.set_text(value)
                text.set_fontsize(7.0)
            return False
        for _, text, _ in notes:
            text.set_fontsize(size)
        if _cells_hold(fig, notes):
            return True
    return False


def _cells_hold(fig: Figure, notes: list[tuple[Axes, Text, float]]) -> bool:
    """Whether every annotation lies inside its own cell (cells are one unit wide and tall)."""
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    for ax, text, _ in notes:
        x, y = text.get_position()
        (x0, y0), (x1, y1) = ax.transData.transform([(x - 0.48, y - 0.48), (x + 0.48, y + 0.48)])
        box = text.get_window_extent(renderer)
        if box.x0 < x0 or box.x1 > x1 or box.y0 < y0 or box.y1 > y1:
            return False
    return True


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
    nx, ny = results.points[px].nunique(), results.points[py].nunique()
    annotate = nx * ny <= ANNOTATE_CELLS
    # Annotated cells are all one size (the grid's values as labels, however unevenly spaced),
    # wide and tall enough for a value and its interval at 7 pt.
    panel_width = max(2.6, CELL_WIDTH * nx) if annotate else 2.6
    panel_height = max(2.0, CELL_HEIGHT * ny) if annotate else 2.4
    fig = new_figure(min(FULL_WIDTH * 1.3, panel_width * ncols + 1.9),
                     panel_height * nrows + 1.3)
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
    halves_all = shown(metric, ((means["ci_high"] - means["ci_low"]) / 2).to_numpy(dtype=float))
    notes = []
    for k, (title, block) in enumerate(panels):
        ax = axes[k // ncols][k % ncols]
        part = means[means["point"].isin(block["point"])]
        table = part.pivot_table(index=py, columns=px, values="mean", aggfunc="mean")
        halves = part.assign(half=(part["ci_high"] - part["ci_low"]) / 2).pivot_table(
            index=py, columns=px, values="half", aggfunc="max").reindex_like(table)
        xs = table.columns.to_numpy(dtype=float)
        ys = table.index.to_numpy(dtype=float)
        z = table.to_numpy(dtype=float)
        if annotate:  # equal cells at 0, 1, ... labelled with the grid's values
            cx, cy = np.arange(len(xs), dtype=float), np.arange(len(ys), dtype=float)
        else:
            cx, cy = xs, ys
        mesh = ax.pcolormesh(_edges(cx), _edges(cy), z, cmap=cmap, norm=norm, shading="flat")
        if annotate:
            for i, yv in enumerate(cy):
                for j, xv in enumerate(cx):
                    if np.isfinite(z[i, j]):
                        r, g, b, _ = cmap(norm(z[i, j]))
                        light = 0.299 * r + 0.587 * g + 0.114 * b > 0.5
                        half = shown(metric, halves.to_numpy(dtype=float)[i, j])
                        notes.append((ax, ax.text(
                            xv, yv, cell.format(z[i, j]), ha="center", va="center",
                            fontsize=7, color="black" if light else "white"), half))
        elif min(z.shape) >= 3 and np.isfinite(z).all() and np.ptp(z) > 0:
            lines = ax.contour(xs, ys, z, levels=levels, colors="white", linewidths=0.8)
            halo = [patheffects.withStroke(linewidth=1.8, foreground="#333333")]
            lines.set(path_effects=halo)
            for text in ax.clabel(lines, fontsize=7, fmt=lambda v: cell.format(v), inline=True):
                text.set_path_effects(halo)
        if annotate:
            ax.set_xticks(cx, [format_value(float(v)) for v in xs])
            ax.set_yticks(cy, [format_value(float(v)) for v in ys])
        else:
            ax.set_xticks(xs if len(xs) <= 8 else ax.get_xticks())
            ax.set_yticks(ys if len(ys) <= 8 else ax.get_yticks())
            if len(xs) <= 8:
                ax.set_xticklabels([format_value(float(v)) for v in xs])
            if len(ys) <= 8:
                ax.set_yticklabels([format_value(float(v)) for v in ys])
        ax.set_xlim(_edges(cx)[[0, -1]])
        ax.set_ylim(_edges(cy)[[0, -1]])
        for side in ("top", "right"):
            ax.spines[side].set_visible(True)
        if title:
            ax.set_title(title, loc="left", fontsize=9)
        if k // ncols == nrows - 1 or k + ncols >= len(panels):
            ax.set_xlabel(wrap(axis_label(px), 40))
        if k % ncols == 0:
            ax.set_ylabel(wrap(axis_label(py), 34))
    for k in range(len(panels), nrows * ncols):
        axes[k // ncols][k % ncols].set_visible(False)
    bar = fig.colorbar(mesh, ax=axes, shrink=0.9, pad=0.02)
    bar.set_label(wrap(axis_label(metric), 36))
    for ax in fig.axes:
        fit_xticklabels(fig, ax)
    intervals = _fit_cells(fig, notes)
    halves_all = halves_all[np.isfinite(halves_all)]
    if not halves_all.size:
        note = " (one replicate: no interval)"
    elif intervals:
        note = f" (± 95% CI half-width; largest ±{halves_all.max():.1g})"
    else:
        note = f" (95% CI half-widths up to ±{halves_all.max():.1g}, in analysis/means.csv)"
    fit_title(fig, f"{metric_label(metric).name}: mean over replicates" + note)
    return fig

