"""Coverage of the calibration's credible intervals on known answers (simulation-based check).

Each replicate draws parameters from the prior, simulates synthetic targets at them with its own
seed, calibrates against those targets, and records whether the known value lies in the central
50%, 90% and 95% posterior intervals, and its rank among the posterior particles (SBC rank,
weighted). Calibrated intervals cover at about the nominal rate; ABC with a finite final
tolerance is conservative (intervals too wide), so the check fails only on under-coverage:

    coverage >= nominal - 2 * sqrt(nominal (1 - nominal) / replicates)

By default it checks **the shipped fit's own parameters and targets** (``--targets`` and
``--priors``: every parameter of the priors file, every fitted target with its statistic, years,
switch and looseness) at a scaled budget: fewer cadres, a shorter burn-in (the calendar of the
kept years unchanged), fewer particles and generations than the shipped fit, but enough effective
particles per replicate (``--min-ess``): a weighted posterior of a dozen effective particles has
intervals that shrink from weight degeneracy and under-cover for that reason alone. ``--toy``
runs the two-parameter toy this benchmark began with (80 cadres x 10 years).

    python -m benchmarks.calibration_coverage --workers 2     # shipped targets, 40 replicates
    python -m benchmarks.calibration_coverage --toy --replicates 20

writes ``benchmarks/results/calibration_coverage_latest.md`` (or ``..._toy_latest``) and a JSON
beside it; exit code 1 if a parameter under-covers. ``make calibrate-coverage`` runs the first.
Each replicate's row is kept as it finishes (``--work``, one JSON file per replicate under a key
of the settings and of the model's code), so a killed run resumes with the replicates it had not
finished, and a run after a model change starts afresh.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import as_completed
from pathlib import Path

import numpy as np

from experiments.calibration.fit import Budget, calibrate
from experiments.calibration.priors import PriorSet, load_priors, validate_priors
from experiments.calibration.report import effective_sample_size, weighted_quantile
from experiments.calibration.simulate import draw_seeds, simulate_targets
from experiments.calibration.targets import TargetSet, load_targets, validate_targets
from experiments.engine.executors import SerialExecutor, local_pool
from simulation.digest import model_digest

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"
TARGETS = ROOT / "configs" / "targets" / "peoples_tribune_2015_2018.yaml"
PRIORS = ROOT / "configs" / "priors" / "behaviour.yaml"
SOURCE = {"authors": "synthetic", "venue": "benchmark", "year": 2026, "firmness": "known"}
TOY_PRIORS = validate_priors({"name": "coverage", "parameters": {
    "population.risk_aversion_mean": {"distribution": "uniform", "low": 0.0, "high": 4.0,
                                      "why": "drives the fear reason"},
    "population.motivation_mean": {"distribution": "uniform", "low": 0.3, "high": 0.9,
                                   "why": "drives mean motivation"},
}})
#: name -> (statistic, mapping_sd covering the run-to-run noise at this size)
TOY_STATISTICS = {"afraid": ("reason_afraid / inaction", 0.06),
                  "unable": ("reason_unable / inaction", 0.06),
                  "motivation": ("mean_motivation", 0.02)}
#: Central interval levels whose coverage is checked.
LEVELS = (0.5, 0.9, 0.95)


def toy_targets() -> TargetSet:
    """The two-parameter toy's target set (values 0.5 until simulated)."""
    return validate_targets({
        "name": "coverage", "simulation": {"n_cadres": 80, "steps": 10, "burn_in": 3},
        "targets": [{"name": k, "figure": "simulated", "value": 0.5, "statistic": s,
                     "mapping_sd": sd, "looseness": "run-to-run noise", "source": SOURCE}
                    for k, (s, sd) in TOY_STATISTICS.items()],
    })


def with_values(targets: TargetSet, values: dict[str, float]) -> TargetSet:
    """The same targets with synthetic published values (clipped to [0, 1])."""
    return targets.model_copy(update={"targets": [
        t.model_copy(update={"value": float(np.clip(values[t.name], 0.0, 1.0))})
        for t in targets.targets]})


