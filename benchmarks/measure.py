"""One benchmark measurement, run in a fresh child process (``python -m benchmarks.measure``).

Each measurement prints one JSON record with wall-clock and CPU seconds side by side (CPU time
is what a busy machine distorts least) and the process's peak resident memory. The hot path's
implementation is whatever ``CADRESIM_KERNELS`` chose for the process; the record says which.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

#: Wall-clock seconds of stepping to aim for per throughput measurement (at least MIN_STEPS).
TARGET_SECONDS = {"model": 2.0, "reference": 4.0}
MIN_STEPS = 2


class Stopwatch:
    """Wall-clock and CPU seconds since it was made (or last ``split``)."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def split(self) -> tuple[float, float]:
        """(wall, CPU) seconds since the last split; starts the next."""
        wall, cpu = time.perf_counter(), time.process_time()
        spent = (wall - self.wall, cpu - self.cpu)
        self.wall, self.cpu = wall, cpu
        return spent


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def backend() -> str:
    """The hot path's implementation in force in this process (``numba`` or ``numpy``)."""
    from simulation import kernels

    return kernels.backend()


def _config(n: int, years: int | None = None) -> Any:
    from simulation import load_config

    overrides: dict[str, Any] = {"organisation.n_cadres": n}
    if years is not None:
        overrides["steps"] = years
    return load_config(None, overrides)


def throughput(kind: str, n: int, seed: int = 1) -> dict[str, Any]:
    """Build time, steady-state agent-steps per second and phase split of ``kind`` at ``n``.

    ``kind`` is ``model`` (CadreModel) or ``reference`` (the per-agent Mesa reference). One
    warm-up step first (first-call costs are not throughput), then enough steps to fill
    ``TARGET_SECONDS`` of wall-clock time.
    """
    from simulation.timing import PhaseClock

    if kind == "model":
        from simulation import CadreModel as Model
    else:
        from benchmarks.reference import ReferenceModel as Model
    config = _config(n)
    watch = Stopwatch()  # construction only: imports and the config are not timed
    model = Model(config, seed=seed)
    build_wall, build_cpu = watch.split()
    model.step()
    watch.split()
    model.step()
    one, _ = watch.split()
    steps = max(MIN_STEPS, int(TARGET_SECONDS[kind] / max(one, 1e-6)))
    for _ in range(steps):
        model.step()
    wall, cpu = watch.split()
    clock = PhaseClock(time.process_time)  # the phases in CPU time, over as many more steps
    if kind == "model":
        model.phase_clock = clock
        for _ in range(steps):
            model.step()
    return {
        "kind": kind, "n": n, "steps": steps, "backend": backend(),
        "build_seconds": build_wall, "build_cpu_seconds": build_cpu,
        "step_seconds": wall / steps, "step_cpu_seconds": cpu / steps,
        "agent_steps_per_second": n * steps / wall,
        "agent_steps_per_cpu_second": n * steps / cpu,
        "phase_cpu_seconds_per_step": (
            {k: v / steps for k, v in clock.totals.items()} if kind == "model" else {}
        ),
        "peak_rss_mb": peak_rss_mb(),
    }


def national(n: int, years: int, seed: int = 1) -> dict[str, Any]:
    """A full run as a researcher does it: construction plus every year, timed together."""
    from simulation import CadreModel

    config = _config(n, years)
    watch = Stopwatch()
    model = CadreModel(config, seed=seed)
    build_wall, build_cpu = watch.split()
    build_rss = peak_rss_mb()
    model.run(years)
    run_wall, run_cpu = watch.split()
    return {
        "kind": "national", "n": n, "years": years, "backend": backend(),
        "build_seconds": build_wall, "build_cpu_seconds": build_cpu,
        "build_peak_rss_mb": build_rss,
        "total_seconds": build_wall + run_wall, "total_cpu_seconds": build_cpu + run_cpu,
        "peak_rss_mb": peak_rss_mb(),
    }


def _median_ms(samples: list[float]) -> float:
    ordered = sorted(samples)
    return 1e3 * ordered[len(ordered) // 2]


def per_run(runs: int, n: int = 1000, years: int = 40, burn_in: int = 10) -> dict[str, Any]:
    """Where a sweep run's CPU time goes: build, stepping, table, reduction, and in all.

    Each part is the median over ``runs`` runs (seeds 1 ..) of CPU milliseconds. ``run_one`` is
    what a sweep worker does for one run (the model, its table, its reduction and kept series,
    as the demo keeps them); ``datacollector`` is what a Mesa user pays, only when asking for
    ``model.datacollector`` after the run (it is then filled from the record).
    """
    from experiments.engine.run import RunSettings, RunTask, run_one
    from simulation import CadreModel
    from simulation.outputs import STEP_COLUMNS, reduce_run, run_outputs

    config = _config(n, years)
    series = ("inaction", "lying_flat", "formalism", "avoidance", "bold", "afraid")
    settings = RunSettings(years, burn_in, STEP_COLUMNS, series)
    outputs = run_outputs(STEP_COLUMNS)
    parts: dict[str, list[float]] = {}

    def timed(name: str, action: Callable[[], Any]) -> Any:
        start = time.process_time()
        result = action()
        parts.setdefault(name, []).append(time.process_time() - start)
        return result

    run_one(RunTask("warm-up", 0, 0, 0, "default", {}, config), settings)
    for seed in range(1, runs + 1):
        model = timed("build", lambda seed=seed: CadreModel(config, seed=seed))
        timed("stepping", lambda model=model: [model.step() for _ in range(years)])
        table = timed("results_table", model.results_table)
        timed("reduce_run", lambda table=table: reduce_run(table, burn_in, outputs))
        timed("datacollector", lambda model=model: model.datacollector)
        task = RunTask(f"run-{seed}", 0, seed, seed, "default", {}, config)
        timed("run_one", lambda task=task: run_one(task, settings))
    return {
        "kind": "per_run", "n": n, "years": years, "runs": runs, "backend": backend(),
        "cpu_ms": {name: _median_ms(samples) for name, samples in parts.items()},
        "peak_rss_mb": peak_rss_mb(),
    }


def main(argv: list[str]) -> int:
    """``KIND ARGS...``: throughput model|reference N; national N YEARS; per_run RUNS."""
    kind, *rest = argv
    if kind in ("model", "reference"):
        record = throughput(kind, int(rest[0]))
    elif kind == "national":
        record = national(int(rest[0]), int(rest[1]))
    elif kind == "per_run":
        record = per_run(int(rest[0]))
    else:
        raise SystemExit(f"unknown measurement {kind!r}")
    print(json.dumps(record))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
