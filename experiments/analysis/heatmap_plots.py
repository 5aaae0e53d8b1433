"""The heatmap of a metric over a two-parameter grid, per regime (and per level of a third)."""

from __future__ import annotations

import math

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
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
    new_figure,
    wrap,
)

ANNOTATE_CELLS = 49


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
    fig = new_figure(min(FULL_WIDTH * 1.3, 3.2 * ncols + 1.2), 2.9 * nrows + 0.4)
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
            ax.set_xlabel(wrap(axis_label(px), 40))
        if k % ncols == 0:
            ax.set_ylabel(wrap(axis_label(py), 34))
    for k in range(len(panels), nrows * ncols):
        axes[k // ncols][k % ncols].set_visible(False)
    bar = fig.colorbar(mesh, ax=axes, shrink=0.9, pad=0.02)
    bar.set_label(wrap(axis_label(metric), 36))
    half = half[np.isfinite(half)]
    note = (f" (± 95% CI half-width; largest ±{half.max():.1g})" if half.size
            else " (one replicate: no interval)")
    fig.suptitle(f"{metric_label(metric).name}: mean over replicates" + note, x=0.02,
                 ha="left", fontsize=10, fontweight="bold")
    return fig

