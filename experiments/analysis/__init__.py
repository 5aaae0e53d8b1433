"""Analysis of stored results: it reads a results folder, never the model.

* ``results``: load a results folder (manifest, runs, series);
* ``statistics``: means with intervals, regime differences, sensitivity indices;
* ``differences``: the rules of a difference's interval, effect size and relevance;
* ``plots``, ``estimate_plots``: the figures ``cadresim plot`` draws;
* ``labels``: names and units of outputs (from ``simulation.outputs``) and parameters;
* ``summary``: the one-run summary ``cadresim run`` prints.

Exports load on first use, so that reading a summary does not import SciPy or Matplotlib.
"""

from simulation.lazy import lazy_exports

_RESULTS = "experiments.analysis.results"
_STATISTICS = "experiments.analysis.statistics"
_PLOTS = "experiments.analysis.plots"
_LABELS = "experiments.analysis.labels"
_SUMMARY = "experiments.analysis.summary"
_EXPORTS = {
    **dict.fromkeys(("Results", "load_results", "KNOWN_METRICS", "SAMPLED_DESIGNS"), _RESULTS),
    **dict.fromkeys(
        ("Analysis", "HEADLINE", "analyze", "format_estimate", "format_report",
         "metric_decimals", "morris_indices", "point_labels", "point_means",
         "precision_table", "regime_comparisons", "salib_problem", "sobol_indices", "t_interval",
         "write_analysis"),
        _STATISTICS,
    ),
    **dict.fromkeys(
        ("STYLE", "FigureResult", "Skip", "figure_heatmap", "figure_inaction_by_cause",
         "figure_inaction_by_form",
         "figure_morris", "figure_sobol", "figure_timeseries", "figure_timeseries_causes",
         "figure_tradeoff", "make_figures"),
        _PLOTS,
    ),
    **dict.fromkeys(("figure_differences", "figure_running_mean", "running_means"),
                    "experiments.analysis.estimate_plots"),
    **dict.fromkeys(("compare_arms", "smallest_effect", "relevance"),
                    "experiments.analysis.differences"),
    **dict.fromkeys(
        ("Label", "axis_label", "format_value", "label", "metric_label",
         "parameter_label", "regime_label"),
        _LABELS,
    ),
    **dict.fromkeys(("format_summary", "summarise"), _SUMMARY),
    "CAUSES": "simulation.outputs",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
