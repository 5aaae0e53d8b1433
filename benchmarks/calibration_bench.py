"""Calibration against a sweep: model runs per CPU second at the same size, side by side.

``python -m benchmarks.calibration_bench`` runs, from a cold start and in turn, a real
``cadresim calibrate`` of the documented targets (400 cadres x 30 years, one run per draw) and
a real ``cadresim sweep`` of as many runs of the same size and the same regime switch (the
targets'), all on the same number of worker
processes; the calibration twice, with the report's figures and without them (``--no-figures``),
since a sweep draws no figures (``cadresim plot`` does), and reports each one's runs per CPU
second (summed over the process tree: the command, its forkserver and its workers) and per wall
second. All go through the engine's runner, so the target is a calibration fit within 1.25x of
the sweep per CPU second; what is left
between them is the calibration command's own work: importing pyABC, pyABC's proposals,
weights and SQLite history, and the report's figures (the command's own CPU is shown apart).
Results go to results/bench/calibration_<date>_<host>.json (``--record``: benchmarks/results/).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.bench import machine, output_folder, write_atomic
from benchmarks.sweep_bench import ROOT, run_tree, spec
from experiments.calibration.targets import load_targets

TARGETS = ROOT / "configs" / "targets" / "peoples_tribune_2015_2018.yaml"
PRIORS = ROOT / "configs" / "priors" / "behaviour.yaml"
#: The size both measure (the documented targets' simulation settings).
N_CADRES, STEPS = 400, 20  # 1999-2018
#: Budgets: (population, generations, predictive draws).
FULL, QUICK = (60, 4, 30), (20, 2, 10)
TARGET_RATIO = 1.25  # the performance issue's (issue 21); issue 19 asked 1.5


def calibration(folder: Path, budget: tuple[int, int, int], workers: int, seed: int,
                figures: bool = True) -> dict:
    """Time a calibration from a cold start; its simulations are counted from its manifest.

    ``figures``: draw the report's figures (``--no-figures`` otherwise, as a sweep draws none:
    figures are ``cadresim plot``'s work).
    """
    population, generations, draws = budget
    out = folder / ("calibration" if figures else "calibration_fit")
    cmd = [sys.executable, "-m", "experiments.cli", "calibrate", str(TARGETS),
           "--priors", str(PRIORS), "--out", str(out), "--population", str(population),
           "--generations", str(generations), "--ppc-draws", str(draws), "--seed", str(seed),
           "--workers", str(workers), "--quiet", *([] if figures else ["--no-figures"])]
    result = run_tree(cmd)
    manifest = json.loads((out / "manifest.json").read_text())
    runs = int(manifest["simulations"]) + draws  # one run per draw: one regime, one seed
    return {"runs": runs, "seconds": result["seconds"], "cpu_seconds": result["cpu_seconds"],
            "command_cpu_seconds": result["command_cpu_seconds"]}


def sweep(folder: Path, runs: int, workers: int) -> dict:
    """Time a sweep of ``runs`` runs of the same size from a cold start."""
    runs = max(10, round(runs / 10) * 10)  # the spec's grid has 10 points
    # The sweep's runs take the targets' regime switch too: the switched regime costs about 5%
    # more a run (measured in one process), the model's cost, not the calibration's (before 8
    # December 2026 the sweep ran without it).
    switch = {key.removeprefix("switch."): value for key, value
              in load_targets(TARGETS).simulation.switch_overrides().items()}
    path = spec("calibration_size", folder, runs=runs, n_cadres=N_CADRES, steps=STEPS,
                switch=switch)
    cmd = [sys.executable, "-m", "experiments.cli", "sweep", str(path), "--workers",
           str(workers), "--quiet", "--fresh"]
    result = run_tree(cmd)
    return {"runs": runs, "seconds": result["seconds"], "cpu_seconds": result["cpu_seconds"],
            "command_cpu_seconds": result["command_cpu_seconds"]}


def rates(record: dict) -> dict:
    """Runs per CPU second and per wall second."""
    return record | {"runs_per_cpu_second": record["runs"] / record["cpu_seconds"],
                     "runs_per_second": record["runs"] / record["seconds"]}


def measure(budget: tuple[int, int, int], workers: int, seed: int, repeats: int = 1) -> dict:
    """The calibration with and without its report's figures, then a sweep of as many runs.

    Each from a cold start. The target is judged on the fit without figures, since a sweep
    draws none; the calibration with its figures is measured beside it, once. With
    ``repeats`` > 1 the fit and the sweep alternate that many times, and the ratio is the
    median round's, the lower middle one of an even number (on a shared machine single runs of
    the same code vary by about 20%).
    """
    rounds = []
    with tempfile.TemporaryDirectory(prefix="calibration-bench-") as scratch:
        folder = Path(scratch)
        report = rates(calibration(folder, budget, workers, seed))
        print(f"  calibration with its figures: {report['runs']} runs in "
              f"{report['seconds']:.1f} s, {report['cpu_seconds']:.1f} s CPU", flush=True)
        for k in range(repeats):
            (folder / f"round{k}").mkdir()
            fit = rates(calibration(folder / f"round{k}", budget, workers, seed, figures=False))
            print(f"  calibration fit (--no-figures): {fit['runs']} runs in "
                  f"{fit['seconds']:.1f} s, {fit['cpu_seconds']:.1f} s CPU", flush=True)
            batch = rates(sweep(folder / f"round{k}", fit["runs"], workers))
            print(f"  sweep: {batch['runs']} runs in {batch['seconds']:.1f} s, "
                  f"{batch['cpu_seconds']:.1f} s CPU", flush=True)
            ratio = batch["runs_per_cpu_second"] / fit["runs_per_cpu_second"]
            rounds.append({"calibration": fit, "sweep": batch, "ratio": ratio})
    middle = sorted(rounds, key=lambda r: r["ratio"])[(len(rounds) - 1) // 2]
    fit, batch, ratio = middle["calibration"], middle["sweep"], middle["ratio"]
    with_figures = batch["runs_per_cpu_second"] / report["runs_per_cpu_second"]
    return {"n_cadres": N_CADRES, "steps": STEPS, "workers": workers, "budget": budget,
            "calibration_with_figures": report, "calibration": fit, "sweep": batch,
            "sweep_over_calibration_per_cpu": ratio,
            "sweep_over_calibration_with_figures_per_cpu": with_figures,
            "ratios": [r["ratio"] for r in rounds],
            "target": TARGET_RATIO, "met": ratio <= TARGET_RATIO}


def markdown(result: dict) -> str:
    """The two rows side by side, and the ratio against the target."""
    lines = ["| batch | runs | wall s | CPU s | of which the command's own | runs / CPU s | "
             "runs / wall s |", "|---|---:|---:|---:|---:|---:|---:|"]
    rows = (("calibration_with_figures", "calibration, with its figures"),
            ("calibration", "calibration fit (--no-figures)"), ("sweep", "sweep"))
    for key, name in rows:
        if key not in result:  # a record from before the fit was measured apart
            continue
        r = result[key]
        lines.append(f"| {name} | {r['runs']} | {r['seconds']:.1f} | {r['cpu_seconds']:.1f} | "
                     f"{r['command_cpu_seconds']:.1f} | {r['runs_per_cpu_second']:.2f} | "
                     f"{r['runs_per_second']:.2f} |")
    verdict = "met" if result["met"] else "not met"
    lines.append(f"\n{result['n_cadres']} cadres x {result['steps']} years, "
                 f"{result['workers']} workers: the sweep does "
                 f"{result['sweep_over_calibration_per_cpu']:.2f}x the calibration's runs per "
                 f"CPU second of the fit (target at most {result['target']}x: {verdict})"
                 + (f"; the median of {len(result['ratios'])} rounds: "
                    + ", ".join(f"{r:.2f}" for r in result["ratios"])
                    if len(result.get("ratios", [])) > 1 else "")
                 + (f"; {result['sweep_over_calibration_with_figures_per_cpu']:.2f}x with the "
                    "report's figures" if "calibration_with_figures" in result else "") + ".")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure, print and write the comparison; 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"population x generations x predictive draws {QUICK} "
                        f"(default {FULL}, the documented budget)")
    parser.add_argument("--budget", type=int, nargs=3, metavar=("POPULATION", "GENERATIONS",
                        "DRAWS"), help="another budget, to see how the fit's fixed costs "
                        "(importing pyABC, start-up) spread over more runs")
    parser.add_argument("--repeats", type=int, default=1,
                        help="fit and sweep alternated this many times; the median round's "
                        "ratio is reported (default 1)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--record", action="store_true", help="write into benchmarks/results/")
    args = parser.parse_args(argv)
    budget = tuple(args.budget) if args.budget else QUICK if args.quick else FULL
    if args.repeats < 1:
        parser.error(f"--repeats: got {args.repeats}; allowed: 1 or more")
    result = measure(budget, args.workers, args.seed, args.repeats)
    result |= {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
               "quick": args.quick}
    folder = output_folder(args.record)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    tag = "_".join(map(str, budget)) if args.budget else "quick" if args.quick else ""
    name = f"calibration_{stamp}_{result['machine']['host']}{'_' + tag if tag else ''}"
    write_atomic(folder / f"{name}.json", json.dumps(result, indent=2) + "\n")
    print(markdown(result))
    print(f"\nwritten: {folder / name}.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
