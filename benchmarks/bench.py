"""Speed and memory of the model against the per-agent reference, measured side by side.

``python -m benchmarks.bench`` (``make bench``) measures, for each size, construction time,
agent-steps per second and peak memory (RSS) of the vectorised model and of the per-agent
reference (benchmarks/reference), interleaved, the median of several repeats; the time split by
phase of the step; and a full national-scale run (1 000 000 cadres for 30 years). Each
measurement runs in a fresh process, so peak memory is that run's alone. Results go to
results/bench/<date>_<host>.json (untracked) with a description of the machine, and a Markdown
table to results/bench/latest.md; ``--record`` writes them into the tracked
benchmarks/results/ instead (the record the README quotes).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

#: The tracked record (``--record``), and where a plain run writes (untracked).
RESULTS = Path(__file__).resolve().parent / "results"
SCRATCH = Path("results") / "bench"


def output_folder(record: bool) -> Path:
    """Where a benchmark writes: the tracked record only when asked (``--record``)."""
    folder = RESULTS if record else SCRATCH
    folder.mkdir(parents=True, exist_ok=True)
    return folder
MODEL_SIZES = (1_000, 10_000, 100_000, 1_000_000)
REFERENCE_SIZES = (1_000, 10_000, 100_000)
NATIONAL = (1_000_000, 30)
#: Wall-clock seconds of stepping to aim for per measurement (at least MIN_STEPS steps).
TARGET_SECONDS = {"model": 2.0, "reference": 4.0}
MIN_STEPS = 2


# --------------------------------------------------------------------------------------------
# One measurement (runs in a child process)
# --------------------------------------------------------------------------------------------


def _build(kind: str, n: int, seed: int):
    from simulation import CadreModel, load_config

    config = load_config(None, {"organisation.n_cadres": n})
    if kind == "model":
        return CadreModel(config, seed=seed)
    from benchmarks.reference import ReferenceModel

    return ReferenceModel(config, seed=seed)


def measure(kind: str, n: int, steps: int | None, seed: int = 1) -> dict:
    """Construction time, steady-state agent-steps/s, phase split and peak RSS of one run."""
    from simulation.timing import PhaseClock

    start = time.perf_counter()
    model = _build(kind, n, seed)
    build = time.perf_counter() - start
    model.step()  # warm-up: first-call costs (imports, reporter validation) are not throughput
    if steps is None:  # enough steps to fill the target time, judged from one more step
        start = time.perf_counter()
        model.step()
        one = time.perf_counter() - start
        steps = max(MIN_STEPS, int(TARGET_SECONDS[kind] / max(one, 1e-6)))
    clock = PhaseClock()
    if kind == "model":
        model.phase_clock = clock
    start = time.perf_counter()
    for _ in range(steps):
        model.step()
    elapsed = time.perf_counter() - start
    return {
        "kind": kind,
        "n": n,
        "steps": steps,
        "build_seconds": build,
        "step_seconds": elapsed / steps,
        "agent_steps_per_second": n * steps / elapsed,
        "phase_seconds_per_step": (
            {k: v / steps for k, v in clock.totals.items()} if kind == "model" else {}
        ),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def national_run(n: int, years: int, seed: int = 1) -> dict:
    """A full run as a researcher would do it: construction plus every year, timed together."""
    from simulation import CadreModel, load_config

    start = time.perf_counter()
    model = CadreModel(load_config(None, {"organisation.n_cadres": n}), seed=seed)
    model.run(years)
    total = time.perf_counter() - start
    return {
        "kind": "national",
        "n": n,
        "years": years,
        "total_seconds": total,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _child(args: list[str]) -> dict:
    """Run one measurement in a fresh interpreter and return its JSON record."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench", "--child", *args],
        capture_output=True, text=True, check=True, cwd=root, env=env,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------------------------
# The whole benchmark
# --------------------------------------------------------------------------------------------


def machine() -> dict:
    """What the numbers were measured on."""
    import mesa
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
        "scipy": scipy.__version__,
        "mesa": mesa.__version__,
    }


def _median(records: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in records)


