"""The robustness of a regime comparison across posterior draws, as a figure.

One panel per objective: for each regime, the share of posterior draws in which it beats the
reference by more than the smallest effect (blue), is within it (grey) or loses by more (vermilion),
with the 90% line that makes a verdict robust (:mod:`experiments.analysis.robustness`). Drawn in
the house style (:mod:`experiments.analysis.style`); :mod:`experiments.analysis.plots` lists it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from experiments.analysis.labels import metric_label, regime_label
from experiments.analysis.robustness import ROBUST_SHARE
from experiments.analysis.statistics import Analysis
from experiments.analysis.style import Skip, fit_title, new_figure, wrap

BETTER, TIED, WORSE = "#0072B2", "#D9D9D9", "#D55E00"


def robustness_order(table: pd.DataFrame, metric: str) -> list[str]:
    """Regimes (the reference left out) from most to least often better on ``metric``."""
    rows = table[(table["metric"] == metric) & (table["verdict"] != "baseline")]
    ranked = rows.sort_values(["share_better", "median_improvement"], ascending=False)
    return ranked["regime"].tolist()


def figure_robustness(analysis: Analysis) -> Figure:
    """Share of posterior draws each regime is better, tied or worse, one panel per objective.

    Regimes keep the order of the first objective in every panel, so a row reads across.
    """
    table = analysis.robustness
    if table.empty:
        raise Skip("no posterior: robustness needs a sweep under a calibration's posterior")
    if table["setting"].astype(str).str.len().gt(0).any():
        raise Skip("robustness at several design settings: read robustness.md")
    metrics = list(dict.fromkeys(table["metric"]))
    order = robustness_order(table, metrics[0])
    reference = regime_label(str(table["reference"].iloc[0]))
    fig = new_figure(1.9 * len(metrics) + 1.9, 0.3 * len(order) + 1.6)
    axes = np.atleast_1d(fig.subplots(1, len(metrics), sharey=True))
    y = np.arange(len(order))[::-1]
    for ax, metric in zip(axes, metrics, strict=True):
        rows = table[table["metric"] == metric].set_index("regime").reindex(order)
        better = rows["share_better"].to_numpy(float)
        worse = rows["share_worse"].to_numpy(float)
        tied = 1.0 - better - worse
        ax.barh(y, better, color=BETTER, height=0.7)
        ax.barh(y, tied, left=better, color=TIED, height=0.7)
        ax.barh(y, worse, left=better + tied, color=WORSE, height=0.7)
        for share in (ROBUST_SHARE, 1 - ROBUST_SHARE):
            ax.axvline(share, color="black", linewidth=0.7, linestyle=(0, (2, 2)))
        ax.set_xlim(0, 1)
        ax.set_xticks([0, 0.5, 1])
        ax.set_xticklabels(["0", "50%", "100%"])
        ax.set_title(wrap(metric_label(metric).short, 22), fontsize=9)
    axes[0].set_yticks(y)
    axes[0].set_yticklabels([wrap(regime_label(r), 30) for r in order])
    handles = [Patch(color=BETTER), Patch(color=TIED), Patch(color=WORSE)]
    fig.legend(handles, [f"better than {reference}", "within the smallest effect",
                         f"worse than {reference}"], loc="outside lower center", ncol=3)
    fit_title(fig, f"Share of {int(table['draws'].max())} posterior draws in which each regime "
              f"beats {reference}; robust beyond the dashed lines ({ROBUST_SHARE:.0%})")
    return fig
