"""Does the fit's population size change what it fits? Target statistics at 400 cadres and more.

The shipped calibration simulates each particle with ``simulation.n_cadres`` cadres (400). The
fit is sound at that size only if the *expected* target statistics do not depend on it: the
run-to-run noise shrinks with more cadres, but the mean a particle is judged by must not move.
For a few parameter points (the built-in defaults, the prior medians and a fold-over pair of
prior quantiles) this benchmark runs many seeds at each population size, with the shipped
targets' calendar, switch, years and statistics, and compares each size with the largest:

- per point and target, Welch's t-test of the difference in means, Bonferroni over every
  comparison;
- pooled over all comparisons, the sum of squared z, against its null distribution with the
  correlation between the targets (and between comparisons sharing the reference) included
  (Monte Carlo), and against chi-square with one degree of freedom per comparison (naive);
- in tolerance units (each target's ``tolerance`` from the targets file): the difference, the
  simultaneous upper confidence bound on its size, and the smallest difference the design
  detects (Bonferroni level, 80% power).

A size is called invariant when, at every point and for every target, the simultaneous 95%
bound on the size effect stays below ``--threshold`` tolerances (0.25: a quarter of the scale
on which the fit weighs a target's error); the smallest size that passes, with every larger one,
is reported.

    nice -n 10 python -m benchmarks.calibration_population

writes ``benchmarks/results/calibration_population_latest.{json,md}``. Each block of seeds is
kept as it finishes (``--work``), so a killed run resumes where it stopped.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import linalg, stats

from experiments.calibration.priors import PriorSet, load_priors
from experiments.calibration.simulate import Draw, draw_seeds, simulate_draws
from experiments.calibration.targets import TargetSet, load_targets
from experiments.engine.executors import local_executor, parallelism
from simulation.config import ModelConfig, config_value

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"
TARGETS = ROOT / "configs" / "targets" / "peoples_tribune_2015_2018.yaml"
PRIORS = ROOT / "configs" / "priors" / "behaviour.yaml"
#: Population size -> seeds per parameter point. Smaller runs are noisier and cheaper, so they
#: get more seeds (about equal standard errors of each size's mean at similar cost).
SEEDS = {400: 1200, 1000: 500, 4000: 200, 10000: 120}
#: A size effect counts as small below this many tolerances (simultaneous 95% bound).
THRESHOLD = 0.25
#: Family-wise error rate of the tests and of the simultaneous bounds.
ALPHA = 0.05
#: Power at which the smallest detectable difference is stated.
POWER = 0.8
#: Seeds per stored block of a (point, size): what a kill can lose.
BLOCK = 100


def parameter_points(priors: PriorSet) -> dict[str, dict[str, float]]:
    """The points compared: defaults, prior medians, and a fold-over pair of prior quantiles.

    The pair puts the parameters alternately at their prior's 20% and 80% quantiles (in file
    order), and the other way round, so that each parameter is low in one and high in the other
    without all of them moving together.
    """
    names = priors.names
    frozen = [priors.parameters[name].frozen() for name in names]

    def at(quantiles: Sequence[float]) -> dict[str, float]:
        return {n: float(f.ppf(q)) for n, f, q in zip(names, frozen, quantiles, strict=True)}

    alternate = [0.2 if k % 2 == 0 else 0.8 for k in range(len(names))]
    return {
        "defaults": {n: float(config_value(ModelConfig(), n)) for n in names},
        "prior_median": at([0.5] * len(names)),
        "quantiles_20_80": at(alternate),
        "quantiles_80_20": at([1.0 - q for q in alternate]),
    }


def at_size(targets: TargetSet, n_cadres: int) -> TargetSet:
    """The same targets (calendar, switch, years, statistics) with ``n_cadres`` per run."""
    return targets.model_copy(update={"simulation": targets.simulation.resized(n_cadres)})


def sample_statistics(targets: TargetSet, params: Mapping[str, float], n_cadres: int,
                      seeds: Sequence[int], executor: Executor | None = None) -> pd.DataFrame:
    """The targets' statistics of one run per seed at ``params`` and ``n_cadres``; a row each."""
    draws = [Draw(dict(params), int(seed)) for seed in seeds]
    rows = simulate_draws(draws, at_size(targets, n_cadres), executor)
    return pd.DataFrame(rows, columns=targets.names)


