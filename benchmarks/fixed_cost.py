"""CPU time of each phase of a step, this tree beside a reference tree, where fixed cost shows.

``python -m benchmarks.fixed_cost /tmp/ref --sizes 30 1000 10000`` runs, in rounds, one child
process per tree (the reference's code imported from its own folder), swapping which goes first
each round. Each child builds a model per size, steps it twice, then times steps with the phase
clock (``PhaseClock(time.process_time)``) in three blocks of at least 100 steps and keeps each
phase's fastest block. At 30 cadres a step is nearly all fixed cost (Python calls, NumPy calls
on tiny arrays, kernel dispatch), so the smallest size shows what a change did to it. Medians
over rounds are printed as a Markdown table, CPU milliseconds per step.
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
#: Agent-steps per timed block: enough for a stable CPU reading (at least 100 steps a block).
AGENT_STEPS = 200_000

_CHILD = """
import json, sys, time
from simulation import CadreModel, kernels, load_config
from simulation.timing import PhaseClock
backend, agent_steps, sizes = sys.argv[1], int(sys.argv[2]), [int(a) for a in sys.argv[3:]]
out = {}
with kernels.using(backend):
    for n in sizes:
        model = CadreModel(load_config(None, {"organisation.n_cadres": n}), seed=9)
        model.step(); model.step()
        steps = max(100, agent_steps // n)
        best = None
        for _ in range(3):  # the fastest block of each phase: other processes only add time
            model.phase_clock = clock = PhaseClock(time.process_time)
            for _ in range(steps):
                model.step()
            block = {k: v / steps for k, v in clock.totals.items()}
            best = block if best is None else {k: min(best[k], block[k]) for k in block}
        model.phase_clock = None
        out[n] = best
print(json.dumps(out))
"""


def child(tree: Path, backend: str, sizes: list[int]) -> dict[str, dict[str, float]]:
    """One child's fastest block per phase and size: {size: {phase: CPU s a step}}."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    proc = subprocess.run([sys.executable, "-c", _CHILD, backend, str(AGENT_STEPS),
                           *map(str, sizes)],
                          capture_output=True, text=True, check=True, cwd=tree, env=env)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(reference: Path, sizes: list[int], backend: str, rounds: int) -> dict:
    """{"reference": [child results], "this": [...]}, alternating which tree goes first."""
    trees = {"reference": reference, "this": HERE}
    got: dict = {"reference": [], "this": []}
    for r in range(rounds):
        for label in (("reference", "this") if r % 2 == 0 else ("this", "reference")):
            got[label].append(child(trees[label], backend, sizes))
        print(f"round {r + 1} of {rounds}", file=sys.stderr, flush=True)
    return got


def markdown(got: dict, sizes: list[int]) -> str:
    """Per size and phase: the medians of both trees in CPU ms a step, and their ratio."""
    lines = ["| cadres | phase | reference CPU ms | this CPU ms | reference / this |",
             "|---:|---|---:|---:|---:|"]
    for n in sizes:
        for phase in [*got["this"][0][str(n)], "step"]:
            a, b = (_median(got[tree], str(n), phase) for tree in ("reference", "this"))
            lines.append(f"| {n:,} | {phase} | {a:.3f} | {b:.3f} | {a / b:.2f} |")
    return "\n".join(lines) + "\n"


def _median(runs: list, size: str, phase: str) -> float:
    """Median over rounds of one phase's CPU ms a step ("step": the phases' sum)."""
    values = [sum(r[size].values()) if phase == "step" else r[size][phase] for r in runs]
    return statistics.median(values) * 1e3


def main(argv: list[str] | None = None) -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference", type=Path, help="the reference tree (a git worktree)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 1_000, 10_000])
    parser.add_argument("--backend", default="numba", choices=["numba", "numpy"])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    got = measure(args.reference.resolve(), args.sizes, args.backend, args.rounds)
    print(markdown(got, args.sizes))


if __name__ == "__main__":
    main()
