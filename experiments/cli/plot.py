"""``cadresim plot RESULTS``: the figures of a results folder.

``cadresim plot RESULTS``: every figure a results folder supports, as PNG and PDF in
``RESULTS/figures``.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib

from simulation import ConfigError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``plot`` subcommand."""
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
    plot.add_argument(
        "--reference", default=None, metavar="REGIME",
        help="reference regime of the differences figure (default: the spec's first regime)",
    )
    plot.set_defaults(handler=cmd_plot)


def cmd_plot(args: argparse.Namespace) -> int:
    """Draw the figures the data supports and report the skipped ones."""
    # Imported here, so that `cadresim run` does not pay for SciPy, SALib and Matplotlib.
    from experiments.analysis import analyze, load_results, make_figures
    from experiments.engine.storage import check_folder_or_absent, staged_folder

    results = load_results(args.results)
    folder = results.path / "figures"
    check_folder_or_absent(folder)
    if args.metric not in results.metrics:
        close = difflib.get_close_matches(args.metric, results.metrics, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ConfigError(
            f"--metric: got {args.metric!r}; {hint}allowed: a kept metric "
            f"({', '.join(results.metrics)})"
        )
    if args.reference is not None and args.reference not in results.regimes:
        raise ConfigError(f"--reference: got {args.reference!r}; allowed: a regime of this "
                          f"experiment ({', '.join(results.regimes)})")
    analysis = analyze(results, reference=args.reference)
    with staged_folder(folder) as staging:  # every figure written whole, or none
        written, skipped = make_figures(results, analysis, folder=staging, metric=args.metric,
                                        reference=args.reference)
    written = [dataclasses.replace(fig, files=[folder / p.name for p in fig.files])
               for fig in written]
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
