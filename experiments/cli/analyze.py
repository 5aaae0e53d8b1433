"""``cadresim analyze RESULTS``: statistics of a results folder.

``cadresim analyze RESULTS``: statistics of a results folder (docs/results-format.md), printed and
written into ``RESULTS/analysis``.
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``analyze`` subcommand."""
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


def cmd_analyze(args: argparse.Namespace) -> int:
    """Compute, print and write the analysis tables."""
    # Imported here, so that `cadresim run` does not pay for SciPy and SALib.
    from experiments.analysis import analyze, format_report, load_results, write_analysis

    results = load_results(args.results)
    analysis = analyze(results)
    written = write_analysis(results, analysis)
    print(format_report(results, analysis))
    print()
    print("written: " + ", ".join(str(p) for p in written))
    return 0
