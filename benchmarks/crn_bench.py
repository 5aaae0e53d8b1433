"""Variance reduction by common random numbers, for small lever changes.

``python -m benchmarks.crn_bench`` runs, for each lever change below, three arms of ``N``
replicates of the default model: A (the lever's base value) and B (the changed value) on the
same seeds (replicate r of both: the sweep's common random numbers), and B' (the changed value)
on seeds of its own. For each metric it reports

    ratio = var(B_r - A_r) / var(B'_r - A_r)

the variance of paired differences over that of independent ones: the share of runs a paired
comparison needs for the same precision (1 = no gain). Seeds are the sweep's:
``run_seed(ROOT, point, r, common)`` with point 0 for A, B and point 1, common=False for B'.
CPU time (process) and wall time of the runs are reported. Results go to an untracked path,
``results/benchmarks/crn_<date>.json`` and ``results/benchmarks/crn_latest.md`` (``--out``).
``--lever PATH`` keeps one lever's change, ``--metrics`` compares other outputs (each form of
inaction, a belief).
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import yaml

from experiments.engine.batch import run_arm
from experiments.engine.design import run_seed
from simulation import load_config

ROOT_SEED = 20261202
#: (label, dotted path, base value, changed value): small policy changes.
CHANGES = (
    ("annual evaluation 0.10 -> 0.12", "regime.accountability.annual_evaluation", 0.10, 0.12),
    ("fault tolerance 0.0 -> 0.1", "regime.fault_tolerance.tolerance", 0.0, 0.1),
    ("training 0.00 -> 0.02", "regime.support.training", 0.0, 0.02),
)
METRICS = ("inaction", "bold", "afraid")
OUT = Path(__file__).resolve().parent.parent / "results" / "benchmarks"


def arm(path: str, value: float, seeds: list[int], n_cadres: int, steps: int,
        burn_in: int, base: dict | None = None, metrics: tuple[str, ...] = METRICS
        ) -> dict[str, np.ndarray]:
    """Run values of ``metrics`` for one lever value over ``seeds`` (``base``: other overrides)."""
    config = load_config(overrides={"organisation.n_cadres": n_cadres, **(base or {}),
                                    path: value})
    table = run_arm(config, seeds, steps, burn_in, metrics).runs_table()
    return {m: table[m].to_numpy(dtype=float) for m in metrics}


def measure(replicates: int, n_cadres: int, steps: int, burn_in: int,
            root_seed: int = ROOT_SEED, base: dict | None = None,
            metrics: tuple[str, ...] = METRICS, changes: tuple = CHANGES) -> dict:
    """The variance ratios of every change and metric, with the time the runs took."""
    common = [run_seed(root_seed, 0, r, True) for r in range(replicates)]
    own = [run_seed(root_seed, 1, r, False) for r in range(replicates)]
    rows = []
    wall, cpu = time.perf_counter(), time.process_time()
    for label, path, start, changed in changes:
        a = arm(path, start, common, n_cadres, steps, burn_in, base, metrics)
        b = arm(path, changed, common, n_cadres, steps, burn_in, base, metrics)
        b_own = arm(path, changed, own, n_cadres, steps, burn_in, base, metrics)
        for metric in metrics:
            paired = float(np.var(b[metric] - a[metric], ddof=1))
            independent = float(np.var(b_own[metric] - a[metric], ddof=1))
            rows.append({
                "change": label, "metric": metric,
                "difference": float(np.mean(b[metric] - a[metric])),
                "var_paired": paired, "var_independent": independent,
                "ratio": paired / independent if independent > 0 else float("nan"),
            })
    return {
        "replicates": replicates, "n_cadres": n_cadres, "steps": steps, "burn_in": burn_in,
        "root_seed": root_seed, "overrides": base or {}, "runs": 3 * len(changes) * replicates,
        "wall_seconds": time.perf_counter() - wall, "cpu_seconds": time.process_time() - cpu,
        "rows": rows,
    }


def markdown(result: dict) -> str:
    """The ratios as a Markdown table."""
    lines = [f"Common random numbers: variance of paired / independent differences "
             f"({result['replicates']} replicates per arm, {result['n_cadres']} cadres, "
             f"{result['steps']} years, burn-in {result['burn_in']}; {result['runs']} runs in "
             f"{result['wall_seconds']:.0f} s wall, {result['cpu_seconds']:.0f} s CPU)", "",
             "| lever change | metric | mean difference | var paired | var independent | ratio |",
             "|---|---|---|---|---|---|"]
    for r in result["rows"]:
        lines.append(f"| {r['change']} | {r['metric']} | {r['difference']:+.4f} | "
                     f"{r['var_paired']:.2e} | {r['var_independent']:.2e} | {r['ratio']:.2f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Measure, print and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=40)
    parser.add_argument("--cadres", type=int, default=500)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--burn-in", type=int, default=10)
    parser.add_argument("--root-seed", type=int, default=ROOT_SEED,
                        help="root of the seeds (another value: another set of seeds)")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="PATH=VALUE", help="a config override for every arm (repeatable)")
    parser.add_argument("--metrics", nargs="+", default=list(METRICS), metavar="OUTPUT",
                        help=f"outputs compared (default: {' '.join(METRICS)})")
    parser.add_argument("--lever", dest="levers", action="append",
                        choices=[path for _, path, _, _ in CHANGES],
                        help="only this lever's change (repeatable; default: every one)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    base = {k: yaml.safe_load(v) for k, v in (o.split("=", 1) for o in args.overrides)}
    changes = tuple(c for c in CHANGES if not args.levers or c[1] in args.levers)
    result = measure(args.replicates, args.cadres, args.steps, args.burn_in, args.root_seed,
                     base, tuple(args.metrics), changes)
    result["date"] = datetime.now(UTC).isoformat(timespec="seconds")
    text = markdown(result)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = result["date"][:10]
    stamp = f"{stamp}_seed{args.root_seed}" + ("_set" if base else "")
    (args.out / f"crn_{stamp}.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    (args.out / "crn_latest.md").write_text(text, encoding="utf-8")
    print(f"written: {args.out / f'crn_{stamp}.json'}, {args.out / 'crn_latest.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
