"""Speed and memory of the model, Numba kernels and NumPy reference path side by side.

``python -m benchmarks.bench`` (``make bench``) measures, each in a fresh process and with
wall-clock and CPU seconds side by side (CPU time is what a busy machine distorts least):

* throughput (agent-steps per second), build time, peak memory and the phase split at 1 000 to
  1 000 000 cadres, for the Numba kernels and the NumPy reference path (``CADRESIM_KERNELS`` in
  each child) and for the per-agent Mesa reference (benchmarks/reference), interleaved, the
  median of several repeats; ratios are taken within each repeat (side by side), then the median;
* where a sweep run's CPU time goes (1 000 cadres, 40 years): build, stepping, table, reduction;
* the single-run check: ``cadresim run default --steps 40`` against ``python -c "import mesa"``,
  process start to exit, and how fast ``--help``, ``regimes`` and a bad config answer
  (benchmarks/startup.py);
* batched replicates: 8 runs of 400 and of 1 000 cadres made one by one against one batch of 8
  (benchmarks/batched_bench.py), runs per CPU second;
* the demo sweep (configs/experiments/regime_comparison.yaml: 200 runs on 2 workers), runs per
  second once running, for both paths;
* the whole civil service: 7 200 000 cadres for 30 years, construction included, and its peak
  memory.

Results go to results/bench/<date>_<host>.json (untracked) with a description of the machine
(its load average included), and the Markdown summary, targets against what was reached, to
results/bench/latest.md; ``--record`` writes them into the tracked benchmarks/results/ instead;
``--update-readme`` copies the summary into docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import yaml

from benchmarks import report, startup

#: The tracked record (``--record``), and where a plain run writes (untracked).
RESULTS = Path(__file__).resolve().parent / "results"
SCRATCH = Path("results") / "bench"
ROOT = Path(__file__).resolve().parent.parent
#: Implementations of the hot path compared side by side (``CADRESIM_KERNELS``).
BACKENDS = ("numba", "numpy")
MODEL_SIZES = (1_000, 10_000, 100_000, 1_000_000)
REFERENCE_SIZES = (1_000, 10_000, 100_000)
#: China's civil service in 2015, at 1:1, for 30 years.
NATIONAL = (7_200_000, 30)
#: The demo sweep (experiment 1, what ``make demo`` ran before the calibrated comparison), run
#: on this many worker processes.
DEMO = ROOT / "configs" / "experiments" / "regime_comparison.yaml"
DEMO_WORKERS = 2
#: Runs whose CPU time is split into its parts (median per part).
PER_RUN_RUNS = 20
#: Batched replicates against lone runs (issue 21, item 2): (cadres, replicates) measured.
BATCHED = ((400, 8), (1_000, 8))
#: Years of a batched-replicates run, as a demo-sweep run has.
BATCHED_YEARS = 40


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all (a temporary file, then a rename)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def output_folder(record: bool) -> Path:
    """Where a benchmark writes: the tracked record only when asked (``--record``)."""
    folder = RESULTS if record else SCRATCH
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def child(args: list[str], backend: str | None = None) -> dict:
    """Run one measurement (benchmarks/measure.py) in a fresh interpreter; its JSON record."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    if backend is not None:
        env["CADRESIM_KERNELS"] = backend
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.measure", *args],
        capture_output=True, text=True, check=False, cwd=ROOT, env=env,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"measurement {args} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def machine() -> dict:
    """What the numbers were measured on, and how busy it was when they started."""
    import mesa
    import numba
    import numpy
    import scipy

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        mem_kb = 0
    return {
        "host": socket.gethostname(),
        "cpu": cpu or platform.processor(),
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024**2, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "numba": numba.__version__,
        "scipy": scipy.__version__,
        "mesa": mesa.__version__,
        "load_average": list(os.getloadavg()),
    }


# --------------------------------------------------------------------------------------------
# The parts
# --------------------------------------------------------------------------------------------


def _progress(rep: int, repeats: int, label: str, record: dict) -> None:
    print(
        f"  [{rep + 1}/{repeats}] {label:16s} n={record['n']:>9,}: "
        f"{record['agent_steps_per_second'] / 1e6:7.3f} M agent-steps/s "
        f"({record['agent_steps_per_cpu_second'] / 1e6:.3f} per CPU s), "
        f"build {record['build_seconds']:6.2f} s, peak {record['peak_rss_mb']:7.0f} MB",
        flush=True,
    )


