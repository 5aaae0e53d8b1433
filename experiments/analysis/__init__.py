"""Analysis of stored results: it reads a results folder, never the model.

* ``results``: load a results folder (manifest, runs, series);
* ``statistics``: the whole analysis, from ``intervals`` (means with t-intervals),
  ``comparisons`` (regime differences; their rules in ``differences``), ``sensitivity`` (Sobol,
  Morris) and ``robustness`` (a regime ranking across posterior draws);
* ``report``: the analysis written as CSV and Markdown, and printed; ``tables`` formats numbers;
* ``plots``: the figures ``cadresim plot`` draws, one module per family (``bar_plots``,
  ``heatmap_plots``, ``series_plots``, ``sensitivity_plots``, ``tradeoff_plots``,
  ``estimate_plots``), in the colours and style of ``style``;
* ``labels``: names and units of outputs (from ``simulation.outputs``), parameters and points;
* ``summary``: the one-run summary ``cadresim run`` prints.

Exports load on first use, so that reading a summary does not import SciPy or Matplotlib.
"""

from simulation.lazy import lazy_exports

_RESULTS = "experiments.analysis.results"
_STATISTICS = "experiments.analysis.statistics"
_REPORT = "experiments.analysis.report"
_SENSITIVITY = "experiments.analysis.sensitivity"
_INTERVALS = "experiments.analysis.intervals"
_PLOTS = "experiments.analysis.plots"
_STYLE = "experiments.analysis.style"
_LABELS = "experiments.analysis.labels"
_SUMMARY = "experiments.analysis.summary"
_EXPORTS = {
    **dict.fromkeys(("Results", "load_results", "KNOWN_METRICS", "SAMPLED_DESIGNS"), _RESULTS),
    **dict.fromkeys(("Analysis", "analyze"), _STATISTICS),
    **dict.fromkeys(("HEADLINE", "write_analysis", "format_report"), _REPORT),
    **dict.fromkeys(("format_estimate", "metric_decimals"), "experiments.analysis.tables"),
    **dict.fromkeys(("point_means", "precision_table", "t_interval"), _INTERVALS),
    **dict.fromkeys(("morris_indices", "salib_problem", "sobol_indices"), _SENSITIVITY),
    "regime_comparisons": "experiments.analysis.comparisons",
    **dict.fromkeys(("FigureResult", "make_figures"), _PLOTS),
    **dict.fromkeys(("STYLE", "Skip", "save_figure"), _STYLE),
    **dict.fromkeys(("figure_inaction_by_cause", "figure_inaction_by_form"),
                    "experiments.analysis.bar_plots"),
    "figure_heatmap": "experiments.analysis.heatmap_plots",
    **dict.fromkeys(("figure_timeseries", "figure_timeseries_causes"),
                    "experiments.analysis.series_plots"),
    **dict.fromkeys(("figure_morris", "figure_sobol"), "experiments.analysis.sensitivity_plots"),
    "figure_tradeoff": "experiments.analysis.tradeoff_plots",
    **dict.fromkeys(("figure_differences", "figure_running_mean", "running_means"),
                    "experiments.analysis.estimate_plots"),
    **dict.fromkeys(("compare_arms", "smallest_effect", "relevance"),
                    "experiments.analysis.differences"),
    **dict.fromkeys(
        ("Label", "axis_label", "format_value", "label", "metric_label",
         "parameter_label", "point_labels", "regime_label"),
        _LABELS,
    ),
    **dict.fromkeys(("format_summary", "summarise"), _SUMMARY),
    "CAUSES": "simulation.outputs",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
