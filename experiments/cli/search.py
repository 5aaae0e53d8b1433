"""``cadresim search SPEC``: multi-objective search over a regime's levers (docs/search.md).

Resumable: run the same command again after an interruption (even kill -9) and it replays the
stored evaluations and continues the same search to the same front.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from experiments.cli.argtypes import whole_number


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``search`` subcommand."""
    search = subparsers.add_parser(
        "search",
        help="search regime levers for the Pareto front of several objectives",
        description="NSGA-II (NSGA-III from four objectives on) over the levers a search spec "
        "names, each candidate judged on the same replicate seeds (common random numbers), "
        "every evaluation stored so that a killed search resumes where it stopped. The front is "
        "re-evaluated on fresh seeds with the shipped presets and written as regime presets, a "
        "trade table and figures.",
    )
    search.add_argument("spec", metavar="SPEC", help="a search spec (YAML; docs/search.md)")
    search.add_argument("--out", metavar="DIR", default=None,
                        help="results folder (default: results/search/<spec name>)")
    search.add_argument("--workers", type=whole_number(1), default=1,
                        help="worker processes (default 1: this process)")
    search.add_argument("--restart", action="store_true",
                        help="discard a previous search in --out and start again")
    search.add_argument("--no-figures", action="store_true", help="skip the figures")
    search.set_defaults(handler=cmd_search)


def cmd_search(args: argparse.Namespace) -> int:
    """Run (or resume) the search and print where its results are."""
    from experiments.engine.executors import local_executor
    from experiments.search.report import run_search
    from experiments.search.spec import load_search_spec

    spec = load_search_spec(args.spec)
    folder = Path(args.out or Path("results") / "search" / spec.name)
    if args.restart and folder.exists():
        shutil.rmtree(folder)
    executor = local_executor(args.workers)
    try:
        report = run_search(spec, folder, executor, figures=not args.no_figures)
    finally:
        executor.shutdown()
    kept = int(report.summary["kept"].sum())
    print(f"{len(report.candidates)} candidates judged; front: {len(report.front)} members, "
          f"{kept} kept after re-evaluation on fresh seeds")
    for row in report.dominance.to_dict("records"):
        if row["dominated_by"]:
            clearly = len(row["clearly_dominated_by"].split())
            print(f"{row['preset']} is dominated by {len(row['dominated_by'].split())} kept "
                  f"members ({clearly} clearly)")
    print(f"written: {folder}/front.csv, trades.md, findings.md, regimes/ "
          f"({len(report.regimes)} presets)" + (", figures/" if report.figures else ""))
    return 0