def throughput(repeats: int, sizes: tuple[int, ...], reference_sizes: tuple[int, ...]) -> dict:
    """Agent-steps per second: both paths and the reference, size by size, repeat by repeat."""
    raw: dict[tuple[str, int], list[dict]] = {}
    plan = [(f"model-{b}", n) for n in sizes for b in BACKENDS]
    plan += [("reference", n) for n in reference_sizes]
    plan.sort(key=lambda item: item[1])
    for rep in range(repeats):
        for label, n in plan:
            kind, _, backend = label.partition("-")
            record = child([kind, str(n)], backend or None)
            raw.setdefault((label, n), []).append(record)
            _progress(rep, repeats, label, record)
    rows = [summarise_throughput(label, n, records) for (label, n), records in raw.items()]
    return {"rows": rows, "ratios": throughput_ratios(raw, sizes)}


def summarise_throughput(label: str, n: int, records: list[dict]) -> dict:
    """Medians over repeats of one (implementation, size)."""
    def median(key: str) -> float:
        return statistics.median(r[key] for r in records)

    phases = {
        key: {p: statistics.median(r[key][p] for r in records) for p in records[0][key]}
        for key in ("phase_cpu_seconds_per_step",)
    }
    keys = ("agent_steps_per_second", "agent_steps_per_cpu_second", "build_seconds",
            "build_cpu_seconds", "step_seconds", "step_cpu_seconds", "peak_rss_mb")
    return {"label": label, "n": n, "repeats": len(records),
            **{key: median(key) for key in keys}, **phases, "runs": records}


def throughput_ratios(raw: dict[tuple[str, int], list[dict]], sizes: tuple[int, ...]) -> dict:
    """Per size: each ratio within a repeat (measured side by side), then the median."""
    pairs = {"numba_over_numpy": ("model-numba", "model-numpy"),
             "numba_over_reference": ("model-numba", "reference"),
             "numpy_over_reference": ("model-numpy", "reference")}
    ratios: dict[str, dict[str, dict[str, float]]] = {}
    for n in sizes:
        for name, (top, bottom) in pairs.items():
            if (top, n) not in raw or (bottom, n) not in raw:
                continue
            both = list(zip(raw[(top, n)], raw[(bottom, n)], strict=False))
            ratios.setdefault(str(n), {})[name] = {
                clock: statistics.median(a[key] / b[key] for a, b in both)
                for clock, key in (("wall", "agent_steps_per_second"),
                                   ("cpu", "agent_steps_per_cpu_second"))
            }
    return ratios


def per_run(runs: int) -> dict:
    """Where a sweep run's CPU time goes, for each path."""
    result = {}
    for backend in BACKENDS:
        result[backend] = child(["per_run", str(runs)], backend)
        parts = ", ".join(f"{k} {v:.1f}" for k, v in result[backend]["cpu_ms"].items())
        print(f"  per run ({backend}): {parts} ms CPU", flush=True)
    return result


def batched(rounds: int) -> list[dict]:
    """R lone runs against one batch of R (``benchmarks.batched_bench``), CPU and wall seconds.

    Each size in a fresh process on the compiled path; the fastest of ``rounds`` rounds.
    """
    rows = []
    for n, replicates in BATCHED:
        code = ("import json; from benchmarks.batched_bench import measure; "
                f"print(json.dumps(measure({n}, {replicates}, {BATCHED_YEARS}, {rounds})))")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              check=True, cwd=ROOT, env={**os.environ, "CADRESIM_KERNELS": "numba"})
        row = {"cadres": n, "replicates": replicates, "years": BATCHED_YEARS, "rounds": rounds,
               **json.loads(done.stdout.strip().splitlines()[-1])}
        print(f"  {n} cadres x {replicates} replicates: lone {row['lone_cpu']:.2f} s CPU, "
              f"batched {row['batch_cpu']:.2f} s CPU", flush=True)
        rows.append(row)
    return rows


