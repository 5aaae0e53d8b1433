"""Sweep throughput and memory: runs per minute with 1 and 2 workers, and memory over 5 000 runs.

``python -m benchmarks.sweep_bench`` runs real ``cadresim sweep`` processes on generated specs
in a temporary folder, sampling the resident memory of the sweep and its worker processes.
Results go to results/bench/sweep_<date>_<host>.json and a Markdown table to
results/bench/sweep_latest.md (untracked); ``--record`` writes them into the tracked
benchmarks/results/ instead.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil
import yaml

from benchmarks.bench import RESULTS, SCRATCH, machine, output_folder

ROOT = Path(__file__).resolve().parent.parent
#: The throughput workload: (runs, cadres, years). Heavy enough (about 15 s on one worker) that
#: worker start-up, as in a real sweep, is a small part of it.
THROUGHPUT = (200, 1000, 40)


def spec(name: str, folder: Path, runs: int, n_cadres: int, steps: int,
         switch: dict[str, object] | None = None) -> Path:
    """A grid spec with ``runs`` runs (10 points x runs/10 replications) of the default model.

    ``switch``: the spec's regime switch (its ``switch`` section: step, preset, phase_in).
    """
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump({
        "name": name,
        "set": {"organisation.n_cadres": n_cadres},
        **({"switch": switch} if switch else {}),
        "design": {"kind": "grid", "parameters": {
            "regime.accountability.annual_evaluation": [round(0.05 * i, 2) for i in range(10)],
        }},
        "replications": runs // 10,
        "steps": steps,
        "burn_in": 0,
        "seed": 7,
        "output": str(folder / name),
    }))
    return path


def run_sweep(spec_path: Path, workers: int, env: dict[str, str] | None = None) -> dict:
    """Time one sweep from a cold start, sampling the memory and CPU time of its process tree."""
    cmd = [sys.executable, "-m", "experiments.cli", "sweep", str(spec_path),
           "--workers", str(workers), "--quiet", "--fresh"]
    return run_tree(cmd, env) | {"steady": steady_rate(spec_path)}


def run_tree(cmd: list[str], env: dict[str, str] | None = None) -> dict:
    """Run a command from a cold start; its wall time and the memory and CPU of its process tree.

    CPU seconds are the sum over the process and every process it started (workers, the
    forkserver), as last sampled (every 0.1 s) before each ended; ``command_cpu_seconds`` is
    the command's own process alone.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=env)
    root = psutil.Process(proc.pid)
    samples: list[tuple[float, float]] = []
    cpu: dict[int, float] = {}
    while proc.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            rss = sum(p.memory_info().rss for p in tree if p.is_running())
            samples.append((time.perf_counter() - start, rss / 2**20))
            for p in tree:
                times = p.cpu_times()
                cpu[p.pid] = times.user + times.system
        except psutil.Error:
            pass
        time.sleep(0.1)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[3]} failed: {proc.stderr.read().decode()[-2000:]}")
    return {"seconds": elapsed, "cpu_seconds": sum(cpu.values()),
            "command_cpu_seconds": cpu.get(proc.pid, 0.0), "memory_mb": samples}


def steady_rate(spec_path: Path) -> float:
    """Runs per second between the first and the last part written: start-up left out."""
    import pyarrow.parquet as pq

    out = Path(yaml.safe_load(spec_path.read_text())["output"])
    parts = sorted((p.stat().st_mtime, pq.read_metadata(p).num_rows)
                   for p in (out / "runs").glob("part-*.parquet"))
    if len(parts) < 3:
        return float("nan")
    span = parts[-1][0] - parts[0][0]
    return sum(rows for _, rows in parts[1:]) / span if span > 0 else float("nan")


