"""The figures ``cadresim plot`` draws from a saved results folder, and where it writes them.

Each figure function (in ``bar_plots``, ``heatmap_plots``, ``series_plots``,
``sensitivity_plots``, ``tradeoff_plots``, ``estimate_plots`` and ``robustness_plots``) takes
the loaded results (and the analysis tables), never the model, and raises
:class:`~experiments.analysis.style.Skip` with a reason when the data cannot support the
figure. Every figure is drawn and saved in the style of :mod:`experiments.analysis.style` (PNG
at 300 dpi and vector PDF).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import matplotlib as mpl
from matplotlib.figure import Figure

from experiments.analysis.bar_plots import figure_inaction_by_cause, figure_inaction_by_form
from experiments.analysis.estimate_plots import figure_differences, figure_running_mean
from experiments.analysis.heatmap_plots import figure_heatmap
from experiments.analysis.results import Results
from experiments.analysis.robustness_plots import figure_robustness
from experiments.analysis.sensitivity_plots import figure_morris, figure_sobol
from experiments.analysis.series_plots import figure_timeseries, figure_timeseries_causes
from experiments.analysis.statistics import Analysis
from experiments.analysis.style import STYLE, Skip, save_figure
from experiments.analysis.tradeoff_plots import figure_tradeoff
from experiments.analysis.transition_plots import figure_transitions


@dataclass
class FigureResult:
    """A written figure: its files and what it shows."""

    name: str
    files: list[Path]
    description: str


def figure_plan(results: Results, analysis: Analysis, metric: str = "inaction",
                reference: str | None = None) -> list[tuple[str, str, Callable[[], Figure]]]:
    """(file name, description, builder) of every figure ``cadresim plot`` tries."""
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
        ("tradeoff", "every regime on the first objective against each other one, with 95% "
         "intervals on both axes and the Pareto front",
         lambda: figure_tradeoff(results, analysis)),
        (f"differences_{metric}", f"each regime minus the reference regime on {metric}, with "
         "95% intervals", lambda: figure_differences(results, analysis, metric, reference)),
        ("running_mean", "running mean and 95% interval against replications",
         lambda: figure_running_mean(results)),
        ("robustness", "share of posterior draws in which each regime beats the reference, "
         "per objective", lambda: figure_robustness(analysis)),
        ("transitions", "each output's path after the switch (and the return) beside the new "
         "regime from the start and the old one throughout, half and 90% of each change marked",
         lambda: figure_transitions(results, analysis)),
        ("transition_effects", "the same as each arm minus the never-switched arm, year by "
         "year, with 95% bootstrap intervals",
         lambda: figure_transitions(results, analysis, "effect")),
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
            written.append(FigureResult(name, save_figure(fig, folder / name), description))
    return written, skipped
