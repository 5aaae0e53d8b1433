"""Replications by precision: how many replicates each point runs next.

A spec may write ``replications: {precision: {inaction: 0.005}, min: 10, max: 200}``. Every point
first runs ``min`` replicates (a *stage*). When every run of a stage has a row, each point's 95%
t half-width ``t(0.975, n-1) s / sqrt(n)`` of each named metric is computed **from its first n
replicates only** (n = the point's planned count); a point whose half-widths are all at most
their targets stops, the others grow to

    n' = min(max, max(n + 1, min(2 n, ceil((t(0.975, n-1) s / target)^2))))

(the count the current sd asks for, at most doubling per stage, at most ``max``). The next
stage runs the new replicates, and so on until no point grows.

Each decision reads only completed runs with replicate < n, taken in replicate order, and run
values are a pure function of (config, seed): the counts do not depend on the executor, the
number of workers, the chunking or the order runs finished. A resumed sweep replays the stages
from the runs on disk (:func:`replay`) and continues where it stopped, so a kill and a rerun
run no replicate twice and end with the counts of an uninterrupted sweep. A stage with a failed
run stops the sweep (the counts cannot be decided); a rerun retries the failure and goes on.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from experiments.engine import storage
from experiments.engine.spec import ReplicationTarget

LEVEL = 0.95


def completed_values(out: str | os.PathLike[str], metrics: list[str]) -> pd.DataFrame:
    """``point``, ``replicate``, ``status`` and ``metrics`` of every run with a row in runs/."""
    columns = ["point", "replicate", "status", *metrics]
    parts = [pq.read_table(p, columns=columns).to_pandas()
             for p in storage.part_files(out, storage.RUNS)]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)


def t_quantile(p: float, df: int) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (SciPy, loaded now)."""
    from scipy import stats

    return float(stats.t.ppf(p, df))


def half_width(values: np.ndarray, level: float = LEVEL) -> float:
    """Half-width of the t-interval of the mean of ``values`` (inf under 2 values)."""
    n = len(values)
    if n < 2:
        return math.inf
    return t_quantile(0.5 + level / 2, n - 1) * float(np.std(values, ddof=1)) / \
        math.sqrt(n)


def _wanted(values: np.ndarray, target: float, level: float) -> int:
    """Replicates the current sd asks for to reach ``target``."""
    n = len(values)
    sd = float(np.std(values, ddof=1))
    return math.ceil((t_quantile(0.5 + level / 2, n - 1) * sd / target) ** 2)


def stage_complete(values: pd.DataFrame, counts: list[int]) -> tuple[bool, bool]:
    """(every planned run has a row, every planned run is ok)."""
    planned = values[values["replicate"] < values["point"].map(dict(enumerate(counts)))]
    total = sum(counts)
    return len(planned) >= total, int((planned["status"] == "ok").sum()) >= total


def point_status(values: pd.DataFrame, counts: list[int],
                 target: ReplicationTarget) -> list[dict[str, Any]]:
    """Per point.

    Its planned replicates, each named metric's half-width over its first ``counts[point]`` ok
    replicates, and whether every target is reached.
    """
    rows = []
    by_point = {int(p): g for p, g in values[values["status"] == "ok"].groupby("point")}
    empty = values.iloc[0:0]
    for point, n in enumerate(counts):
        part = by_point.get(point, empty)
        part = part[part["replicate"] < n].sort_values("replicate")
        widths = {m: half_width(part[m].to_numpy(dtype=float)) for m in target.precision}
        reached = all(widths[m] <= t for m, t in target.precision.items())
        rows.append({"point": point, "replications": n,
                     "half_widths": {m: (w if math.isfinite(w) else None)
                                     for m, w in widths.items()},
                     "reached": reached})
    return rows


def next_counts(values: pd.DataFrame, counts: list[int], target: ReplicationTarget,
                level: float = LEVEL) -> list[int]:
    """The next stage's replicates per point (the same counts: the sweep is done)."""
    ok = values[values["status"] == "ok"]
    by_point = {int(p): g for p, g in ok.groupby("point")}
    new = []
    for point, n in enumerate(counts):
        part = by_point.get(point, ok.iloc[0:0])
        part = part[part["replicate"] < n].sort_values("replicate")
        wanted = n
        for metric, goal in target.precision.items():
            x = part[metric].to_numpy(dtype=float)
            if half_width(x, level) > goal:
                wanted = max(wanted, _wanted(x, goal, level), n + 1)
        new.append(min(target.max, max(n, min(2 * n, wanted))))
    return new


def replay(values: pd.DataFrame, counts: list[int], target: ReplicationTarget) -> list[int]:
    """The counts an uninterrupted sweep had reached with the runs on disk.

    Stages are replayed while every planned run of a stage is done and ok.
    """
    while True:
        done, ok = stage_complete(values, counts)
        if not (done and ok):
            return counts
        grown = next_counts(values, counts, target)
        if grown == counts:
            return counts
        counts = grown


def manifest_entry(values: pd.DataFrame, counts: list[int], target: ReplicationTarget,
                   done: bool) -> dict[str, Any]:
    """The manifest's ``precision`` section: targets, per-point status, how many reached."""
    points = point_status(values, counts, target)
    return {
        "targets": dict(target.precision), "min": target.min, "max": target.max,
        "level": LEVEL, "done": done,
        "reached": sum(p["reached"] for p in points), "of": len(points),
        "points": points,
    }
