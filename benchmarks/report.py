"""The benchmark's Markdown summary: the issue's targets against what was reached, then tables.

Every figure is shown in wall-clock and in CPU time: on a busy machine the wall-clock figures
fall, the CPU figures much less. A target counts as met on wall-clock time; "CPU time only" says
the CPU figure meets it where a busy machine's wall clock did not.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

#: The performance issue's targets on the 2-core machine (round three: agent-steps per second).
THROUGHPUT_TARGETS = {10_000: 3e6, 1_000: 2e6}
#: A step at the larger size should cost no more per agent than at the smaller.
SCALING_TARGET = (100_000, 1_000_000)
SWEEP_TARGET = 60.0  # runs per second once running, on 2 workers
SINGLE_RUN_TARGET = 0.5  # seconds over `python -c "import mesa"`
NATIONAL_SECONDS = 300.0
NATIONAL_MB = 8 * 1024
#: Where docs/performance.md's copy of the summary lives (``--update-readme``).
README_START = "<!-- bench:start (python -m benchmarks.bench --update-readme) -->"
README_END = "<!-- bench:end -->"
#: The single-run check as a researcher types it (the default backend rule).
SINGLE_RUN = "cadresim run default --steps 40"


def _verdict(wall_ok: bool, cpu_ok: bool) -> str:
    return "met" if wall_ok else "CPU time only" if cpu_ok else "not met"


def _row(result: dict, label: str, n: int) -> dict | None:
    return next((r for r in result["throughput"]["rows"] if r["label"] == label and r["n"] == n),
                None)


def _single(result: dict, command: str) -> dict:
    return next(r for r in result["single_run"]["rows"] if r["command"] == command)


def cpu_runs_per_second(sweep: dict) -> float:
    """Runs per second the workers' cores would give if the sweep had them to itself.

    Runs x workers / CPU seconds of all the sweep's processes, start-up and planning included,
    so it understates the rate once running.
    """
    return sweep["runs"] * sweep["workers"] / sweep["cpu_seconds"]


def targets(result: dict) -> list[str]:
    """The targets table: what the issue asks, what was reached (wall; CPU), met or not."""
    lines = ["| target | reached: wall-clock | reached: CPU time | |", "|---|---:|---:|---|"]
    for n, goal in THROUGHPUT_TARGETS.items():
        row = _row(result, "model-numba", n)
        if row:
            wall, cpu = row["agent_steps_per_second"], row["agent_steps_per_cpu_second"]
            lines.append(f"| at least {goal / 1e6:g} M agent-steps/s at {n:,} cadres | "
                         f"{wall / 1e6:.2f} M | {cpu / 1e6:.2f} M | "
                         f"{_verdict(wall >= goal, cpu >= goal)} |")
    small, large = (_row(result, "model-numba", n) for n in SCALING_TARGET)
    if small and large:
        wall = large["agent_steps_per_second"] / small["agent_steps_per_second"]
        cpu = large["agent_steps_per_cpu_second"] / small["agent_steps_per_cpu_second"]
        lines.append(f"| {SCALING_TARGET[1]:,} cadres no dearer per agent-step than "
                     f"{SCALING_TARGET[0]:,} | throughput x {wall:.2f} | x {cpu:.2f} | "
                     f"{_verdict(wall >= 1.0, cpu >= 1.0)} |")
    if "sweep" in result:
        sweep = result["sweep"]["numba"]
        rate, cpu_rate = sweep["steady_runs_per_second"], cpu_runs_per_second(sweep)
        lines.append(f"| demo sweep at least {SWEEP_TARGET:g} runs/s once running "
                     f"({sweep['workers']} workers) | {rate:.1f} runs/s | "
                     f"{cpu_rate:.1f} runs/s (whole sweep) | "
                     f"{_verdict(rate >= SWEEP_TARGET, cpu_rate >= SWEEP_TARGET)} |")
    run = _single(result, SINGLE_RUN)
    over, over_cpu = run["over_mesa_seconds"], run["over_mesa_cpu_seconds"]
    lines.append(f"| single run at most {SINGLE_RUN_TARGET:g} s over `import mesa` | "
                 f"+{over:.2f} s | +{over_cpu:.2f} s | "
                 f"{_verdict(over <= SINGLE_RUN_TARGET, over_cpu <= SINGLE_RUN_TARGET)} |")
    if "national" in result:
        nat = result["national"]
        wall, cpu, mb = nat["total_seconds"], nat["total_cpu_seconds"], nat["peak_rss_mb"]
        lines.append(
            f"| {nat['n']:,} cadres x {nat['years']} years in under {NATIONAL_SECONDS / 60:g} "
            f"min and {NATIONAL_MB / 1024:g} GB | {wall:.0f} s, {mb:,.0f} MB | "
            f"{cpu:.0f} s | "
            f"{_verdict(wall < NATIONAL_SECONDS and mb < NATIONAL_MB, cpu < NATIONAL_SECONDS)} |"
        )
    return lines


def _speed(row: dict | None, digits: int = 2) -> str:
    """Millions of agent-steps per second, wall-clock (per CPU second)."""
    if row is None:
        return "–"
    return (f"{row['agent_steps_per_second'] / 1e6:.{digits}f} "
            f"({row['agent_steps_per_cpu_second'] / 1e6:.{digits}f})")


def _ratio(ratios: dict, name: str, fmt: str) -> str:
    """A throughput ratio in CPU time, measured side by side."""
    return format(ratios[name]["cpu"], fmt) + "x" if name in ratios else "–"


def throughput_table(result: dict) -> list[str]:
    """Agent-steps per second of both paths and the reference, with the ratios (CPU time)."""
    lines = [
        "| cadres | Numba: M agent-steps/s (per CPU s) | NumPy: M agent-steps/s (per CPU s) "
        "| Numba / NumPy | reference (per CPU s) | Numba / reference | build s (CPU) "
        "| peak RSS MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    sizes = sorted({r["n"] for r in result["throughput"]["rows"]})
    for n in sizes:
        numba, numpy = _row(result, "model-numba", n), _row(result, "model-numpy", n)
        ref = _row(result, "reference", n)
        ratios = result["throughput"]["ratios"].get(str(n), {})
        if numba is None or numpy is None:
            continue

        lines.append(
            f"| {n:,} | {_speed(numba)} | {_speed(numpy)} | "
            f"{_ratio(ratios, 'numba_over_numpy', '.2f')} | "
            f"{_speed(ref, 4)} | {_ratio(ratios, 'numba_over_reference', '.0f')} | "
            f"{numba['build_seconds']:.2f} ({numba['build_cpu_seconds']:.2f}) | "
            f"{numba['peak_rss_mb']:.0f} |"
        )
    return lines


def phases(result: dict, n: int = 10_000) -> list[str]:
    """CPU milliseconds per step by phase at ``n`` cadres, both paths."""
    rows = {b: _row(result, f"model-{b}", n) for b in ("numba", "numpy")}
    if not all(rows.values()):
        return []
    names = list(rows["numba"]["phase_cpu_seconds_per_step"])
    lines = [f"CPU milliseconds per step by phase at {n:,} cadres:", "",
             "| path | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for backend, row in rows.items():
        cells = " | ".join(f"{1e3 * row['phase_cpu_seconds_per_step'][p]:.2f}" for p in names)
        lines.append(f"| {backend} | {cells} |")
    return lines


def per_run(result: dict) -> list[str]:
    """A sweep run's CPU milliseconds by part, both paths."""
    records = result["per_run"]
    first = next(iter(records.values()))
    names = list(first["cpu_ms"])
    lines = [f"A sweep run's CPU milliseconds ({first['n']:,} cadres, {first['years']} years, "
             f"median of {first['runs']} runs): `run_one` is the whole of a sweep worker's run; "
             "`datacollector` is paid only by a Mesa user who asks for it.", "",
             "| path | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for backend, record in records.items():
        lines.append(f"| {backend} | "
                     + " | ".join(f"{record['cpu_ms'][p]:.1f}" for p in names) + " |")
    return lines


def single_run(result: dict) -> list[str]:
    """Whole commands, process start to exit, and their excess over `import mesa`."""
    data = result["single_run"]
    lines = [f"Whole commands, process start to exit (median of {data['repeats']} interleaved "
             "repeats):", "",
             "| command | wall s | CPU s | over `import mesa`: wall | CPU |",
             "|---|---:|---:|---:|---:|"]
    for row in data["rows"]:
        lines.append(f"| `{row['command']}` | {row['seconds']:.2f} | {row['cpu_seconds']:.2f} | "
                     f"{row['over_mesa_seconds']:+.2f} | {row['over_mesa_cpu_seconds']:+.2f} |")
    return lines


def sweep(result: dict) -> list[str]:
    """The demo sweep, both paths."""
    if "sweep" not in result:
        return []
    first = result["sweep"]["numba"]
    lines = [f"The demo sweep ({first['runs']} runs of 1 000 cadres for 40 years, "
             f"{first['workers']} workers, median of {first['repeats']}):", "",
             "| path | runs/s once running | whole sweep s | CPU s, all processes "
             "| CPU ms per run | peak memory MB |", "|---|---:|---:|---:|---:|---:|"]
    for backend, s in result["sweep"].items():
        lines.append(f"| {backend} | {s['steady_runs_per_second']:.1f} | {s['seconds']:.1f} | "
                     f"{s['cpu_seconds']:.1f} | {1e3 * s['cpu_seconds'] / s['runs']:.0f} | "
                     f"{s['peak_mb']:.0f} |")
    return lines


def batched(result: dict) -> list[str]:
    """Batched replicates against the same runs made one by one."""
    if "batched" not in result:
        return []
    rows = result["batched"]
    lines = [f"Batched replicates (R runs of the default model, {rows[0]['years']} years, one "
             f"array step; CPU time of the fastest of {rows[0]['rounds']} round(s)):", "",
             "| cadres | R | lone: runs per CPU s | batch: runs per CPU s | batch / lone |",
             "|---:|---:|---:|---:|---:|"]
    for r in rows:
        lone, batch = r["replicates"] / r["lone_cpu"], r["replicates"] / r["batch_cpu"]
        lines.append(f"| {r['cadres']:,} | {r['replicates']} | {lone:.1f} | {batch:.1f} | "
                     f"{batch / lone:.2f} |")
    return lines


def national(result: dict) -> list[str]:
    """The whole civil service."""
    if "national" not in result:
        return []
    nat = result["national"]
    return [f"National scale ({nat['backend']}): {nat['n']:,} cadres for {nat['years']} years "
            f"took {nat['total_seconds']:.0f} s ({nat['total_cpu_seconds']:.0f} s CPU), "
            f"construction {nat['build_seconds']:.1f} s ({nat['build_cpu_seconds']:.1f} s CPU, "
            f"peak {nat['build_peak_rss_mb']:.0f} MB); peak memory of the run "
            f"{nat['peak_rss_mb']:.0f} MB."]


def markdown(result: dict) -> str:
    """The whole summary."""
    m = result["machine"]
    load = result.get("load_average_after", m["load_average"])
    parts = [
        targets(result), throughput_table(result), phases(result), per_run(result),
        single_run(result), batched(result), sweep(result), national(result),
        [f"Measured {result['date']} on {m['cpu']} ({m['cores']} cores, {m['memory_gb']} GB), "
         f"Python {m['python']}, NumPy {m['numpy']}, Numba {m['numba']}, Mesa {m['mesa']}; "
         f"median of {result['repeats']} repeat(s); load average "
         f"{m['load_average'][0]:.1f} at the start, {load[0]:.1f} at the end."],
    ]
    return "\n\n".join("\n".join(part) for part in parts if part)


def readme_with(text: str, summary: str) -> str:
    """The README ``text`` with its copy of the summary (between the markers) replaced."""
    pattern = re.compile(re.escape(README_START) + r".*?" + re.escape(README_END), re.S)
    if not pattern.search(text):
        raise SystemExit(f"docs/performance.md: no {README_START} ... {README_END} block to "
                         "update")
    block = f"{README_START}\n{summary}\n{README_END}"
    return pattern.sub(lambda _: block, text)


def main(argv: list[str]) -> int:
    """``python -m benchmarks.report RESULT.json``: print the summary of a stored result."""
    if len(argv) != 1:
        raise SystemExit("usage: python -m benchmarks.report RESULT.json")
    print(markdown(json.loads(Path(argv[0]).read_text(encoding="utf-8"))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
