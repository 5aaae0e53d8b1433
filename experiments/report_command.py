"""``cadresim analyze RESULTS`` and ``cadresim plot RESULTS``: statistics and figures from a
results folder (docs/results-format.md), written into ``RESULTS/analysis`` and
``RESULTS/figures``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from simulation import ConfigError

if TYPE_CHECKING:
    from experiments.results import Results


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``analyze`` and ``plot`` subcommands."""
    analyze = subparsers.add_parser(
        "analyze",
        help="means with 95%% CIs, regime comparisons and Sobol indices of a results folder",
        description="Per-point means with 95% t-intervals for every kept metric; pairwise regime "
        "tests (Welch or Mann-Whitney, Holm-corrected) when regimes are compared; Sobol (or "
        "Morris) indices for such designs. Prints the headline numbers and writes CSV and "
        "Markdown tables into RESULTS/analysis/.",
    )
    analyze.add_argument("results", metavar="RESULTS", help="folder written by `cadresim sweep`")
    analyze.set_defaults(handler=cmd_analyze)

    plot = subparsers.add_parser(
        "plot",
        help="figures (PNG and PDF) of a results folder",
        description="Draw every figure the results support (inaction by cause, heatmap over a "
        "2-D grid, time series, sensitivity indices, trade-offs) into RESULTS/figures/, as "
        "300 dpi PNG and vector PDF; say which were skipped and why.",
    )
    plot.add_argument("results", metavar="RESULTS", help="folder written by `cadresim sweep`")
    plot.add_argument(
        "--metric", default="inaction", metavar="METRIC",
        help="metric of the heatmap and the sensitivity bars (default: inaction)",
    )
    plot.set_defaults(handler=cmd_plot)


def _load(path: str) -> Results:
    """Load lazily, so that `cadresim run` does not pay for SciPy, SALib and Matplotlib."""
    from experiments.results import load_results

    return load_results(path)


def cmd_analyze(args: argparse.Namespace) -> int:
    """Compute, print and write the analysis tables."""
    from experiments.analysis import analyze, format_report, write_analysis

    results = _load(args.results)
    analysis = analyze(results)
    written = write_analysis(results, analysis)
    print(format_report(results, analysis))
    print()
    print("written: " + ", ".join(str(p) for p in written))
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    """Draw the figures the data supports and report the skipped ones."""
    results = _load(args.results)
    if args.metric not in results.metrics:
        raise ConfigError(
            f"--metric: got {args.metric!r}; allowed: a kept metric "
            f"({', '.join(results.metrics)})"
        )
    from experiments.analysis import analyze
    from experiments.plots import make_figures

    analysis = analyze(results)
    written, skipped = make_figures(results, analysis, metric=args.metric)
    folder = results.path / "figures"
    for fig in written:
        files = ", ".join(p.name for p in fig.files)
        print(f"written: {fig.name} ({files}): {fig.description}")
    for name, reason in skipped:
        print(f"skipped: {name}: {reason}")
    if written:
        print(f"figures are in {folder}")
    else:
        print("no figure could be drawn from these results")
    return 0
