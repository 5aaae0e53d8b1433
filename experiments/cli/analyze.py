"""``cadresim analyze RESULTS``: statistics of a results folder.

``cadresim analyze RESULTS``: statistics of a results folder (docs/results-format.md), printed and
written into ``RESULTS/analysis``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``analyze`` subcommand."""
    analyze = subparsers.add_parser(
        "analyze",
        help="means with 95%% CIs, regime differences and Sobol indices of a results folder",
        description="Per-point means with 95% t-intervals for every kept metric; regime "
        "differences with 95% intervals (paired when the arms share random numbers, Welch "
        "otherwise, BCa bootstrap for rare-event outputs), Hedges' g and the smallest effect of "
        "interest when regimes are compared; Sobol (or Morris) indices for such designs. Prints "
        "the headline numbers and writes CSV and Markdown tables into RESULTS/analysis/.",
    )
    analyze.add_argument("results", metavar="RESULTS", help="folder written by `cadresim sweep`")
    analyze.add_argument("--reference", metavar="REGIME", default=None,
                         help="compare every regime with this one (default: every pair)")
    analyze.add_argument("--tests", action="store_true",
                         help="add p-values, adjusted over the table (never on outputs no "
                         "policy can move)")
    analyze.add_argument("--adjust", choices=("holm", "fdr_bh"), default="holm",
                         help="multiple-testing adjustment for --tests (statsmodels; default "
                         "holm)")
    analyze.set_defaults(handler=cmd_analyze)


def cmd_analyze(args: argparse.Namespace) -> int:
    """Compute, print and write the analysis tables.

    All tables are written, or none: a full disk or a read-only folder leaves
    ``RESULTS/analysis`` as it was.
    """
    # Imported here, so that `cadresim run` does not pay for SciPy and SALib.
    from experiments.analysis import analyze, format_report, load_results, write_analysis
    from experiments.engine.storage import check_folder_or_absent, staged_folder

    results = load_results(args.results)
    if args.reference is not None and args.reference not in results.regimes:
        print(f"error: --reference {args.reference!r} is not a regime of this experiment; "
              f"regimes: {', '.join(results.regimes)}", file=sys.stderr)
        return 2
    folder = results.path / "analysis"
    check_folder_or_absent(folder)
    analysis = analyze(results, reference=args.reference, tests=args.tests,
                       adjust_method=args.adjust)
    name = results.path.resolve().name or "results"
    with staged_folder(folder, inside=f"{name}/analysis") as staging:
        (staging / name).mkdir()
        staged = write_analysis(dataclasses.replace(results, path=staging / name), analysis)
        written = [folder / path.name for path in staged]
    print(format_report(results, analysis))
    print()
    print("written: " + ", ".join(str(p) for p in written))
    return 0
