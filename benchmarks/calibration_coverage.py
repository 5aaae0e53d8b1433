"""Coverage of the calibration's credible intervals on known answers (simulation-based check).

Each replicate draws parameters from the prior, simulates synthetic targets at them with its own
seed, calibrates against those targets, and records whether the known value lies in the central
50% and 90% posterior intervals, and its rank among the posterior particles (SBC rank, weighted).
Calibrated intervals cover at about the nominal rate; ABC with a finite final tolerance is
conservative (intervals too wide), so the check fails only on under-coverage:

    coverage >= nominal - 2 * sqrt(nominal (1 - nominal) / replicates)

    python -m benchmarks.calibration_coverage --replicates 20 --workers 2

writes ``benchmarks/results/calibration_coverage_latest.md`` and a JSON beside it; exit code 1 if
a parameter under-covers.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from experiments.calibration.fit import Budget, calibrate
from experiments.calibration.priors import validate_priors
from experiments.calibration.report import weighted_quantile
from experiments.calibration.simulate import draw_seeds, simulate_targets
from experiments.calibration.targets import validate_targets
from experiments.engine.executors import SerialExecutor, local_pool

RESULTS = Path(__file__).resolve().parent / "results"
SOURCE = {"authors": "synthetic", "venue": "benchmark", "year": 2026, "firmness": "known"}
PRIORS = validate_priors({"name": "coverage", "parameters": {
    "population.risk_aversion_mean": {"distribution": "uniform", "low": 0.0, "high": 4.0,
                                      "why": "drives the fear reason"},
    "population.motivation_mean": {"distribution": "uniform", "low": 0.3, "high": 0.9,
                                   "why": "drives mean motivation"},
}})
#: name -> (statistic, mapping_sd covering the run-to-run noise at this size)
STATISTICS = {"afraid": ("reason_afraid / inaction", 0.06),
              "unable": ("reason_unable / inaction", 0.06),
              "motivation": ("mean_motivation", 0.02)}


def targets_with(values: dict[str, float] | None = None):
    """The synthetic target set (values 0.5 until simulated)."""
    values = values or dict.fromkeys(STATISTICS, 0.5)
    return validate_targets({
        "name": "coverage", "simulation": {"n_cadres": 80, "steps": 10, "burn_in": 3},
        "targets": [{"name": k, "figure": "simulated", "value": float(np.clip(values[k], 0, 1)),
                     "statistic": s, "mapping_sd": sd, "looseness": "run-to-run noise",
                     "source": SOURCE} for k, (s, sd) in STATISTICS.items()],
    })


def one_replicate(args: tuple[int, int, int, int]) -> dict:
    """Draw, simulate, calibrate, score one known answer."""
    index, seed, population, generations = args
    rng = np.random.default_rng(np.random.SeedSequence([seed, index]))
    truth = dict(zip(PRIORS.names, PRIORS.sample(rng, 1)[0], strict=True))
    observed = simulate_targets(truth, targets_with(), draw_seeds([seed, index, 1], 1)[0])
    if not all(math.isfinite(v) for v in observed.values()):
        return {"index": index, "skipped": True}
    with tempfile.TemporaryDirectory() as out:
        result = calibrate(targets_with(observed), PRIORS, out,
                           Budget(population, generations, ppc_draws=1), seed=seed + index,
                           executor=SerialExecutor(), progress=False, plots=False)
    post = result.posterior
    w = post["weight"].to_numpy()
    row: dict = {"index": index, "skipped": False, "simulations": int(result.simulated)}
    for name, value in truth.items():
        x = post[name].to_numpy()
        q = weighted_quantile(x, w, [0.05, 0.25, 0.75, 0.95])
        row[name] = {"truth": float(value), "in50": bool(q[1] <= value <= q[2]),
                     "in90": bool(q[0] <= value <= q[3]),
                     "rank": float(w[x < value].sum())}
    return row


def summarise(rows: list[dict]) -> dict:
    """Coverage per parameter and level, the tolerance, and pass/fail."""
    rows = [r for r in rows if not r["skipped"]]
    n = len(rows)
    out: dict = {"replicates": n, "parameters": {}}
    for name in PRIORS.names:
        entry = {}
        for level, key in ((0.5, "in50"), (0.9, "in90")):
            cover = float(np.mean([r[name][key] for r in rows]))
            floor = level - 2 * math.sqrt(level * (1 - level) / n)
            entry[f"coverage_{int(level * 100)}"] = cover
            entry[f"floor_{int(level * 100)}"] = floor
            entry[f"ok_{int(level * 100)}"] = cover >= floor
        ranks = np.array([r[name]["rank"] for r in rows])
        entry["rank_histogram"] = np.histogram(ranks, bins=4, range=(0, 1))[0].tolist()
        out["parameters"][name] = entry
    out["ok"] = all(e["ok_50"] and e["ok_90"] for e in out["parameters"].values())
    return out


def markdown(summary: dict, settings: dict) -> str:
    """The benchmark's report."""
    lines = ["# Calibration coverage on known answers", "",
             f"{summary['replicates']} replicates; {settings}. Pass if coverage >= nominal - 2 "
             "binomial s.e. (ABC with a finite tolerance over-covers; under-coverage fails).", "",
             "| parameter | 50% coverage (floor) | 90% coverage (floor) | SBC ranks | ok |",
             "|---|---|---|---|---|"]
    for name, e in summary["parameters"].items():
        lines.append(f"| {name} | {e['coverage_50']:.2f} ({e['floor_50']:.2f}) | "
                     f"{e['coverage_90']:.2f} ({e['floor_90']:.2f}) | {e['rank_histogram']} | "
                     f"{'yes' if e['ok_50'] and e['ok_90'] else 'NO'} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the coverage benchmark; 0 if every parameter covers, else 1."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.calibration_coverage")
    p.add_argument("--replicates", type=int, default=20)
    p.add_argument("--population", type=int, default=30)
    p.add_argument("--generations", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--out", default=str(RESULTS))
    args = p.parse_args(argv)
    work = [(i, args.seed, args.population, args.generations) for i in range(args.replicates)]
    start = time.perf_counter()
    if args.workers > 1:
        with local_pool(args.workers) as pool:  # one whole calibration per worker
            rows = list(pool.map(one_replicate, work))
    else:
        rows = [one_replicate(w) for w in work]
    seconds = time.perf_counter() - start
    summary = summarise(rows)
    settings = {"population": args.population, "generations": args.generations,
                "seed": args.seed, "seconds": round(seconds, 1), "workers": args.workers}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "calibration_coverage_latest.json").write_text(
        json.dumps({"settings": settings, "summary": summary, "rows": rows}, indent=2))
    text = markdown(summary, settings)
    (out / "calibration_coverage_latest.md").write_text(text)
    print(text)
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
