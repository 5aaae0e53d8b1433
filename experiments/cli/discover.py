"""``cadresim discover RESULTS --where COND``: scenario discovery (PRIM) on a results folder."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from experiments.cli.argtypes import whole_number


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``discover`` subcommand."""
    discover = subparsers.add_parser(
        "discover",
        help="PRIM boxes of a sweep's inputs where a condition on its outputs holds",
        description="Scenario discovery: PRIM (Friedman and Fisher 1999) over a results "
        "folder's design parameters (and posterior parameters) for a condition on its outputs. "
        "Prints each box with its coverage and density and writes the boxes, the peeling "
        "trajectory and a figure into RESULTS/discovery/.",
    )
    discover.add_argument("results", metavar="RESULTS", help="folder written by `cadresim sweep`")
    discover.add_argument("--where", required=True, metavar="COND",
                          help='condition on the outputs, e.g. "afraid_share > 0.5"')
    discover.add_argument("--boxes", type=whole_number(1, 10), default=2,
                          help="most boxes to find by covering (default 2)")
    discover.add_argument("--alpha", type=float, default=0.05,
                          help="share of points peeled per step (default 0.05)")
    discover.add_argument("--threshold", type=float, default=0.8,
                          help="density the chosen box must reach (default 0.8: the widest "
                          "such box on the trajectory)")
    discover.add_argument("--out", metavar="DIR", default=None,
                          help="where to write (default RESULTS/discovery)")
    discover.set_defaults(handler=cmd_discover)


def cmd_discover(args: argparse.Namespace) -> int:
    """Find, print and write the boxes."""
    from experiments.analysis import load_results
    from experiments.engine.storage import write_parquet_atomic
    from experiments.search.discovery import box_table, cases, condition, discovery_figure
    from experiments.search.prim import discover
    from simulation.errors import ConfigError

    if not 0 < args.alpha < 0.5 or not 0 < args.threshold <= 1:
        raise ConfigError("--alpha must be between 0 and 0.5 and --threshold between 0 and 1")
    results = load_results(args.results)
    inputs, outputs = cases(results)
    held = condition(outputs, args.where)
    if not held.any():
        named = [c for c in outputs.columns if re.search(rf"\b{re.escape(c)}\b", args.where)]
        ranges = "; ".join(f"{c} ranges from {outputs[c].min():.4g} to {outputs[c].max():.4g}"
                           for c in named)
        raise ConfigError(f"--where {args.where!r} holds in none of the {len(held)} cases"
                          + (f" ({ranges})" if ranges else ""))
    found = discover(inputs, held, boxes=args.boxes, alpha=args.alpha, threshold=args.threshold)
    out = Path(args.out or results.path / "discovery")
    out.mkdir(parents=True, exist_ok=True)
    table = box_table(found, inputs)
    table.to_csv(out / "boxes.csv", index=False)
    trajectory = found[0].trajectory.drop(columns="limits")
    write_parquet_atomic(trajectory, out / "trajectory.parquet")
    figures = discovery_figure(found, inputs, args.where, out / "discovery")
    print(f"{args.where}: {int(held.sum())} of {len(held)} cases ({held.mean():.0%})")
    for k, discovery in enumerate(found, start=1):
        box = discovery.box
        print(f"box {k}: coverage {box.coverage:.0%}, density {box.density:.0%}, "
              f"support {box.support:.0%}")
        for name in sorted(box.restricted, key=box.quasi_p.get):
            low, high = box.limits[name]
            print(f"  {name}: {low:.4g} to {high:.4g} (quasi-p {box.quasi_p[name]:.2g})")
    print("written: " + ", ".join(str(p) for p in [out / "boxes.csv", *figures]))
    return 0
