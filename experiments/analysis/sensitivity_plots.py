"""Bars of sensitivity indices: Sobol (S1, ST) and Morris (mu*), one panel per regime."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from experiments.analysis.labels import (
    metric_label,
    parameter_label,
    regime_label,
)
from experiments.analysis.results import Results
from experiments.analysis.statistics import Analysis
from experiments.analysis.style import (
    FULL_WIDTH,
    SOBOL_COLOURS,
    Skip,
    fit_title,
    new_figure,
    wrap,
)


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
    fig = new_figure(FULL_WIDTH if ncols == 2 else 5.2, (0.32 * n_params + 1.0) * nrows + 0.8)
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
        ax.set_yticklabels([wrap(parameter_label(p).name, 30) if k % ncols == 0 else ""
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
    fit_title(fig, f"Sensitivity of {metric_label(metric).name.lower()}")
    return fig


def figure_morris(results: Results, analysis: Analysis, metric: str = "inaction") -> Figure:
    """Horizontal bars of Morris mu* with bootstrap 95% intervals, one panel per regime."""
    table = _index_table(results, analysis.morris, "morris", "Morris", metric)
    regimes = list(dict.fromkeys(table["regime"]))
    order = table.groupby("parameter")["mu_star"].mean().sort_values().index
    fig = new_figure(5.2, (0.3 * len(order) + 1.0) * len(regimes) + 0.6)
    axes = fig.subplots(len(regimes), 1, squeeze=False, sharex=True)
    for k, regime in enumerate(regimes):
        ax = axes[k][0]
        part = table[table["regime"] == regime].set_index("parameter").reindex(order)
        ax.barh(np.arange(len(order)), part["mu_star"], 0.6, xerr=part["mu_star_conf"],
                color=SOBOL_COLOURS["S1"], error_kw={"elinewidth": 0.9, "capsize": 2.5})
        ax.set_yticks(np.arange(len(order)))
        ax.set_yticklabels([wrap(parameter_label(p).name, 30) for p in order])
        if len(regimes) > 1:
            ax.set_title(regime_label(regime), loc="left", fontsize=9)
    unit = metric_label(metric).unit
    axes[-1][0].set_xlabel(f"Morris μ* of {metric_label(metric).short.lower()}"
                           + (f" [{unit}]" if unit else ""))
    fit_title(fig, f"Elementary effects on {metric_label(metric).name.lower()}")
    return fig