def throughput(folder: Path, repeats: int) -> dict:
    """Runs per minute with 1 and 2 workers, interleaved, median of ``repeats``."""
    runs, n_cadres, steps = THROUGHPUT
    path = spec("throughput", folder, runs=runs, n_cadres=n_cadres, steps=steps)
    times: dict[int, list[float]] = {1: [], 2: []}
    steady: dict[int, list[float]] = {1: [], 2: []}
    for rep in range(repeats):
        for workers in (1, 2):
            result = run_sweep(path, workers)
            seconds = result["seconds"]
            times[workers].append(seconds)
            steady[workers].append(result["steady"])
            print(f"  [{rep + 1}/{repeats}] {workers} worker(s): {runs} runs in {seconds:.1f} s",
                  flush=True)
    median = {w: statistics.median(t) for w, t in times.items()}
    return {
        "runs": runs, "n_cadres": n_cadres, "steps": steps,
        "seconds": times,
        "runs_per_minute": {w: runs * 60 / s for w, s in median.items()},
        "speedup_2_workers": median[1] / median[2],
        "steady_runs_per_second": steady,
        "steady_speedup_2_workers": statistics.median(
            two / one for one, two in zip(steady[1], steady[2], strict=True)
        ),
    }


def memory(folder: Path) -> dict:
    """Peak memory of the sweep's process tree over a 5 000-run sweep, by fifths of its time."""
    path = spec("memory", folder, runs=5000, n_cadres=100, steps=5)
    result = run_sweep(path, 2)
    samples = result["memory_mb"]
    fifths = []
    for k in range(5):
        lo, hi = result["seconds"] * k / 5, result["seconds"] * (k + 1) / 5
        part = [mb for t, mb in samples if lo <= t < hi]
        fifths.append(max(part) if part else float("nan"))
    print(f"  5000 runs in {result['seconds']:.1f} s; peak memory by fifth of the run: "
          + ", ".join(f"{mb:.0f}" for mb in fifths) + " MB", flush=True)
    return {"runs": 5000, "n_cadres": 100, "steps": 5, "seconds": result["seconds"],
            "peak_mb_by_fifth": fifths, "peak_mb": max(mb for _, mb in samples)}


def markdown(result: dict) -> str:
    """The benchmark result as a Markdown table."""
    t, m = result["throughput"], result["memory"]
    return "\n".join([
        f"| workers | runs per minute ({t['runs']} runs, {t['n_cadres']} cadres, "
        f"{t['steps']} years) |",
        "|---:|---:|",
        f"| 1 | {t['runs_per_minute'][1]:.0f} |",
        f"| 2 | {t['runs_per_minute'][2]:.0f} |",
        "",
        f"Two workers are {t['speedup_2_workers']:.2f}x one worker over the whole sweep (median "
        f"of {len(t['seconds'][1])} interleaved repeats, worker start-up and planning "
        f"included), and {t['steady_speedup_2_workers']:.2f}x once running (runs per second "
        "between the first and last result written).",
        f"A {m['runs']:,}-run sweep ({m['n_cadres']} cadres, {m['steps']} years each, 2 workers) "
        f"took {m['seconds']:.0f} s; the peak memory of the sweep and its workers in each fifth "
        f"of the run was " + ", ".join(f"{mb:.0f}" for mb in m["peak_mb_by_fifth"]) + " MB.",
    ])


def main(argv: list[str] | None = None) -> int:
    """Run the sweep benchmark and print its report; the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--record", action="store_true",
                        help=f"write into the tracked {RESULTS} (default: {SCRATCH}/)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cadresim-sweep-bench-") as tmp:
        folder = Path(tmp)
        print("sweep throughput (1 vs 2 workers):", flush=True)
        result = {"throughput": throughput(folder, args.repeats)}
        print("memory over a 5 000-run sweep:", flush=True)
        result["memory"] = memory(folder)
    result |= {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine()}
    folder = output_folder(args.record)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    (folder / f"sweep_{stamp}_{result['machine']['host']}.json").write_text(
        json.dumps(result, indent=2) + "\n"
    )
    table = markdown(result)
    (folder / "sweep_latest.md").write_text(table + "\n")
    print()
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
