"""Every regime on two objectives at a time, with 95% intervals on both axes and the front."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from experiments.analysis.bar_plots import half_width, wide_means
from experiments.analysis.labels import (
    metric_label,
    point_labels,
    shown,
)
from experiments.analysis.objectives import front
from experiments.analysis.results import SAMPLED_DESIGNS, Results
from experiments.analysis.robustness import lower_is_better
from experiments.analysis.statistics import Analysis
from experiments.analysis.style import (
    FULL_WIDTH,
    Skip,
    group_colour,
    new_figure,
    wrap,
)

MAX_LABELLED_POINTS = 12
#: adjustText moves the names this many times at most (a count, not its default of a second,
#: so the figure does not depend on how busy the machine is).
ITERATIONS = 300


#: Most objectives drawn against the first, one panel each.
MAX_PANELS = 3


def pareto_front_2d(x: np.ndarray, y: np.ndarray, x_lower: bool, y_lower: bool) -> np.ndarray:
    """Which points no other point dominates on these two objectives (their means).

    ``x_lower`` and ``y_lower``: whether lower is better on each axis.
    """
    values = np.column_stack([-x if x_lower else x, -y if y_lower else y])
    return front(values, np.zeros(2))


def _label_points(ax: Axes, x: np.ndarray, y: np.ndarray, texts: list[str],
                  colours: list[str]) -> None:
    """Name every point beside it, in its colour, with a leader line.

    AdjustText moves the names until none overlaps another name or a point.
    """
    from adjustText import adjust_text

    labels = [ax.text(xi, yi, text, color=colour, fontsize=7, ha="center", va="center")
              for xi, yi, text, colour in zip(x, y, texts, colours, strict=True)]
    adjust_text(labels, x=x, y=y, ax=ax, expand=(1.15, 1.4), min_arrow_len=4,
                iter_lim=ITERATIONS, arrowprops={"arrowstyle": "-", "color": "0.45", "lw": 0.6})


def _draw_front(ax: Axes, x: np.ndarray, y: np.ndarray, on: np.ndarray, x_lower: bool,
                y_lower: bool) -> None:
    """The front as a dashed staircase through its points, each ringed."""
    order = np.argsort(x[on])
    fx, fy = x[on][order], y[on][order]
    # between two front points the staircase turns at the corner both dominate: the worse x
    # (the right one where lower is better) with the worse y (then the left one's)
    where = "post" if x_lower else "pre"
    ax.step(fx, fy, where=where, color="0.35", linestyle="--", linewidth=0.9, zorder=1)
    ax.scatter(fx, fy, s=110, facecolors="none", edgecolors="0.2", linewidths=1.0, zorder=3)


def figure_tradeoff(results: Results, analysis: Analysis) -> Figure:
    """Every regime on the first objective against each other one, the Pareto front marked.

    Per-point means with 95% CI crosses on both axes, every point named beside it (adjustText)
    in its own colour; in each panel the points no other point beats on both of its objectives
    (means) are ringed and joined by a dashed staircase, the Pareto front of the two. Drawn only
    where it shows something: a compared design with few enough points to name, and an axis
    that is not zero everywhere.
    """
    objectives = [m for m in analysis.objectives if m in results.metrics]
    if len(objectives) < 2:
        raise Skip("fewer than two objectives are kept: no trade-off to show")
    if results.design_kind in SAMPLED_DESIGNS:
        raise Skip(f"{results.design_kind} design: sampled points are not named regimes; see "
                   "the sensitivity indices")
    n = results.points["point"].nunique()
    if n < 2:
        raise Skip("a single point: no trade-off to show")
    if n > MAX_LABELLED_POINTS:
        raise Skip(f"{n} points are too many to name each (at most {MAX_LABELLED_POINTS}); see "
                   "the heatmap")
    wide = wide_means(analysis.means)
    first, others = objectives[0], [
        m for m in objectives[1:]
        if np.nanmax(np.abs(wide["mean"][m].to_numpy(dtype=float))) > 0][:MAX_PANELS]
    if not others:
        raise Skip(f"every objective but {first} is zero at every point")
    labels = point_labels(results)
    names = [wrap(labels[p], 16) for p in wide.index]
    colours = [group_colour(i) for i in range(len(wide.index))]
    # At least wide enough for the title and the two-entry legend, even with one panel.
    fig = new_figure(max(6.2, min(FULL_WIDTH * 1.45, 1.0 + 3.3 * len(others))), 5.2)
    axes = fig.subplots(1, len(others), squeeze=False, sharex=True)[0]
    x = shown(first, wide["mean"][first].to_numpy(dtype=float))
    xerr = shown(first, half_width(wide, first))
    x_lower = lower_is_better(first)
    for ax, metric in zip(axes, others, strict=True):
        y = shown(metric, wide["mean"][metric].to_numpy(dtype=float))
        yerr = shown(metric, half_width(wide, metric))
        y_lower = lower_is_better(metric)
        _draw_front(ax, x, y, pareto_front_2d(x, y, x_lower, y_lower), x_lower, y_lower)
        for i in range(len(x)):
            ax.errorbar(x[i], y[i], xerr=xerr[i], yerr=yerr[i], fmt="o", color=colours[i],
                        markersize=4.5, elinewidth=0.9, capsize=2, zorder=2)
        ax.set_xlabel(_axis_text(first, x_lower))
        ax.set_ylabel(_axis_text(metric, y_lower))
        ax.margins(x=0.12, y=0.12)
        _label_points(ax, x, y, names, colours)
    ring = Line2D([0], [0], marker="o", markersize=9, markerfacecolor="none",
                  markeredgecolor="0.2", color="0.35", linestyle="--", linewidth=0.9)
    cross = Line2D([0], [0], marker="o", markersize=4.5, color="0.3", linewidth=0.9)
    fig.legend([ring, cross], ["Pareto front of the two objectives (means)",
                               "mean with 95% CI on both axes"],
               loc="outside lower center", ncols=2, frameon=False, fontsize=8)
    fig.suptitle("What each regime achieves: trade-offs between objectives", x=0.02,
                 ha="left", fontsize=10, fontweight="bold")
    return fig


def _axis_text(metric: str, lower: bool) -> str:
    """``Welfare [output units per cadre]``, then which way is better, on two lines."""
    lab = metric_label(metric)
    return f"{lab.short} [{lab.unit}]\n({'lower' if lower else 'higher'} is better)"