def critical_z(comparisons: int, alpha: float = ALPHA) -> float:
    """Two-sided normal critical value at ``alpha`` Bonferroni-split over ``comparisons``."""
    return float(stats.norm.isf(alpha / (2 * comparisons)))


def compare(small: pd.DataFrame, reference: pd.DataFrame, tolerances: Mapping[str, float],
            comparisons: int) -> pd.DataFrame:
    """Per target: the difference of means (small - reference), Welch's test, tolerance units.

    Args:
        small: one row per run at the size compared, one column per target (NaN left out).
        reference: the same at the reference size.
        tolerances: target -> its tolerance (the scale the fit weighs its error on).
        comparisons: how many comparisons the Bonferroni correction and the simultaneous bounds
            are split over.

    Returns:
        One row per target: means, standard deviations, runs, the difference and its standard
        error, Welch's t, degrees of freedom and p (raw and Bonferroni), and in tolerance units
        the difference, its simultaneous upper bound and the smallest detectable difference.
    """
    z = critical_z(comparisons)
    power_z = float(stats.norm.ppf(POWER))
    rows = []
    for name, tol in tolerances.items():
        a = small[name].dropna().to_numpy(float)
        b = reference[name].dropna().to_numpy(float)
        va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
        se = math.sqrt(va + vb)
        diff = float(a.mean() - b.mean())
        if se > 0:
            test = stats.ttest_ind(a, b, equal_var=False)
            t, df, p = float(test.statistic), float(test.df), float(test.pvalue)
        else:  # the same value in every run of both sizes (e.g. a share that is always 0)
            t, df, p = (0.0, math.nan, 1.0) if diff == 0 else (math.copysign(math.inf, diff),
                                                               math.nan, 0.0)
        rows.append({
            "target": name, "mean_small": float(a.mean()), "mean_reference": float(b.mean()),
            "sd_small": float(a.std(ddof=1)), "sd_reference": float(b.std(ddof=1)),
            "runs_small": len(a), "runs_reference": len(b), "difference": diff, "se": se,
            "t": t, "df": df, "p": p, "p_bonferroni": min(1.0, p * comparisons),
            "tolerance": float(tol), "difference_tol": diff / tol, "se_tol": se / tol,
            "bound_tol": (abs(diff) + z * se) / tol,
            "detectable_tol": (z + power_z) * se / tol,
        })
    return pd.DataFrame(rows)


def difference_covariance(samples: Mapping[int, pd.DataFrame], reference: int,
                          names: Sequence[str]) -> np.ndarray:
    """Covariance of one point's differences (each size's means - the reference's), stacked.

    The targets of one run are correlated, and every difference shares the reference's mean.
    """
    def mean_cov(frame: pd.DataFrame) -> np.ndarray:
        return frame[list(names)].cov().to_numpy() / frame[list(names)].notna().sum().min()

    sizes = [n for n in samples if n != reference]
    ref = mean_cov(samples[reference])
    k = len(names)
    cov = np.tile(ref, (len(sizes), len(sizes)))
    for i, n in enumerate(sizes):
        cov[i * k:(i + 1) * k, i * k:(i + 1) * k] += mean_cov(samples[n])
    return cov


def pooled_chi_square(z: np.ndarray, correlation: np.ndarray, seed: int = 0,
                      draws: int = 100_000) -> dict[str, float]:
    """Sum of squared z over all comparisons, and its p-value naive and with correlations.

    Naive: chi-square with one degree of freedom per comparison (independent z). With the
    correlations: the sum's null distribution is simulated from N(0, correlation).
    """
    q = float(np.sum(z**2))
    rng = np.random.default_rng(seed)
    factor = np.linalg.cholesky(correlation + 1e-12 * np.eye(len(z)))
    null = np.sum((rng.standard_normal((draws, len(z))) @ factor.T) ** 2, axis=1)
    return {"sum_z2": q, "comparisons": len(z), "p_naive": float(stats.chi2.sf(q, len(z))),
            "p": float((1 + np.sum(null >= q)) / (draws + 1))}