def demo_sweep(repeats: int) -> dict:
    """The demo sweep on DEMO_WORKERS workers, both paths alternating; medians over repeats."""
    from benchmarks.sweep_bench import run_sweep

    spec = yaml.safe_load(DEMO.read_text())
    runs = len(spec["regimes"]) * spec["replications"]
    samples: dict[str, list[dict]] = {b: [] for b in BACKENDS}
    with tempfile.TemporaryDirectory(prefix="cadresim-bench-demo-") as tmp:
        path = Path(tmp) / "demo.yaml"
        path.write_text(yaml.safe_dump({**spec, "output": str(Path(tmp) / "demo")}))
        for rep in range(repeats):
            for backend in BACKENDS:
                env = {**os.environ, "CADRESIM_KERNELS": backend}
                result = run_sweep(path, DEMO_WORKERS, env)
                samples[backend].append(result)
                print(f"  [{rep + 1}/{repeats}] demo sweep ({backend}): {runs} runs in "
                      f"{result['seconds']:.1f} s, {result['steady']:.1f} runs/s once running",
                      flush=True)
    return {
        backend: {
            "runs": runs, "workers": DEMO_WORKERS, "repeats": len(results),
            "steady_runs_per_second": statistics.median(r["steady"] for r in results),
            "seconds": statistics.median(r["seconds"] for r in results),
            "cpu_seconds": statistics.median(r["cpu_seconds"] for r in results),
            "peak_mb": statistics.median(max(mb for _, mb in r["memory_mb"]) for r in results),
            "samples": [{k: v for k, v in r.items() if k != "memory_mb"} for r in results],
        }
        for backend, results in samples.items()
    }


def national(n: int, years: int) -> dict:
    """The whole civil service, on the default path (the Numba kernels)."""
    print(f"  national run: {n:,} cadres x {years} years ...", flush=True)
    record = child(["national", str(n), str(years)], BACKENDS[0])
    print(f"  {record['total_seconds']:.0f} s ({record['total_cpu_seconds']:.0f} s CPU), "
          f"peak {record['peak_rss_mb']:.0f} MB", flush=True)
    return record


# --------------------------------------------------------------------------------------------
# The whole benchmark
# --------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The benchmark's flags."""
    parser = argparse.ArgumentParser(description="CadreSim speed and memory benchmarks.")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true",
                        help="1 000 and 10 000 cadres, the single-run check, 1 repeat; no "
                        "sweep, no national run (about 2 minutes)")
    parser.add_argument("--no-national", action="store_true",
                        help=f"skip the {NATIONAL[0]:,} x {NATIONAL[1]} run")
    parser.add_argument("--no-sweep", action="store_true", help="skip the demo sweep")
    parser.add_argument("--record", action="store_true",
                        help=f"write into the tracked {RESULTS.parent.name}/results/ "
                        f"(default: {SCRATCH}/, untracked)")
    parser.add_argument("--update-readme", action="store_true",
                        help="copy the summary into docs/performance.md")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> dict:
    """Measure every part the flags ask for."""
    quick = args.quick
    repeats = 1 if quick else args.repeats
    result: dict = {"date": datetime.now(UTC).isoformat(timespec="seconds"),
                    "machine": machine(), "quick": quick, "repeats": repeats}
    sizes, ref_sizes = ((1_000, 10_000), (1_000,)) if quick else (MODEL_SIZES, REFERENCE_SIZES)
    print(f"throughput: {repeats} repeat(s), model sizes {sizes}, reference {ref_sizes}",
          flush=True)
    result["throughput"] = throughput(repeats, sizes, ref_sizes)
    print("a sweep run's CPU time by part (1 000 cadres, 40 years):", flush=True)
    result["per_run"] = per_run(PER_RUN_RUNS // 2 if quick else PER_RUN_RUNS)
    print("single run against `import mesa`, process start to exit:", flush=True)
    result["single_run"] = startup.measure(3 if quick else 5)
    print("batched replicates against lone runs (compiled path):", flush=True)
    result["batched"] = batched(1 if quick else 3)
    if not (quick or args.no_sweep):
        print(f"demo sweep ({DEMO.name}) on {DEMO_WORKERS} workers:", flush=True)
        result["sweep"] = demo_sweep(repeats)
    if not (quick or args.no_national):
        result["national"] = national(*NATIONAL)
    result["load_average_after"] = list(os.getloadavg())
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print (and write) its summary; the exit code."""
    args = parse_args(argv)
    result = run(args)
    folder = output_folder(args.record)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    name = f"{stamp}_{result['machine']['host']}{'_quick' if args.quick else ''}"
    write_atomic(folder / f"{name}.json", json.dumps(result, indent=2) + "\n")
    summary = report.markdown(result)
    if not args.quick:
        write_atomic(folder / "latest.md", summary + "\n")
    if args.update_readme:
        readme = ROOT / "docs" / "performance.md"
        write_atomic(readme, report.readme_with(readme.read_text(encoding="utf-8"), summary))
    print()
    print(summary)
    print(f"\nwritten: {folder / name}.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
