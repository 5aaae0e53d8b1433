"""CPU time of each phase of the step, compiled kernels against the NumPy reference.

``python -m benchmarks.phases_bench`` builds, for each size, two models with the same seed (they
stay identical: the kernels give the NumPy path's results bit for bit) and steps them in
alternation, one under ``kernels.using("numba")`` and one under ``using("numpy")``, swapping
which goes first each round. A round times a whole step without the phase clock, then the
phases with it (``PhaseClock(time.process_time)``); the figures are medians over rounds, in CPU
milliseconds per step. It also times, in fresh processes with an empty and then a filled Numba
cache, the import of Numba and the first compiled step (compilation, or loading the cache).
Results go to ``results/bench/phases_<date>.json`` and ``phases_latest.md`` (untracked).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.bench import machine
from experiments.engine.storage import atomic_file, write_json_atomic

SIZES = (1_000, 10_000, 100_000, 1_000_000)
#: Agent-steps per backend per round: enough steps for a stable CPU reading at small sizes.
AGENT_STEPS_PER_ROUND = 300_000
BACKENDS = ("numba", "numpy")
OUT = Path("results") / "bench"


def timed_round(model, backend: str, steps: int) -> dict:
    """CPU seconds per step of ``steps`` whole steps, then per phase over as many more."""
    from simulation import kernels
    from simulation.timing import PhaseClock

    with kernels.using(backend):
        model.phase_clock = None
        start = time.process_time()
        for _ in range(steps):
            model.step()
        whole = (time.process_time() - start) / steps
        clock = PhaseClock(time.process_time)
        model.phase_clock = clock
        for _ in range(steps):
            model.step()
        model.phase_clock = None
    return {"step": whole, **{phase: t / steps for phase, t in clock.totals.items()}}


def measure_size(n: int, rounds: int, seed: int = 1) -> dict:
    """Median CPU seconds per step, whole and per phase, of each backend at ``n`` cadres."""
    from simulation import CadreModel, kernels, load_config

    config = load_config(None, {"organisation.n_cadres": n})
    models = {}
    for backend in BACKENDS:
        with kernels.using(backend):
            models[backend] = CadreModel(config, seed=seed)
            models[backend].step()  # warm-up: compilation or cache loading, first-call costs
    steps = max(1, AGENT_STEPS_PER_ROUND // n)
    samples: dict[str, list[dict]] = {backend: [] for backend in BACKENDS}
    for r in range(rounds):
        order = BACKENDS if r % 2 == 0 else BACKENDS[::-1]
        for backend in order:
            samples[backend].append(timed_round(models[backend], backend, steps))
    medians = {
        backend: {key: statistics.median(s[key] for s in runs) for key in runs[0]}
        for backend, runs in samples.items()
    }
    return {"n": n, "steps_per_round": steps, "rounds": rounds, "median": medians,
            "samples": samples}


_COMPILE_PROBE = """
import json, time
t0, w0 = time.process_time(), time.perf_counter()
import numba  # noqa: F401
numba_import = time.process_time() - t0, time.perf_counter() - w0
from simulation import CadreModel, kernels, load_config
model = CadreModel(load_config(None, {"organisation.n_cadres": 1000}), seed=1)
times = []
with kernels.using("numba"):
    for _ in range(3):
        t0, w0 = time.process_time(), time.perf_counter()
        model.step()
        times.append((time.process_time() - t0, time.perf_counter() - w0))
print(json.dumps({"numba_import": numba_import, "first_step": times[0], "later_step": times[2]}))
"""


def measure_compilation() -> dict:
    """First compiled step in a fresh process: with an empty Numba cache, then a filled one."""
    root = Path(__file__).resolve().parent.parent
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        for label in ("empty cache", "cached"):
            proc = subprocess.run(
                [sys.executable, "-c", _COMPILE_PROBE], capture_output=True, text=True,
                check=True, cwd=root, env={**os.environ, "NUMBA_CACHE_DIR": cache},
            )
            out[label] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


def markdown(report: dict) -> str:
    """The report as Markdown tables: CPU ms per step by phase, and the speed-up."""
    lines = ["# Phases: compiled kernels against the NumPy reference (CPU ms per step)", ""]
    for size in report["sizes"]:
        med = size["median"]
        lines += [f"## {size['n']:,} cadres ({size['rounds']} rounds of "
                  f"{size['steps_per_round']} steps, medians)", "",
                  "| phase | numpy | numba | numpy / numba |", "|---|---:|---:|---:|"]
        for key in med["numpy"]:
            a, b = med["numpy"][key] * 1e3, med["numba"][key] * 1e3
            lines.append(f"| {key} | {a:.3f} | {b:.3f} | {a / b if b else float('nan'):.2f} |")
        lines.append("")
    comp = report.get("compilation")
    if comp:
        lines += ["## Compilation (fresh process, 1 000 cadres; CPU s / wall s)", "",
                  "| cache | import numba | first step | a later step |", "|---|---|---|---|"]
        for label, c in comp.items():
            cells = [f"{c[k][0]:.3f} / {c[k][1]:.3f}"
                     for k in ("numba_import", "first_step", "later_step")]
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Measure the sizes asked for, print and save the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-compilation", action="store_true",
                        help="skip the compile and cache-load timing")
    args = parser.parse_args(argv)
    report: dict = {"machine": machine(), "date": datetime.now(UTC).isoformat(), "sizes": []}
    for n in args.sizes:
        report["sizes"].append(measure_size(n, args.rounds))
        print(f"measured {n:,} cadres", file=sys.stderr, flush=True)
    if not args.no_compilation:
        report["compilation"] = measure_compilation()
    text = markdown(report)
    print(text)
    OUT.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    write_json_atomic(report, OUT / f"phases_{stamp}.json")
    with atomic_file(OUT / "phases_latest.md") as tmp:
        tmp.write_text(text)


if __name__ == "__main__":
    main()
