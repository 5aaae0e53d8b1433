"""Runs per CPU second: R lone runs against one batch of R replicates (issue 21, item 2).

``python -m benchmarks.batched_bench`` times, on the compiled path, R runs of the default model
(``--years`` years, seeds 0 .. R-1) made one after another as ``CadreModel(config, seed).run()``
and the same R runs as one ``simulation.batched.ReplicateBatch``, alternating the two, for each
size and R. Each figure is the fastest of ``--rounds`` rounds, in CPU time (``process_time``)
with wall time beside it; runs per CPU second and the ratio batch / lone are printed as a
Markdown table. ``--accounting`` keeps the inaction accounting (a sweep skips it unless an
output reads it, ``accounting.only_for``). The two give the same tables bit for bit
(tests/test_batched_replicates.py), which the benchmark checks on its first round.

``--reference TREE`` also times the same R lone runs made by the code of another tree (a
worktree of an earlier commit, in a child process with that tree's code, alternating with this
tree's batch): runs per CPU second of this tree's batches against the reference's lone runs,
the measure of the performance issue's first target. The results are not compared (the trees'
streams may differ).

``--draws`` gives each of the R runs its own draw of the shipped posterior
(``configs/posteriors/status_quo_2018.parquet``, as ``make demo``'s replicates and a
calibration's particles differ), so the batch holds several points of one size.

``--engine P R`` also times a sweep of P points x R replicates through the engine
(``experiments.engine.batch.run_batch`` in this process, its default chunks), with the
engine's batches and with every run alone (``batching.MAX_REPLICATES = 1``), and checks that
both give the same runs table.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from experiments.engine import batching
from experiments.engine.batch import run_batch
from experiments.engine.design import run_id
from experiments.engine.run import RunSettings, RunTask
from simulation import accounting, kernels
from simulation.batched import ReplicateBatch
from simulation.loading import load_config
from simulation.model import CadreModel


def timed(work: Callable[[], object]) -> tuple[float, float, object]:
    """(CPU seconds, wall seconds, result) of ``work()``."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = work()
    return time.process_time() - cpu, time.perf_counter() - wall, result


#: The posterior ``--draws`` takes its runs' parameters from (the shipped calibration).
POSTERIOR = "configs/posteriors/status_quo_2018.parquet"


def run_configs(n: int, replicates: int, years: int, draws: bool) -> list:
    """The R runs' configs: the defaults, or each at its own draw of ``POSTERIOR``."""
    settings = {"organisation.n_cadres": n, "steps": years}
    if not draws:
        return [load_config("default", settings)] * replicates
    from experiments.engine.posterior import load_posterior

    posterior = load_posterior(POSTERIOR)
    return [load_config("default", {**settings, **posterior.draw(posterior.particle(1, r))})
            for r in range(replicates)]


def measure(n: int, replicates: int, years: int, rounds: int, draws: bool = False
            ) -> dict[str, float]:
    """The fastest of ``rounds`` rounds of R lone runs and of one batch of R (CPU and wall)."""
    configs = run_configs(n, replicates, years, draws)
    seeds = list(range(replicates))
    warm = configs[0].model_copy(update={"steps": 2})  # kernels loaded before any timing
    CadreModel(warm, seed=0).run()
    ReplicateBatch(warm, seeds[:2] or [0]).run()
    best = {"lone": (float("inf"), 0.0), "batch": (float("inf"), 0.0)}
    for k in range(rounds):
        lone = timed(lambda: [CadreModel(c, seed=s).run()
                              for c, s in zip(configs, seeds, strict=True)])
        batch = timed(lambda: ReplicateBatch(configs, seeds).run())
        if k == 0:
            for alone, together in zip(lone[2], batch[2], strict=True):
                pd.testing.assert_frame_equal(alone, together, check_exact=True)
        for name, (cpu, wall, _) in (("lone", lone), ("batch", batch)):
            if cpu < best[name][0]:
                best[name] = (cpu, wall)
    return {
        "lone_cpu": best["lone"][0], "lone_wall": best["lone"][1],
        "batch_cpu": best["batch"][0], "batch_wall": best["batch"][1],
    }


def measure_engine(n: int, points: int, replicates: int, years: int, rounds: int
                   ) -> dict[str, float]:
    """A sweep of ``points`` x ``replicates`` runs through the engine, batched and alone."""
    base = load_config("default", {"organisation.n_cadres": n, "steps": years})
    tasks = []
    for point in range(points):
        config = base.model_copy(update={"regime": base.regime.model_copy(update={
            "fault_tolerance": base.regime.fault_tolerance.model_copy(
                update={"tolerance": 0.1 * point})})})
        tasks += [RunTask(run_id(point, r), point, r, 1000 + r, config.name, {}, config)
                  for r in range(replicates)]
    settings = RunSettings(years, 10, ("real_output", "bold", "promotions"))
    most = batching.MAX_REPLICATES
    best = {"lone": float("inf"), "batch": float("inf")}
    for k in range(rounds):
        batching.MAX_REPLICATES = 1
        try:
            lone = timed(lambda: run_batch(tasks, settings).runs_table())
        finally:
            batching.MAX_REPLICATES = most
        batch = timed(lambda: run_batch(tasks, settings).runs_table())
        if k == 0:
            pd.testing.assert_frame_equal(lone[2].drop(columns="seconds"),
                                          batch[2].drop(columns="seconds"), check_exact=True)
        best["lone"] = min(best["lone"], lone[0])
        best["batch"] = min(best["batch"], batch[0])
    return best


