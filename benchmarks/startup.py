"""Whole commands timed from process start to exit, side by side: a single run against Mesa.

The issue's single-run check: ``cadresim run default --steps 40`` (1 000 cadres) against a bare
``python -c "import mesa"``, with the Numba kernels and with the NumPy reference path, plus the
commands that must answer quickly (``--help``, ``regimes``, a bad config). The commands
alternate within each repeat (after one untimed warm-up round, which also fills Numba's cache);
wall-clock and CPU seconds (the child's, from ``getrusage``) are the medians over repeats, and
the excess over ``import mesa`` is taken within each repeat, then the median.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The single run of the check, as the issue words it.
SINGLE_RUN = ("run", "default", "--steps", "40")


def cadresim() -> list[str]:
    """The ``cadresim`` command installed beside this Python (else ``python -m``)."""
    script = Path(sys.executable).with_name("cadresim")
    return [str(script)] if script.exists() else [sys.executable, "-m", "experiments.cli"]


def commands() -> dict[str, tuple[list[str], dict[str, str]]]:
    """Label -> (command, extra environment) of every command timed."""
    cli = cadresim()
    return {
        "python -c 'import mesa'": ([sys.executable, "-c", "import mesa"], {}),
        # As a researcher types it: a lone run this small takes the NumPy path
        # (simulation.kernels.prefer_for_one_run); the two below force each path.
        "cadresim run default --steps 40": ([*cli, *SINGLE_RUN], {}),
        "cadresim run default --steps 40 (Numba)": (
            [*cli, *SINGLE_RUN], {"CADRESIM_KERNELS": "numba"}),
        "cadresim run default --steps 40 (NumPy)": (
            [*cli, *SINGLE_RUN], {"CADRESIM_KERNELS": "numpy"}),
        "cadresim --help": ([*cli, "--help"], {}),
        "cadresim regimes": ([*cli, "regimes"], {}),
        "cadresim run (a bad config)": (
            [*cli, "run", "default", "--set", "organisation.n_cadres=ten"], {}),
    }


def time_process(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one command, from start to exit (CPU: user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(repeats: int) -> dict:
    """Every command timed ``repeats`` times, interleaved; medians and the excess over Mesa."""
    todo = commands()
    for command, env in todo.values():  # warm-up: file cache, .pyc files, Numba's cache
        time_process(command, env)
    samples: dict[str, list[tuple[float, float]]] = {label: [] for label in todo}
    for rep in range(repeats):
        for label, (command, env) in todo.items():
            samples[label].append(time_process(command, env))
        print(f"  [{rep + 1}/{repeats}] single run: "
              f"{samples['cadresim run default --steps 40'][-1][0]:.2f} s wall, "
              f"import mesa {samples['python -c ' + repr('import mesa')][-1][0]:.2f} s",
              flush=True)
    mesa = samples["python -c 'import mesa'"]
    rows = []
    for label, runs in samples.items():
        rows.append({
            "command": label,
            "seconds": statistics.median(w for w, _ in runs),
            "cpu_seconds": statistics.median(c for _, c in runs),
            "over_mesa_seconds": statistics.median(w - m[0] for (w, _), m in zip(runs, mesa,
                                                                                  strict=True)),
            "over_mesa_cpu_seconds": statistics.median(c - m[1] for (_, c), m in zip(runs, mesa,
                                                                                      strict=True)),
            "runs": runs,
        })
    return {"repeats": repeats, "rows": rows}
