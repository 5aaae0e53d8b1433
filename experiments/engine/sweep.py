"""A sweep into a results folder: plan, execute under supervision, write parts as runs finish.

Runs go to the executor in chunks (a worker process is reused for many runs) with a bounded
number of chunks in flight, and each finished chunk becomes one Parquet part, so memory stays
flat however large the sweep. A run that raises is recorded as failed with its traceback; the
sweep goes on. Rerunning a sweep skips the runs already done and retries the failed ones
(docs/results-format.md, "Resuming").
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import sys
import time
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from experiments.engine import adaptive, storage
from experiments.engine.manifest import build_manifest, now, status_counts
from experiments.engine.plan import SweepPlan, default_chunk_size, plan_sweep
from experiments.engine.run import Simulate, chunk_size_for
from experiments.engine.spec import Spec
from experiments.engine.supervise import execute
from simulation.digest import model_digest
from simulation.loading import ConfigError


@dataclass
class SweepReport:
    """What a sweep did: final status counts and this session's share."""

    out: Path
    total: int
    ok: int
    failed: int
    pending: int
    skipped: int  # already done (ok) when this session started
    ran: int  # runs executed in this session
    seconds: float


def run_sweep(
    spec: Spec | SweepPlan,
    executor: Executor,
    resume: bool = True,
    fresh: bool = False,
    progress: bool = True,
    *,
    parallelism: int | None = None,
    chunk_size: int | None = None,
    simulate: Simulate | None = None,
    run_timeout: float | None = None,
    model_changed: bool = False,
) -> SweepReport:
    """Run every run of a spec that is not yet done, on ``executor``; return the counts.

    Args:
        spec: the validated spec (or its plan from :func:`plan_sweep`).
        executor: any ``concurrent.futures.Executor``: :class:`SerialExecutor`, a process
            pool, a Dask ``client.get_executor()``.
        resume: continue a folder holding earlier results of the same spec: runs done are
            skipped, failed runs are run again. False refuses a folder that has results.
        fresh: delete the folder's results (manifest, runs/, series/) first.
        progress: a progress bar on stderr (runs done, failures, ETA).
        parallelism: how many runs the executor runs at once (sets the chunks in flight:
            twice this); default: the executor's ``_max_workers``, else 2.
        chunk_size: runs per executor task (default: :func:`default_chunk_size`).
        simulate: the function that runs the model, ``(config, seed, steps) -> table``
            (tests inject failures through it; for a process pool or Dask it must be a
            module-level function, so that it can be pickled).
        run_timeout: seconds a run may take before it is recorded as failed (overrides the
            spec's ``run_timeout``).
        model_changed: resume a folder whose runs another version of the model made (each
            session's model is recorded); without it such a folder is refused.
    """
    plan = spec if isinstance(spec, SweepPlan) else plan_sweep(spec)
    if run_timeout is not None:
        plan.settings = dataclasses.replace(plan.settings, timeout=run_timeout)
    out = plan.out
    storage.check_output_folder(out)
    started = time.perf_counter()
    with storage.results_lock(out):
        previous = storage.prepare_results_folder(out, plan.spec.spec_hash(), fresh=fresh)
        model = model_digest()
        if previous is not None and not model_changed:
            check_same_model(out, previous, model)
        target = plan.spec.replication_target
        if target is not None:  # replay the stages the runs on disk completed
            plan.counts = adaptive.replay(
                adaptive.completed_values(out, list(target.precision)), plan.counts, target)
        records = plan.run_records()
        if previous is not None and _records_differ(previous.get("runs"), records, target):
            raise ConfigError(
                f"{out} holds results made from different configs (the base config, a preset "
                "or the model's defaults changed since); rerun with --fresh to start over"
            )
        for message in storage.check_parts(out, plan.spec.spec_hash(), records):
            print(f"cadresim sweep: {out}: {message}", file=sys.stderr)
        storage.remove_debris(out)
        finished = storage.finished_runs(out)
        if finished and not resume:
            raise ConfigError(
                f"{out} already holds {len(finished)} runs of this spec; rerun with --resume to "
                "continue or --fresh to start over"
            )
        retry = {rid: part for rid, (status, part) in finished.items() if status != "ok"}
        storage.drop_runs(out, retry)
        done = {rid for rid, (status, _) in finished.items() if status == "ok"}
        manifest = build_manifest(plan, previous, records, model)
        del records
        manifest["status"] = status_counts(plan, {rid: ("ok", "") for rid in done})
        storage.write_json_atomic(manifest, out / storage.MANIFEST)

        writer = storage.PartWriter(
            out, storage.next_session(out), plan.runs_schema(), plan.series_schema(),
            plan.spec.spec_hash(),
        )
        counts = {"ok": 0, "failed": 0}
        parallelism = parallelism or getattr(executor, "_max_workers", None) or 2
        pending = (key for key in plan.runs() if key.run_id not in done)
        pending_runs = plan.n_runs - len(done)
        size = chunk_size or chunk_size_for(
            default_chunk_size(pending_runs, parallelism), _cadres(plan), pending_runs,
            parallelism, plan.settings, simulate)
        chunks = (list(plan.tasks(batch)) for batch in itertools.batched(pending, size))
        complete = target is None
        try:
            execute(chunks, plan.n_runs, len(done), plan.settings, executor, writer, counts,
                     progress, parallelism, simulate, plan.spec.name)
            while not complete:  # replications by precision: stage after stage
                complete = _next_stage(plan, manifest, executor, writer, counts, progress,
                                       parallelism, simulate)
        except BaseException:
            # a full disk, an interrupt: the manifest's counts are brought up to date if they
            # can be (a rerun recounts them from the parts anyway); the first error is the one
            # reported
            with contextlib.suppress(OSError):
                _close_session(plan, manifest, counts, complete=False)
            raise
        _close_session(plan, manifest, counts, complete)
    status = manifest["status"]
    return SweepReport(
        out, plan.n_runs, status["ok"], status["failed"], status["pending"], len(done),
        counts["ok"] + counts["failed"], time.perf_counter() - started,
    )


