"""Bar figures per point: inaction by cause, and by form beside by cause (the demo's figure).

Each bar stacks to the headline inaction, with the 95% interval of the total as a whisker.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from experiments.analysis.labels import (
    axis_label,
    metric_label,
    point_labels,
    shown,
)
from experiments.analysis.results import SAMPLED_DESIGNS, Results
from experiments.analysis.statistics import Analysis
from experiments.analysis.style import (
    CAUSE_COLOURS,
    FORM_COLOURS,
    FULL_WIDTH,
    Skip,
    fit_xticklabels,
    new_figure,
    wrap,
)
from simulation.outputs import CAUSES

MAX_BARS = 16


def wide_means(means: pd.DataFrame) -> pd.DataFrame:
    """Per point: ``mean``, ``ci_low``, ``ci_high`` columns per metric (MultiIndex)."""
    return means.pivot(index="point", columns="metric", values=["mean", "ci_low", "ci_high"])


def half_width(means: pd.DataFrame, metric: str) -> np.ndarray:
    """Half-widths of the CIs (0 where there is none)."""
    half = (means["ci_high"][metric] - means["ci_low"][metric]).to_numpy(dtype=float) / 2
    return np.nan_to_num(half, nan=0.0)



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
    wide = wide_means(analysis.means)
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
    fig = new_figure(fig_width, 3.6)
    ax = fig.add_subplot()
    bottom = np.zeros(len(points))
    for cause in CAUSES:
        values = wide["mean"][cause].to_numpy(dtype=float)
        ax.bar(x - offset, values, width, bottom=bottom, color=CAUSE_COLOURS[cause],
               edgecolor="white", linewidth=0.5, label=metric_label(cause).short)
        bottom += values
    total = wide["mean"]["inaction"].to_numpy(dtype=float)
    ax.errorbar(x - offset, total, yerr=half_width(wide, "inaction"), fmt="none", ecolor="black",
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
    ax.set_xticklabels([wrap(labels[p], chars) for p in points])
    fit_xticklabels(fig, ax)
    ax.set_xlim(-0.6, len(points) - 0.4)
    ax.set_title("Inaction by cause", loc="left")
    return fig



#: The two splits of inaction drawn side by side, each stacking to the headline.
SPLITS: tuple[tuple[str, dict[str, str]], ...] = (
    ("form", FORM_COLOURS),
    ("cause", {c: CAUSE_COLOURS[c] for c in CAUSES}),
)


#: What the panels under the demo's first figure show: what each regime achieves.
ACHIEVED: tuple[str, ...] = ("real_output", "welfare")


def figure_inaction_by_form(results: Results, analysis: Analysis) -> Figure:
    """Per point (regime), two stacked bars of equal height, and below, what it achieves.

    Inaction in its three forms (lying flat, false action, avoidance) and beside it the same
    inaction by cause (unwilling, unable, afraid), with the 95% CI of the total as a whisker on
    each; under them, where the runs keep them, real output and welfare per point with their
    95% CIs (welfare with its band over the weights, ``experiments.analysis.welfare``).
    """
    wide, points, labels, x = bar_points(results, analysis,
                                         ["inaction", *FORM_COLOURS, *CAUSES])
    width, offset = 0.38, 0.21
    fig_width = min(FULL_WIDTH * 1.4, max(4.8, 1.0 * len(points) + 2.8))
    achieved = [m for m in ACHIEVED if m in results.metrics]
    fig = new_figure(fig_width, 3.8 + 1.25 * len(achieved))
    axes = fig.subplots(1 + len(achieved), 1, sharex=True, squeeze=False,
                        gridspec_kw={"height_ratios": [3.0] + [1.1] * len(achieved)})[:, 0]
    ax = axes[0]
    total = wide["mean"]["inaction"].to_numpy(dtype=float)
    for side, (_, parts) in zip((-1, 1), SPLITS, strict=True):
        bottom = np.zeros(len(points))
        for name, colour in parts.items():
            values = wide["mean"][name].to_numpy(dtype=float)
            ax.bar(x + side * offset, values, width, bottom=bottom, color=colour,
                   edgecolor="white", linewidth=0.5, label=metric_label(name).short)
            bottom += values
        ax.errorbar(x + side * offset, total, yerr=half_width(wide, "inaction"), fmt="none",
                    ecolor="black", elinewidth=1, capsize=3)
    handles, names = ax.get_legend_handles_labels()
    title = Patch(visible=False)
    whisker = Line2D([0], [0], color="black", marker="_", markersize=8, linewidth=1)
    fig.legend([title, *handles[2::-1], title, *handles[5:2:-1], whisker],
               ["Left bar: form", *names[2::-1], "Right bar: cause", *names[5:2:-1],
                "95% CI of inaction"], loc="outside right upper")
    top = wide["ci_high"]["inaction"].fillna(wide["mean"]["inaction"]).max()
    ax.set_ylim(0, float(top) * 1.08 if math.isfinite(top) and top > 0 else 1)
    ax.set_ylabel(wrap(axis_label("inaction"), 40))
    for metric, panel in zip(achieved, axes[1:], strict=True):
        _achieved_panel(panel, metric, wide, x, points, analysis)
    bottom_ax = axes[-1]
    bottom_ax.set_xticks(x)
    chars = max(8, int(14 * (fig_width - 2.6) / len(points)))
    bottom_ax.set_xticklabels([wrap(labels[p], chars) for p in points])
    fit_xticklabels(fig, bottom_ax)
    bottom_ax.set_xlim(-0.6, len(points) - 0.4)
    fig.align_ylabels(axes)
    ax.set_title("Inaction by form (left) and by cause (right)"
                 + (", and what each regime achieves" if achieved else ""), loc="left")
    return fig


def _achieved_panel(ax: Axes, metric: str, wide: pd.DataFrame, x: np.ndarray,
                    points: list[int], analysis: Analysis) -> None:
    """One objective per point: its mean with the 95% CI (welfare: and its band, shaded)."""
    mean = shown(metric, wide["mean"][metric].to_numpy(dtype=float))
    half = shown(metric, half_width(wide, metric))
    lowest = np.nanmin(mean - half)
    if metric == "welfare" and not analysis.welfare.empty:
        band = analysis.welfare.set_index("point").reindex(points)
        low, high = band["band_low"].to_numpy(float), band["band_high"].to_numpy(float)
        ax.bar(x, high - low, 0.5, bottom=low, color="0.88", edgecolor="none",
               label="welfare over the band of its weights (ODD 9.1)")
        ax.axhline(0, color="0.5", linewidth=0.6)
        lowest = min(lowest, np.nanmin(low))
        ax.legend(loc="best", fontsize=7, frameon=False, handlelength=1.0)
    ax.errorbar(x, mean, yerr=half, fmt="o", color="black", markersize=3.5, elinewidth=1,
                capsize=2.5)
    if lowest >= 0:  # nothing below 0: the axis starts there
        ax.set_ylim(bottom=0)
    lab = metric_label(metric)
    ax.set_ylabel(f"{lab.short}\n[{lab.unit.replace('output units ', '')}]")