_LONE_CHILD = """
import contextlib, json, sys, time
from simulation import CadreModel, accounting, kernels, load_config
n, replicates, years, rounds, keep = (int(a) for a in sys.argv[1:6])
kernels.use("numba")
config = load_config("default", {"organisation.n_cadres": n, "steps": years})
skip = contextlib.nullcontext() if keep else accounting.only_for(["real_output"])
with skip:
    CadreModel(config, seed=0).run(2)
    best = float("inf")
    for _ in range(rounds):
        cpu = time.process_time()
        for seed in range(replicates):
            CadreModel(config, seed=seed).run()
        best = min(best, time.process_time() - cpu)
print(json.dumps({"lone_cpu": best}))
"""


def reference_lone(tree: Path, n: int, replicates: int, years: int, rounds: int,
                   keep_accounting: bool) -> float:
    """CPU seconds of the fastest round of R lone runs made by ``tree``'s code (a child)."""
    done = subprocess.run(
        [sys.executable, "-c", _LONE_CHILD, str(n), str(replicates), str(years), str(rounds),
         str(int(keep_accounting))],
        cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True, text=True,
        check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])["lone_cpu"]


def main(argv: list[str] | None = None) -> None:
    """Print the table of runs per CPU second, lone and batched, and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[400, 1000])
    parser.add_argument("--replicates", type=int, nargs="+", default=[2, 4, 8, 16])
    parser.add_argument("--years", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--engine", type=int, nargs=2, metavar=("POINTS", "REPLICATES"),
                        help="also time a sweep of POINTS x REPLICATES runs through the engine")
    parser.add_argument("--reference", type=Path, metavar="TREE",
                        help="also time R lone runs made by TREE's code (an earlier commit)")
    parser.add_argument("--accounting", action="store_true",
                        help="keep the inaction accounting (default: skipped, as sweeps do)")
    parser.add_argument("--draws", action="store_true",
                        help="each run at its own draw of the shipped posterior")
    args = parser.parse_args(argv)
    kernels.use("numba")
    skip = contextlib.nullcontext() if args.accounting else accounting.only_for(["real_output"])
    with skip:
        ReplicateBatch(load_config("default", {"organisation.n_cadres": 50}), [0, 1]).run(2)
        print(f"load average at start: {os.getloadavg()[0]:.1f}; accounting: "
              f"{'kept' if args.accounting else 'skipped'}; {args.years} years a run; "
              f"{'each run its own posterior draw' if args.draws else 'the defaults'}\n")
        print("| cadres | R | lone: runs per CPU s (CPU s, wall s) "
              "| batch: runs per CPU s (CPU s, wall s) | batch / lone |")
        print("|---:|---:|---:|---:|---:|")
        for n in args.sizes:
            for r in args.replicates:
                m = measure(n, r, args.years, args.rounds, args.draws)
                lone, batch = r / m["lone_cpu"], r / m["batch_cpu"]
                print(f"| {n:,} | {r} | {lone:.1f} ({m['lone_cpu']:.3f}, {m['lone_wall']:.3f}) "
                      f"| {batch:.1f} ({m['batch_cpu']:.3f}, {m['batch_wall']:.3f}) "
                      f"| {batch / lone:.2f} |", flush=True)
        if args.reference:
            print(f"\nThis tree's batches against lone runs made by {args.reference} "
                  "(a child process per size; runs per CPU second)\n")
            print("| cadres | R | reference, lone | this tree, batch | batch / reference |")
            print("|---:|---:|---:|---:|---:|")
            for n in args.sizes:
                for r in args.replicates:
                    ref = reference_lone(args.reference, n, r, args.years, args.rounds,
                                         args.accounting)
                    batch = measure(n, r, args.years, args.rounds)["batch_cpu"]
                    print(f"| {n:,} | {r} | {r / ref:.1f} | {r / batch:.1f} | "
                          f"{ref / batch:.2f} |", flush=True)
        if args.engine:
            points, replicates = args.engine
            print(f"\nA sweep of {points} points x {replicates} replicates through the engine "
                  "(this process, default chunks): runs per CPU second\n")
            print("| cadres | runs alone | engine's batches | batch / lone |")
            print("|---:|---:|---:|---:|")
            for n in args.sizes:
                m = measure_engine(n, points, replicates, args.years, args.rounds)
                runs = points * replicates
                print(f"| {n:,} | {runs / m['lone']:.1f} | {runs / m['batch']:.1f} "
                      f"| {m['lone'] / m['batch']:.2f} |", flush=True)
        print(f"\nload average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