def scaled(targets: TargetSet, n_cadres: int | None, burn_in: int | None,
           held_out: Sequence[str]) -> TargetSet:
    """The fitted targets at a scaled size: fewer cadres, a shorter burn-in, same calendar."""
    fitted, _ = targets.split(tuple(held_out)) if held_out else (targets, [])
    return fitted.model_copy(update={
        "simulation": fitted.simulation.resized(n_cadres=n_cadres, burn_in=burn_in)})


def one_replicate(args: tuple[int, int, int, int, TargetSet, PriorSet, float | None]) -> dict:
    """Draw, simulate, calibrate, score one known answer."""
    index, seed, population, generations, targets, priors, min_ess = args
    rng = np.random.default_rng(np.random.SeedSequence([seed, index]))
    truth = dict(zip(priors.names, priors.sample(rng, 1)[0], strict=True))
    observed = simulate_targets(truth, targets, draw_seeds([seed, index, 1], 1)[0])
    if not all(math.isfinite(v) for v in observed.values()):
        return {"index": index, "skipped": True}
    with tempfile.TemporaryDirectory() as out:
        result = calibrate(with_values(targets, observed), priors, out,
                           Budget(population, generations, ppc_draws=1, min_ess=min_ess,
                                  max_generations=generations + 2 if min_ess else None),
                           seed=seed + index,
                           executor=SerialExecutor(), progress=False, plots=False)
    post = result.posterior
    w = post["weight"].to_numpy()
    row: dict = {"index": index, "skipped": False, "simulations": int(result.simulated),
                 "ess": effective_sample_size(w)}
    quantiles = [q for level in LEVELS for q in ((1 - level) / 2, (1 + level) / 2)]
    for name, value in truth.items():
        x = post[name].to_numpy()
        q = weighted_quantile(x, w, quantiles)
        row[name] = {"truth": float(value), "rank": float(w[x < value].sum())} | {
            f"in{round(level * 100)}": bool(q[2 * k] <= value <= q[2 * k + 1])
            for k, level in enumerate(LEVELS)}
    return row


