"""Parameter recovery at known values, at the shipped fit's size and budget.

Synthetic targets are simulated at known parameter values (default: the built-in defaults of
every fitted parameter) with the shipped targets' statistics, years, switch and size; the fit
then runs on them with the shipped budget, and each parameter is scored: its posterior median
and 95% interval against the known value, and the interval's width against the prior's. The
check passes when every known value lies in its 95% interval (one replicate: a spot check of
the coverage that ``calibration_coverage`` measures over many).

    python -m benchmarks.calibration_recovery --population 1000 --generations 8 --workers 2
    python -m benchmarks.calibration_recovery --truth population.motivation_mean=0.7 ...

writes ``benchmarks/results/calibration_recovery_latest.md`` and a JSON beside it; exit code 1
if a known value falls outside its interval. ``make calibrate-recovery`` runs it at the shipped
budget; ``tests/test_calibration_fit.py`` runs the same check at a small budget.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.calibration_coverage import PRIORS, RESULTS, TARGETS, scaled, with_values
from experiments.calibration.fit import Budget, calibrate
from experiments.calibration.priors import PriorSet, load_priors
from experiments.calibration.report import effective_sample_size, weighted_quantile
from experiments.calibration.simulate import simulate_targets
from experiments.calibration.targets import TargetSet, load_targets
from simulation.config import ModelConfig, config_value


def defaults_of(priors: PriorSet) -> dict[str, float]:
    """The built-in default of every fitted parameter."""
    return {name: float(config_value(ModelConfig(), name)) for name in priors.names}


def recovery(truth: Mapping[str, float], targets: TargetSet, priors: PriorSet, out: Path,
             budget: Budget, seed: int, workers: int = 2,
             progress: bool = False) -> tuple[pd.DataFrame, dict]:
    """Simulate targets at ``truth``, fit them, score each parameter; the table and the fit."""
    observed = simulate_targets(dict(truth), targets, seed=seed + 7919)
    result = calibrate(with_values(targets, observed), priors, out, budget, seed=seed,
                       workers=workers, progress=progress, plots=False)
    post = result.posterior
    w = post["weight"].to_numpy(float)
    rows = []
    for name, prior in priors.parameters.items():
        x = post[name].to_numpy(float)
        lo, med, hi = weighted_quantile(x, w, [0.025, 0.5, 0.975])
        plo, phi = prior.frozen().ppf([0.025, 0.975])
        scale = np.log if prior.log_scale else (lambda v: v)
        width = float((scale(hi) - scale(lo)) / (scale(phi) - scale(plo)))
        error = float((scale(med) - scale(truth[name])) / (scale(phi) - scale(plo)))
        rows.append({"parameter": name, "truth": float(truth[name]), "median": float(med),
                     "low": float(lo), "high": float(hi), "covered": bool(lo <= truth[name] <= hi),
                     "width_ratio": width, "error_in_prior_widths": error})
    fit = {"observed": observed, "ess": effective_sample_size(w),
           "simulations": int(result.manifest["simulations"])}
    return pd.DataFrame(rows), fit


def markdown(table: pd.DataFrame, fit: dict, settings: dict) -> str:
    """The benchmark's report."""
    lines = ["# Parameter recovery at known values", "",
             f"{settings}; {fit['simulations']} simulations; effective sample size "
             f"{fit['ess']:.0f}. Pass if every known value lies in its 95% posterior interval. "
             "Error: (median - truth) in prior 95% widths (log scale for log-uniform priors).",
             "", "| parameter | truth | median | 95% interval | width ratio | error | covered |",
             "|---|---|---|---|---|---|---|"]
    for r in table.itertuples():
        lines.append(f"| {r.parameter} | {r.truth:.3g} | {r.median:.3g} | {r.low:.3g}-"
                     f"{r.high:.3g} | {r.width_ratio:.2f} | {r.error_in_prior_widths:+.2f} | "
                     f"{'yes' if r.covered else 'NO'} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the recovery check; 0 if every known value is covered, else 1."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.calibration_recovery")
    p.add_argument("--targets", default=str(TARGETS))
    p.add_argument("--priors", default=str(PRIORS))
    p.add_argument("--truth", nargs="*", default=(), metavar="PATH=VALUE",
                   help="known values (default: the built-in defaults of the fitted parameters)")
    p.add_argument("--n-cadres", type=int, default=None, help="cadres per run (default: shipped)")
    p.add_argument("--burn-in", type=int, default=None, help="burn-in (default: shipped)")
    p.add_argument("--population", type=int, default=1000)
    p.add_argument("--generations", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--out", default=str(RESULTS))
    p.add_argument("--work", default="results/calibration/recovery",
                   help="the fit's folder (resumable)")
    args = p.parse_args(argv)
    targets = scaled(load_targets(args.targets), args.n_cadres, args.burn_in, ())
    priors = load_priors(args.priors)
    truth = defaults_of(priors) | {k: float(v) for k, v in (a.split("=", 1) for a in args.truth)}
    start = time.perf_counter()
    table, fit = recovery(truth, targets, priors, Path(args.work),
                          Budget(args.population, args.generations, ppc_draws=1), args.seed,
                          args.workers, progress=True)
    settings = {"targets": targets.name, "n_cadres": targets.simulation.n_cadres,
                "population": args.population, "generations": args.generations,
                "seed": args.seed, "seconds": round(time.perf_counter() - start, 1)}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "calibration_recovery_latest.json").write_text(json.dumps(
        {"settings": settings, "fit": fit, "parameters": table.to_dict("records")}, indent=2))
    text = markdown(table, fit, settings)
    (out / "calibration_recovery_latest.md").write_text(text)
    print(text)
    return 0 if table["covered"].all() else 1


if __name__ == "__main__":
    sys.exit(main())