def run(repeats: int, sizes: tuple[int, ...], reference_sizes: tuple[int, ...],
        national: tuple[int, int] | None) -> dict:
    """Measure everything; model and reference alternate within each repeat."""
    raw: dict[tuple[str, int], list[dict]] = {}
    plan = [("model", n) for n in sizes] + [("reference", n) for n in reference_sizes]
    # Interleave: size by size, model then reference, repeat after repeat.
    plan.sort(key=lambda item: (item[1], item[0]))
    for rep in range(repeats):
        for kind, n in plan:
            record = _child([kind, str(n)])
            raw.setdefault((kind, n), []).append(record)
            print(
                f"  [{rep + 1}/{repeats}] {kind:9s} n={n:>9,}: "
                f"{record['agent_steps_per_second'] / 1e6:7.3f} M agent-steps/s, "
                f"build {record['build_seconds']:6.2f} s, peak {record['peak_rss_mb']:7.0f} MB",
                flush=True,
            )
    rows = []
    for (kind, n), records in sorted(raw.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        phases = {}
        if kind == "model":
            phases = {
                p: statistics.median(r["phase_seconds_per_step"][p] for r in records)
                for p in records[0]["phase_seconds_per_step"]
            }
        rows.append({
            "kind": kind,
            "n": n,
            "repeats": len(records),
            "agent_steps_per_second": _median(records, "agent_steps_per_second"),
            "build_seconds": _median(records, "build_seconds"),
            "step_seconds": _median(records, "step_seconds"),
            "peak_rss_mb": _median(records, "peak_rss_mb"),
            "phase_seconds_per_step": phases,
            "runs": records,
        })
    speedups = {}
    for row in rows:
        if row["kind"] != "model":
            continue
        ref = next((r for r in rows if r["kind"] == "reference" and r["n"] == row["n"]), None)
        if ref:
            # Ratio within each repeat (measured side by side), then the median.
            ratios = [
                m["agent_steps_per_second"] / r["agent_steps_per_second"]
                for m, r in zip(row["runs"], ref["runs"], strict=False)
            ]
            speedups[row["n"]] = statistics.median(ratios)
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "rows": rows,
        "speedup_over_reference": speedups,
    }
    if national:
        print(f"  national run: {national[0]:,} cadres x {national[1]} years ...", flush=True)
        result["national"] = _child(["national", str(national[0]), str(national[1])])
    return result


def markdown(result: dict) -> str:
    """The short table for the README."""
    lines = [
        "| cadres | model: M agent-steps/s | reference: M agent-steps/s | model / reference "
        "| model build (s) | model peak RSS (MB) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for row in (r for r in result["rows"] if r["kind"] == "model"):
        ref = next(
            (r for r in result["rows"] if r["kind"] == "reference" and r["n"] == row["n"]), None
        )
        speed = result["speedup_over_reference"].get(row["n"])
        ref_cell = f"{ref['agent_steps_per_second'] / 1e6:.4f}" if ref else "–"
        speed_cell = f"{speed:.0f}x" if speed else "–"
        lines.append(
            f"| {row['n']:,} | {row['agent_steps_per_second'] / 1e6:.2f} | {ref_cell} | "
            f"{speed_cell} | {row['build_seconds']:.2f} | {row['peak_rss_mb']:.0f} |"
        )
    if "national" in result:
        nat = result["national"]
        lines.append("")
        lines.append(
            f"National scale: {nat['n']:,} cadres for {nat['years']} years took "
            f"{nat['total_seconds']:.1f} s in all (construction included), peak memory "
            f"{nat['peak_rss_mb']:.0f} MB."
        )
    model_10k = next(
        (r for r in result["rows"] if r["kind"] == "model" and r["n"] == 10_000), None
    )
    if model_10k and model_10k["phase_seconds_per_step"]:
        total = sum(model_10k["phase_seconds_per_step"].values())
        split = ", ".join(
            f"{p} {100 * s / total:.0f}%" for p, s in model_10k["phase_seconds_per_step"].items()
        )
        lines += ["", f"Time per step at 10,000 cadres by phase: {split}."]
    m = result["machine"]
    lines += ["", f"Measured {result['date']} on {m['cpu']} ({m['cores']} cores, "
                  f"{m['memory_gb']} GB), Python {m['python']}, NumPy {m['numpy']}, "
                  f"Mesa {m['mesa']}; median of {result['rows'][0]['repeats']} repeats."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print (or write) its report; the exit code."""
    parser = argparse.ArgumentParser(description="CadreSim speed and memory benchmarks.")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="small sizes only, 1 repeat")
    parser.add_argument("--no-national", action="store_true", help="skip the 1M x 30 run")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--record", action="store_true",
                        help=f"write into the tracked {RESULTS.parent.name}/results/ "
                        f"(default: {SCRATCH}/, untracked)")
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        if kind == "national":
            print(json.dumps(national_run(int(rest[0]), int(rest[1]))))
        else:
            print(json.dumps(measure(kind, int(rest[0]), None)))
        return 0
    sizes, ref_sizes, national = MODEL_SIZES, REFERENCE_SIZES, NATIONAL
    repeats = args.repeats
    if args.quick:
        sizes, ref_sizes, national, repeats = (1_000, 10_000), (1_000,), None, 1
    if args.no_national:
        national = None
    print(f"CadreSim benchmark: {repeats} repeat(s), model sizes {sizes}, reference {ref_sizes}")
    result = run(repeats, sizes, ref_sizes, national)
    folder = output_folder(args.record)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    name = f"{stamp}_{result['machine']['host']}{'_quick' if args.quick else ''}"
    (folder / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    table = markdown(result)
    if not args.quick:
        (folder / "latest.md").write_text(table + "\n")
    print()
    print(table)
    print(f"\nwritten: {folder / name}.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