def _cadres(plan: SweepPlan) -> int | None:
    """Cadres a run of the sweep has (a config planning validated; None if none is kept)."""
    config = next(iter(plan.configs.values()), None)
    return None if config is None else config.organisation.n_cadres


def _close_session(
    plan: SweepPlan, manifest: dict[str, Any], counts: dict[str, int], complete: bool
) -> None:
    """Write the manifest's final counts for this session (and ``finished`` when all is done)."""
    manifest["status"] = status_counts(plan, storage.finished_runs(plan.out))
    session = manifest["sessions"][-1]
    session.update(finished=now(), ran=counts["ok"] + counts["failed"], **counts)
    if manifest["status"]["pending"] == 0 and complete:
        manifest["finished"] = session["finished"]
    storage.write_json_atomic(manifest, plan.out / storage.MANIFEST)


def check_same_model(out: Path, previous: dict[str, Any], model: str) -> None:
    """Refuse to resume ``out`` if its runs were made by another model than ``model``.

    Two models' runs in one folder would be analysed as one experiment. The digest
    (``simulation.digest.model_digest``) changes with any edit of the model's code or presets; a
    folder written before manifests recorded it is resumed as before.
    """
    recorded = previous.get("model")
    if isinstance(recorded, str) and recorded != model:
        raise ConfigError(
            f"{out} holds runs made by another version of the model (model {recorded}, this "
            f"code's {model}): resuming would mix two models' results; start over (cadresim "
            "sweep --fresh, or another folder), or continue anyway with cadresim sweep "
            "--model-changed (each session's model is recorded in the manifest)"
        )


def _records_differ(previous: Any, records: dict[str, dict[str, Any]], target: Any) -> bool:
    """Whether a folder's recorded runs contradict this plan's.

    Any difference for fixed replications; for replications by precision, a difference on the runs
    both name.
    """
    if target is None or not isinstance(previous, dict):
        return previous != records
    return any(previous[rid] != rec for rid, rec in records.items() if rid in previous)


def _next_stage(
    plan: SweepPlan,
    manifest: dict[str, Any],
    executor: Executor,
    writer: storage.PartWriter,
    counts: dict[str, int],
    progress: bool,
    parallelism: int,
    simulate: Simulate | None,
) -> bool:
    """Decide, record and run the next stage of replications by precision.

    The stage is decided from the completed runs and recorded in the manifest. True when this
    session has nothing more to run: no point grows, or a failed run leaves the stage undecided
    (a rerun retries it and goes on).
    """
    target = plan.spec.replication_target
    assert target is not None
    values = adaptive.completed_values(plan.out, list(target.precision))
    done, ok = adaptive.stage_complete(values, plan.counts)
    grown = adaptive.next_counts(values, plan.counts, target) if done and ok else plan.counts
    complete = done and ok and grown == plan.counts
    if done and not ok:  # a failed run: stop here, a rerun retries it and decides
        manifest["precision"] = adaptive.manifest_entry(values, plan.counts, target, False)
        return True
    old = plan.counts
    plan.counts = grown
    manifest["runs"] = plan.run_records()
    manifest["precision"] = adaptive.manifest_entry(values, old, target, complete)
    manifest["status"] = status_counts(plan, storage.finished_runs(plan.out))
    storage.write_json_atomic(manifest, plan.out / storage.MANIFEST)
    if complete:
        return True
    new = [key for key in plan.runs() if key.replicate >= old[key.point]]
    size = chunk_size_for(default_chunk_size(len(new), parallelism), _cadres(plan), len(new),
                          parallelism, plan.settings, simulate)
    chunks = (list(plan.tasks(batch)) for batch in itertools.batched(new, size))
    execute(chunks, plan.n_runs, plan.n_runs - len(new), plan.settings, executor, writer,
             counts, progress, parallelism, simulate, plan.spec.name)
    return False