def replicate_key(work: tuple, model: str | None = None) -> str:
    """What identifies a replicate's settings (all but its index) and model: a short digest."""
    _, seed, population, generations, targets, priors, min_ess = work
    data = json.dumps([seed, population, generations, min_ess, targets.model_dump(mode="json"),
                       priors.model_dump(mode="json"), model or model_digest()], sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def summarise(rows: list[dict], names: Sequence[str]) -> dict:
    """Coverage per parameter and level, the tolerance, and pass/fail."""
    rows = [r for r in rows if not r["skipped"]]
    n = len(rows)
    out: dict = {"replicates": n, "parameters": {},
                 "median_ess": float(np.median([r["ess"] for r in rows])) if rows else 0.0}
    for name in names:
        entry = {}
        for level in LEVELS:
            key = round(level * 100)
            cover = float(np.mean([r[name][f"in{key}"] for r in rows]))
            floor = level - 2 * math.sqrt(level * (1 - level) / n)
            entry |= {f"coverage_{key}": cover, f"floor_{key}": floor,
                      f"ok_{key}": cover >= floor}
        ranks = np.array([r[name]["rank"] for r in rows])
        entry["rank_histogram"] = np.histogram(ranks, bins=4, range=(0, 1))[0].tolist()
        out["parameters"][name] = entry
    out["ok"] = all(all(e[f"ok_{round(level * 100)}"] for level in LEVELS)
                    for e in out["parameters"].values())
    return out


def markdown(summary: dict, settings: dict) -> str:
    """The benchmark's report."""
    head = " | ".join(f"{round(level * 100)}% coverage (floor)" for level in LEVELS)
    lines = ["# Calibration coverage on known answers", "",
             f"{summary['replicates']} replicates; median effective sample size "
             f"{summary['median_ess']:.0f}; {settings}. Pass if coverage >= nominal - 2 "
             "binomial s.e. (ABC with a finite tolerance over-covers; under-coverage fails). "
             "SBC ranks: the weight of posterior particles below the truth, in quarters "
             "(uniform if calibrated; piled in the middle if conservative).", "",
             f"| parameter | {head} | SBC ranks | ok |",
             "|---|" + "---|" * len(LEVELS) + "---|---|"]
    for name, e in summary["parameters"].items():
        cells = " | ".join(f"{e[f'coverage_{round(level * 100)}']:.2f} "
                           f"({e[f'floor_{round(level * 100)}']:.2f})" for level in LEVELS)
        ok = all(e[f"ok_{round(level * 100)}"] for level in LEVELS)
        lines.append(f"| {name} | {cells} | {e['rank_histogram']} | {'yes' if ok else 'NO'} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the coverage benchmark; 0 if every parameter covers, else 1."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.calibration_coverage")
    p.add_argument("--targets", default=str(TARGETS), help="targets YAML (the shipped fit's)")
    p.add_argument("--priors", default=str(PRIORS), help="priors YAML (the shipped fit's)")
    p.add_argument("--hold-out", nargs="+", default=(), metavar="TARGET_OR_YEAR",
                   help="targets not fitted (as cadresim calibrate --hold-out)")
    p.add_argument("--toy", action="store_true",
                   help="the two-parameter toy (80 cadres x 10 years) instead")
    p.add_argument("--n-cadres", type=int, default=200, help="cadres per run (scaled)")
    p.add_argument("--burn-in", type=int, default=8, help="burn-in years (scaled)")
    p.add_argument("--replicates", type=int, default=40)
    p.add_argument("--population", type=int, default=300)
    p.add_argument("--generations", type=int, default=4)
    p.add_argument("--min-ess", type=float, default=100.0,
                   help="add up to 2 generations while a replicate's last has fewer effective "
                        "particles (0: never)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--out", default=str(RESULTS))
    p.add_argument("--work", default="results/calibration/coverage",
                   help="where finished replicates are kept (a rerun resumes)")
    args = p.parse_args(argv)
    if args.toy:
        targets, priors, stem = toy_targets(), TOY_PRIORS, "calibration_coverage_toy_latest"
    else:
        targets = scaled(load_targets(args.targets), args.n_cadres, args.burn_in, args.hold_out)
        priors, stem = load_priors(args.priors), "calibration_coverage_latest"
    min_ess = args.min_ess or None
    work = [(i, args.seed, args.population, args.generations, targets, priors, min_ess)
            for i in range(args.replicates)]
    folder = Path(args.work) / replicate_key(work[0])
    folder.mkdir(parents=True, exist_ok=True)
    done = {int(p.stem): json.loads(p.read_text()) for p in folder.glob("*.json")}
    todo = [w for w in work if w[0] not in done]
    start = time.perf_counter()

    def keep(row: dict) -> None:
        (folder / f"{row['index']}.json").write_text(json.dumps(row))
        done[row["index"]] = row

    if args.workers > 1:
        with local_pool(args.workers) as pool:  # one whole calibration per worker
            for future in as_completed([pool.submit(one_replicate, w) for w in todo]):
                keep(future.result())
    else:
        for w in todo:
            keep(one_replicate(w))
    rows = [done[i] for i in sorted(done)]
    seconds = time.perf_counter() - start
    summary = summarise(rows, priors.names)
    sim = targets.simulation
    settings = {"targets": targets.name, "fitted": targets.names, "priors": priors.name,
                "n_cadres": sim.n_cadres, "steps": sim.steps, "burn_in": sim.burn_in,
                "population": args.population, "generations": args.generations,
                "min_ess": min_ess, "seed": args.seed, "seconds_this_session": round(seconds, 1),
                "workers": args.workers}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.json").write_text(
        json.dumps({"settings": settings, "summary": summary, "rows": rows}, indent=2))
    text = markdown(summary, settings)
    (out / f"{stem}.md").write_text(text)
    print(text)
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
