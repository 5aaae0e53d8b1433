"""Inaction against the errors of review (shielded violations, wrongful sanctions), per point."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from experiments.analysis.bar_plots import half_width, wide_means
from experiments.analysis.labels import (
    axis_label,
    point_labels,
    shown,
)
from experiments.analysis.results import SAMPLED_DESIGNS, Results
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
ITERATIONS = 100


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
                iter_lim=ITERATIONS, arrowprops={"arrowstyle": "-", "color": "0.45", "lw": 0.6})


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
    wide = wide_means(analysis.means)
    xs_metrics = [m for m in xs_metrics
                  if np.nanmax(np.abs(wide["mean"][m].to_numpy(dtype=float))) > 0]
    if not xs_metrics:
        raise Skip("shielded violations and wrongful sanctions are zero at every point")
    labels = point_labels(results)
    names = [wrap(labels[p], 24) for p in wide.index]
    colours = [group_colour(i) for i in range(len(wide.index))]
    fig = new_figure(FULL_WIDTH if len(xs_metrics) == 2 else 4.6, 4.0)
    axes = fig.subplots(1, len(xs_metrics), squeeze=False, sharey=True)[0]
    y = shown("inaction", wide["mean"]["inaction"].to_numpy(dtype=float))
    yerr = shown("inaction", half_width(wide, "inaction"))
    for k, metric in enumerate(xs_metrics):
        ax = axes[k]
        x = shown(metric, wide["mean"][metric].to_numpy(dtype=float))
        xerr = shown(metric, half_width(wide, metric))
        for i in range(len(x)):
            ax.errorbar(x[i], y[i], xerr=xerr[i], yerr=yerr[i], fmt="o", color=colours[i],
                        markersize=5, elinewidth=0.9, capsize=2)
        ax.set_xlabel(wrap(axis_label(metric), 36))
        if k == 0:
            ax.set_ylabel(wrap(axis_label("inaction"), 36))
        ax.margins(x=0.12, y=0.1)
        _label_points(ax, x, y, names, colours)
    fig.suptitle("Inaction against review errors (means, 95% CI crosses)", x=0.02,
                 ha="left", fontsize=10, fontweight="bold")
    return fig

