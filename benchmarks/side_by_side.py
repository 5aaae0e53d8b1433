"""CPU time per step of this tree beside a reference tree (a worktree of an earlier commit).

``python -m benchmarks.side_by_side /tmp/ref --sizes 1000 10000`` runs, in rounds, one child
process per tree and backend (the reference's code imported from its own folder), swapping
which goes first each round, so that both see the same load. Each child builds a model, steps
it twice to warm up, then times whole steps (CPU and wall; the fastest of ten blocks, as other
processes on a shared machine only add time), the decide phase alone (one block) and whole runs
of 40 years from a new model (the fastest of three); this tree's child also times steps with
the inaction accounting skipped. Medians over rounds are
printed as a Markdown table, CPU milliseconds per step with wall milliseconds beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
#: Agent-steps per timed block (ten blocks per timing): enough for a stable CPU reading.
AGENT_STEPS = 50_000

_CHILD = """
import json, sys, time
from simulation import CadreModel, kernels, load_config
from simulation.timing import PhaseClock
n, backend, steps, skip = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
out = {}
with kernels.using(backend):
    model = CadreModel(load_config(None, {"organisation.n_cadres": n}), seed=1)
    model.step(); model.step()
    def timed(model):
        # The fastest of ten blocks: other processes on a shared machine only ever add time.
        best = (float("inf"), float("inf"))
        for _ in range(10):
            c, w = time.process_time(), time.perf_counter()
            for _ in range(steps):
                model.step()
            best = min(best, ((time.process_time() - c) / steps, (time.perf_counter() - w) / steps))
        return best
    out["step"] = timed(model)
    model.phase_clock = clock = PhaseClock(time.process_time)
    for _ in range(steps):
        model.step()
    model.phase_clock = None
    out["decide"] = (clock.totals["decide"] / steps, None)
    # A whole run as a sweep makes it: a new model (its population) and 40 years, best of 3.
    best = (float("inf"), float("inf"))
    for seed in (2, 3, 4):
        c, w = time.process_time(), time.perf_counter()
        CadreModel(load_config(None, {"organisation.n_cadres": n}), seed=seed).run(40)
        best = min(best, (time.process_time() - c, time.perf_counter() - w))
    out["whole run of 40 years (ms a run)"] = best
    if skip:
        model.accounts_inaction = False
        out["step, accounting skipped"] = timed(model)
print(json.dumps(out))
"""


def child(tree: Path, n: int, backend: str, skip: bool) -> dict:
    """One child's medians: {what: (cpu s, wall s)} per step."""
    steps = max(3, AGENT_STEPS // n)
    env = {**os.environ, "PYTHONPATH": str(tree)}
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(n), backend, str(steps),
                           "1" if skip else "0"], capture_output=True, text=True, check=True,
                          cwd=tree, env=env)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(reference: Path, sizes: list[int], backends: list[str], rounds: int) -> dict:
    """{(n, backend): {"reference": [samples], "this": [samples]}}."""
    trees = {"reference": reference, "this": HERE}
    samples: dict = {}
    for n in sizes:
        for backend in backends:
            got: dict = {"reference": [], "this": []}
            for r in range(rounds):
                for label in (("reference", "this") if r % 2 == 0 else ("this", "reference")):
                    got[label].append(child(trees[label], n, backend, label == "this"))
            samples[(n, backend)] = got
            print(f"measured {n:,} cadres, {backend}", file=sys.stderr, flush=True)
    return samples


def median(runs: list[dict], key: str, which: int) -> float:
    """Median over rounds of one timing (0: CPU, 1: wall), in ms."""
    return statistics.median(r[key][which] for r in runs) * 1e3


def markdown(samples: dict) -> str:
    """CPU ms per step (wall ms beside), reference and this tree, and their ratio."""
    lines = ["| cadres | backend | timing | reference CPU (wall) | this CPU (wall) "
             "| reference / this (CPU) |", "|---:|---|---|---:|---:|---:|"]
    for (n, backend), got in samples.items():
        ref, new = got["reference"], got["this"]
        for key in new[0]:
            base = "step" if key.startswith("step,") else key
            a_cpu, b_cpu = median(ref, base, 0), median(new, key, 0)
            walls = [median(runs, k, 1) if runs[0][k][1] is not None else None
                     for runs, k in ((ref, base), (new, key))]
            a, b = (f"{cpu:.3f}" + (f" ({wall:.3f})" if wall is not None else "")
                    for cpu, wall in ((a_cpu, walls[0]), (b_cpu, walls[1])))
            lines.append(f"| {n:,} | {backend} | {key} | {a} | {b} | {a_cpu / b_cpu:.2f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference", type=Path, help="the reference tree (a git worktree)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--backends", nargs="+", default=["numba", "numpy"])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    print(markdown(measure(args.reference.resolve(), args.sizes, args.backends, args.rounds)))


if __name__ == "__main__":
    main()