def settings_key(targets: TargetSet, params: Mapping[str, float], n_cadres: int, seed: int
                 ) -> str:
    """What identifies a block's runs apart from its seeds: a short digest."""
    data = json.dumps([targets.model_dump(mode="json"), dict(params), n_cadres, seed],
                      sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def stored_sample(work: Path, targets: TargetSet, point: int, params: Mapping[str, float],
                  n_cadres: int, runs: int, seed: int, executor: Executor | None,
                  cpu_seconds: dict[tuple[int, int], float], log: bool = True) -> pd.DataFrame:
    """``runs`` seeds of one point and size, simulated block by block and kept in ``work``.

    Each block keeps the CPU seconds its runs took (when they ran in this process);
    ``cpu_seconds`` gets the total per (point, size), stored blocks included.
    """
    seeds = draw_seeds([seed, point, n_cadres], runs)
    key = settings_key(targets, params, n_cadres, seed)
    frames = []
    for start in range(0, runs, BLOCK):
        path = work / f"{key}-{start}-{min(start + BLOCK, runs)}.json"
        if not path.exists():
            cpu = time.process_time()
            frame = sample_statistics(targets, params, n_cadres, seeds[start:start + BLOCK],
                                      executor)
            serial = parallelism(executor) == 1 if executor is not None else True
            path.write_text(json.dumps({
                "cpu_seconds": time.process_time() - cpu if serial else None,
                "runs": frame.to_dict("records")}))
        block = json.loads(path.read_text())
        cpu_seconds[(point, n_cadres)] = (cpu_seconds.get((point, n_cadres), 0.0)
                                          + (block["cpu_seconds"] or math.nan))
        frames.append(pd.DataFrame(block["runs"], columns=targets.names))
        if log:
            print(f"point {point} n={n_cadres}: runs {start}-{start + len(block['runs'])}",
                  flush=True)
    return pd.concat(frames, ignore_index=True)


def measure(targets: TargetSet, points: Mapping[str, Mapping[str, float]],
            seeds: Mapping[int, int], work: Path, seed: int = 0, workers: int = 1,
            threshold: float = THRESHOLD) -> dict:
    """Every point at every size, compared with the largest size; the report's data."""
    work.mkdir(parents=True, exist_ok=True)
    sizes = sorted(seeds)
    reference = sizes[-1]
    tolerances = targets.tolerances()
    comparisons = len(points) * (len(sizes) - 1) * len(tolerances)
    start = time.perf_counter()
    tables, zs, blocks = [], [], []
    cpu_seconds: dict[tuple[int, int], float] = {}
    with local_executor(workers) as executor:
        for index, (label, params) in enumerate(points.items()):
            samples = {n: stored_sample(work, targets, index, params, n, seeds[n], seed,
                                        executor, cpu_seconds) for n in sizes}
            for n in sizes[:-1]:
                table = compare(samples[n], samples[reference], tolerances, comparisons)
                tables.append(table.assign(point=label, size=n, reference=reference))
                zs.append(table["t"].to_numpy())
            blocks.append(correlation_of(difference_covariance(samples, reference,
                                                               targets.names)))
    comparison = pd.concat(tables, ignore_index=True)
    correlation = linalg.block_diag(*blocks)  # the points' runs are independent
    verdicts = size_verdicts(comparison, threshold)
    z = np.concatenate(zs)  # in the order of ``comparison``'s rows, as ``correlation``
    for n in sizes[:-1]:
        mine = (comparison["size"] == n).to_numpy()
        verdicts[str(n)]["pooled"] = pooled_chi_square(
            z[mine], correlation[np.ix_(mine, mine)], seed)
    return {
        "settings": {
            "targets": targets.name, "sizes": sizes, "reference": reference,
            "seeds_per_point": {str(n): seeds[n] for n in sizes}, "seed": seed,
            "threshold_tol": threshold, "alpha": ALPHA, "power": POWER,
            "comparisons": comparisons, "critical_z": critical_z(comparisons),
            "steps": targets.simulation.steps, "burn_in": targets.simulation.burn_in,
            "wall_seconds": round(time.perf_counter() - start, 1),
            # CPU of the runs, stored blocks included (NaN if any block ran on a pool)
            "cpu_seconds": round(sum(cpu_seconds.values()), 1),
            "cpu_seconds_per_run": {
                str(n): sum(cpu_seconds[(i, n)] for i in range(len(points)))
                / (seeds[n] * len(points)) for n in sizes},
        },
        "points": {k: dict(v) for k, v in points.items()},
        "tolerances": tolerances,
        "pooled": pooled_chi_square(z, correlation, seed),
        "sizes": verdicts,
        "smallest_invariant": smallest_invariant(verdicts, reference),
        "comparisons": comparison.to_dict("records"),
    }


def correlation_of(cov: np.ndarray) -> np.ndarray:
    """The correlation matrix of a covariance; a constant difference is uncorrelated."""
    sd = np.sqrt(np.diag(cov))
    constant = sd == 0
    sd[constant] = 1.0
    out = cov / np.outer(sd, sd)
    out[constant, :] = out[:, constant] = 0.0
    out[constant, constant] = 1.0
    return out


def size_verdicts(comparison: pd.DataFrame, threshold: float) -> dict[str, dict]:
    """Per size: the largest difference, bound and detectable difference (tolerance units)."""
    out = {}
    for n, rows in comparison.groupby("size"):
        worst = rows.loc[rows["difference_tol"].abs().idxmax()]
        bound = rows.loc[rows["bound_tol"].idxmax()]
        out[str(n)] = {
            "largest_difference_tol": float(worst["difference_tol"]),
            "largest_difference_at": f"{worst['point']} / {worst['target']}",
            "largest_bound_tol": float(bound["bound_tol"]),
            "largest_bound_at": f"{bound['point']} / {bound['target']}",
            "largest_detectable_tol": float(rows["detectable_tol"].max()),
            "significant": int((rows["p_bonferroni"] < ALPHA).sum()),
            "invariant": bool(rows["bound_tol"].max() < threshold),
        }
    return out


def smallest_invariant(verdicts: Mapping[str, dict], reference: int) -> int:
    """The smallest size that passes along with every larger one (else the reference)."""
    smallest = reference
    for n in sorted((int(k) for k in verdicts), reverse=True):
        if not verdicts[str(n)]["invariant"]:
            break
        smallest = n
    return smallest


def markdown(result: dict) -> str:
    """The benchmark's report."""
    s = result["settings"]
    seeds = ", ".join(f"{n}: {r}" for n, r in s["seeds_per_point"].items())
    lines = [
        "# Population size of the calibration: target statistics at each size", "",
        f"Targets `{s['targets']}` ({s['steps']} years, burn-in {s['burn_in']}), one run per "
        f"seed; seeds per point and size: {seeds} (base seed {s['seed']}). Each size is "
        f"compared with {s['reference']} cadres: Welch's t-test per point and target, "
        f"Bonferroni over {s['comparisons']} comparisons (|z| > {s['critical_z']:.2f}). In "
        "tolerance units (the targets file's `tolerance`): the difference of means, the "
        f"simultaneous {1 - s['alpha']:.0%} bound on its size (|d| + z se), and the smallest "
        f"difference detected with {s['power']:.0%} power. Invariant: every bound below "
        f"{s['threshold_tol']} tolerances. CPU of the runs {s['cpu_seconds']} s (per run: "
        + ", ".join(f"{n}: {c:.3f} s" for n, c in s["cpu_seconds_per_run"].items())
        + f"); wall of this invocation {s['wall_seconds']} s.",
        "", "## Verdict per size", "",
        "| size | largest difference (tol) | where | largest bound (tol) | largest detectable "
        "(tol) | significant | invariant |", "|---|---|---|---|---|---|---|"]
    for n, v in result["sizes"].items():
        lines.append(
            f"| {n} | {v['largest_difference_tol']:+.3f} | {v['largest_difference_at']} | "
            f"{v['largest_bound_tol']:.3f} | {v['largest_detectable_tol']:.3f} | "
            f"{v['significant']} | {'yes' if v['invariant'] else 'NO'} |")
    p = result["pooled"]
    lines += ["", "Pooled per size (sum of z^2 over its comparisons; p with the correlations, "
              "naive p): " + "; ".join(
                  f"{n}: {v['pooled']['sum_z2']:.1f} over {v['pooled']['comparisons']}, "
                  f"p = {v['pooled']['p']:.3g} ({v['pooled']['p_naive']:.3g})"
                  for n, v in result["sizes"].items()) + "."]
    lines += ["", f"Pooled over all {p['comparisons']} comparisons: sum of z^2 = "
              f"{p['sum_z2']:.1f}; p = {p['p']:.3g} with the correlations between targets and "
              f"shared references (Monte Carlo), p = {p['p_naive']:.3g} as chi-square with "
              f"{p['comparisons']} degrees of freedom.", "",
              f"**Smallest invariant size: {result['smallest_invariant']} cadres**"
              + (" (the reference: no smaller size passed)."
                 if result["smallest_invariant"] == s["reference"] else "."), "",
              "## Points", "", "| parameter | " + " | ".join(result["points"]) + " |",
              "|---|" + "---|" * len(result["points"])]
    names = list(next(iter(result["points"].values())))
    for name in names:
        lines.append(f"| `{name}` | " + " | ".join(
            f"{pt[name]:.3g}" for pt in result["points"].values()) + " |")
    table = pd.DataFrame(result["comparisons"])
    for label, rows in table.groupby("point", sort=False):
        sizes = sorted(rows["size"].unique())
        lines += ["", f"## {label}", "",
                  "Difference from the reference in tolerances (bound; detectable); means at "
                  "the reference and at the smallest size.", "",
                  "| target | tolerance | " + " | ".join(f"{n}" for n in sizes)
                  + f" | mean {sizes[0]} | mean {s['reference']} |",
                  "|---|---|" + "---|" * len(sizes) + "---|---|"]
        for target, group in rows.groupby("target", sort=False):
            cells = [f"{r.difference_tol:+.3f} ({r.bound_tol:.2f}; {r.detectable_tol:.2f})"
                     + (" *" if r.p_bonferroni < s["alpha"] else "")
                     for r in group.sort_values("size").itertuples()]
            first = group.sort_values("size").iloc[0]
            lines.append(f"| {target} | {first['tolerance']:.3f} | " + " | ".join(cells)
                         + f" | {first['mean_small']:.4f} | {first['mean_reference']:.4f} |")
    lines += ["", "`*`: significant after Bonferroni."]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison and write the report; 0 if the fit's own size is invariant."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.calibration_population")
    p.add_argument("--targets", default=str(TARGETS))
    p.add_argument("--priors", default=str(PRIORS))
    p.add_argument("--seeds", nargs="*", default=None, metavar="SIZE=RUNS",
                   help="population sizes and seeds per point (default: "
                   + " ".join(f"{n}={r}" for n, r in SEEDS.items()) + ")")
    p.add_argument("--threshold", type=float, default=THRESHOLD)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=1,
                   help="worker processes (1: in this process, and the CPU time is measured)")
    p.add_argument("--out", default=str(RESULTS))
    p.add_argument("--work", default="results/calibration/population",
                   help="where each block of runs is kept (resumable)")
    args = p.parse_args(argv)
    targets = load_targets(args.targets)
    seeds = ({int(k): int(v) for k, v in (a.split("=", 1) for a in args.seeds)}
             if args.seeds else dict(SEEDS))
    result = measure(targets, parameter_points(load_priors(args.priors)), seeds,
                     Path(args.work), args.seed, args.workers, args.threshold)
    result["settings"]["fit_size"] = targets.simulation.n_cadres
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "calibration_population_latest.json").write_text(json.dumps(result, indent=2))
    text = markdown(result)
    (out / "calibration_population_latest.md").write_text(text)
    print(text)
    fit = str(targets.simulation.n_cadres)
    return 0 if result["sizes"].get(fit, {"invariant": True})["invariant"] else 1


if __name__ == "__main__":
    sys.exit(main())
