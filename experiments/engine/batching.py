"""Which runs of a chunk run as one batch, and how many (issue 21, item 2).

Runs of one design point (the same config but for the seed), or of configs that differ only in
the fields a batch takes run by run (``simulation.batched.PER_RUN``: a posterior's draws, a
calibration's particles), share one array step (``simulation.batched``), each keeping its own
streams, so its results are its lone run's bit for bit. The gain is the step's fixed Python
cost, shared by the batch: small runs gain, large ones do not, so the batch size is chosen from
the run's size. A batch that raises is run again
run by run, so a failing run fails alone and the others of its batch succeed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from simulation import kernels

if TYPE_CHECKING:  # run.py imports this module; the types only
    from experiments.engine.run import RunSettings, RunTask

#: Runs larger than this run alone: the step's per-cadre work dwarfs its fixed cost.
MAX_BATCHED_CADRES = 5_000
#: Slots a batch aims at (replicates x cadres): 8 runs of 1 000 cadres, 16 of 400.
BATCH_SLOTS = 8_000
#: The most replicates in one batch.
MAX_REPLICATES = 16


def replicates_per_batch(n_cadres: int) -> int:
    """How many runs of ``n_cadres`` cadres one batch holds (1: the run runs alone)."""
    if n_cadres > MAX_BATCHED_CADRES:
        return 1
    return max(1, min(MAX_REPLICATES, BATCH_SLOTS // max(1, n_cadres)))


def batchable(settings: RunSettings) -> bool:
    """Whether this sweep's runs may be batched at all.

    Only on the compiled path (the batch's phases are pinned to it) and without a run timeout
    (a batch outlives a run's timeout, and the sweep's board would take it for a stuck run).
    """
    return kernels.compiled() and not settings.timeout


def batches(tasks: list[RunTask], settings: RunSettings) -> Iterator[list[RunTask]]:
    """``tasks`` in order, in batches of consecutive runs that may share one (or alone)."""
    from simulation.batched import batch_mates

    allowed = batchable(settings)
    batch: list[RunTask] = []
    for task in tasks:
        size = replicates_per_batch(task.config.organisation.n_cadres) if allowed else 1
        if batch and (len(batch) >= size or not batch_mates(batch[0].config, task.config)):
            yield batch
            batch = []
        batch.append(task)
    if batch:
        yield batch


def chunk_size(default: int, n_cadres: int | None, pending: int, parallelism: int,
               settings: RunSettings) -> int:
    """Runs per executor task: ``default``, raised to hold one whole batch where runs batch.

    Batches form inside a chunk, so a chunk smaller than a batch would cap it; the raise stops
    at an even share of the pending runs per worker, so every worker still gets work.
    """
    if n_cadres is None or not batchable(settings):
        return default
    share = -(-pending // max(1, parallelism))
    return max(default, min(replicates_per_batch(n_cadres), share))


def simulate_batch(tasks: list[RunTask], steps: int) -> list[Any]:
    """The per-step tables of ``tasks`` (runs that may share a batch), run as one batch."""
    from simulation.batched import run_replicates

    return run_replicates([task.config for task in tasks], [task.seed for task in tasks], steps)
