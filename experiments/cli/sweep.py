"""``cadresim sweep SPEC``: run an experiment spec into a results folder (docs/results-format.md).

Exit codes: 0 when every run succeeded, 1 when some failed (they are recorded, and retried by
the next rerun), 2 for a bad spec or flag, or a results folder that holds another spec's results.

Worker processes start first: with ``--workers N`` (N > 1) the forkserver that forks them begins
importing the model while this process reads the spec and plans the sweep, on another core.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Iterator
from concurrent.futures import BrokenExecutor, Executor

from experiments.cli.argtypes import whole_number
from simulation.errors import ConfigError

#: Designs of at least this many points are announced before they are planned.
LARGE_DESIGN = 10_000

#: Dask settings of a local cluster: the sweep retries a run whose worker died itself, knowing
#: which run it was (Dask would rerun a poisoned task on every worker in turn), and a worker
#: slow to restart on a loaded machine is waited for (after 15 s, Dask's default, the cluster
#: drops it, and with all its workers dropped the sweep would wait forever).
LOCAL_DASK = {
    "distributed.scheduler.allowed-failures": 0,
    "distributed.deploy.lost-worker-timeout": "10 minutes",
}

def positive_seconds(text: str) -> float:
    """An argparse ``type``: seconds, more than 0 and at most a week."""
    from experiments.engine.spec import MAX_RUN_TIMEOUT

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not 0 < value <= MAX_RUN_TIMEOUT:
        raise argparse.ArgumentTypeError(
            f"must be more than 0 and at most {MAX_RUN_TIMEOUT:g} (a week), got {text!r}"
        )
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``sweep`` subcommand."""
    sweep = subparsers.add_parser(
        "sweep",
        help="run an experiment spec (a sweep) into a results folder",
        description="Run every run of an experiment spec (configs/experiments/*.yaml) and "
        "write one Parquet row per run, as runs finish. Rerunning resumes: runs already done "
        "are skipped, failed runs are retried.",
    )
    sweep.add_argument("spec", metavar="SPEC", help="experiment spec (YAML)")
    sweep.add_argument(
        "--workers", type=whole_number(1), metavar="N",
        help="worker processes on this machine (default 1); a run that crashes or hangs its "
        "worker is recorded as failed and the sweep goes on",
    )
    where = sweep.add_mutually_exclusive_group()
    where.add_argument(
        "--in-process", action="store_true",
        help="run every run in this process, one after another, for debugging (pdb, "
        "profilers); a run that crashes the interpreter ends the sweep (finished runs are "
        "kept), and run_timeout cannot stop a run stuck in native code",
    )
    where.add_argument(
        "--scheduler", metavar="ADDRESS",
        help="run on a Dask cluster, e.g. tcp://10.0.0.5:8786",
    )
    where.add_argument(
        "--dask-local", type=whole_number(1), metavar="N",
        help="start a local Dask cluster of N single-threaded workers for this sweep",
    )
    mode = sweep.add_mutually_exclusive_group()
    mode.add_argument(
        "--resume", action="store_true", default=True,
        help="continue earlier results of the same spec (the default)",
    )
    mode.add_argument(
        "--fresh", action="store_true",
        help="delete the output folder's results (manifest, runs/, series/) and start over",
    )
    sweep.add_argument(
        "--chunk-size", type=whole_number(1), metavar="K",
        help="runs per task sent to a worker (default: automatic, at most 32)",
    )
    sweep.add_argument(
        "--run-timeout", type=positive_seconds, metavar="SECONDS",
        help="record a run that takes longer as failed (default: the spec's run_timeout, "
        "else no limit)",
    )
    sweep.add_argument(
        "--model-changed", action="store_true",
        help="resume a folder whose runs another version of the model made (refused "
        "otherwise: its results and this code's would be mixed)",
    )
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")
    sweep.set_defaults(handler=cmd_sweep)


@contextlib.contextmanager
def open_executor(
    workers: int | None, scheduler: str | None, dask_local: int | None, in_process: bool = False
) -> Iterator[tuple[Executor, int, str]]:
    """The executor the flags ask for, its parallelism and a description; closed on exit.

    Runs go to worker processes (one by default), so that a run that crashes or hangs its
    process is contained; ``in_process`` runs them in this process (debugging).
    """
    from experiments.engine.executors import SerialExecutor, local_pool
    from simulation.loading import clip, shown

    check_executor_flags(workers, scheduler, dask_local)
    if in_process:
        if workers is not None:
            raise ConfigError("--workers: not with --in-process (it runs in this process)")
        yield SerialExecutor(), 1, "this process"
        return
    if scheduler or dask_local:
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - a dependency
            raise ConfigError("--scheduler/--dask-local need dask[distributed]") from None
        with contextlib.ExitStack() as stack:
            if dask_local:
                print(f"starting a local Dask cluster of {dask_local} workers (about 5-20 s)",
                      file=sys.stderr, flush=True)
                stack.enter_context(dask.config.set(LOCAL_DASK))
                cluster = stack.enter_context(
                    LocalCluster(n_workers=dask_local, threads_per_worker=1, processes=True,
                                 dashboard_address=None, silence_logs=logging.ERROR)
                )
                client = stack.enter_context(Client(cluster))
                where = f"a local Dask cluster of {dask_local} workers"
            else:
                try:
                    client = stack.enter_context(Client(scheduler, timeout="15s"))
                except (OSError, TimeoutError, ValueError, TypeError) as exc:
                    raise ConfigError(
                        f"--scheduler: cannot reach {shown(scheduler)} ({clip(str(exc))}); "
                        "allowed: a Dask scheduler address such as tcp://10.0.0.5:8786"
                    ) from None
                where = f"the Dask cluster at {scheduler}"
            threads = sum(client.nthreads().values()) or 1
            yield client.get_executor(), threads, where
        return
    workers = workers or 1
    with local_pool(workers) as pool:
        yield pool, workers, f"{workers} worker process{'es' if workers > 1 else ''}"


def check_executor_flags(
    workers: int | None, scheduler: str | None, dask_local: int | None
) -> None:
    """Refuse ``--workers`` together with a Dask flag."""
    if workers is not None and (scheduler or dask_local):
        raise ConfigError("--workers: not with --scheduler or --dask-local (Dask sets workers)")


def start_workers_early(args: argparse.Namespace) -> None:
    """Start the forkserver of a local process pool now; workers fork from it later.

    Its import of the model then overlaps this process's own imports, spec validation and
    planning, on another core.
    """
    from experiments.engine.executors import start_forkserver

    check_executor_flags(args.workers, args.scheduler, args.dask_local)
    if not (args.in_process or args.scheduler or args.dask_local):
        start_forkserver()


def cmd_sweep(args: argparse.Namespace) -> int:
    """Plan and run the spec on the executor the flags ask for; 1 if runs failed or remain.

    Ctrl-C, SIGTERM or SIGHUP stop the sweep: what finished is kept, the worker processes (and
    their forkserver) end, and the exit code is 128 + the signal (130 for Ctrl-C).
    """
    from experiments.engine.interrupts import exit_code, user_interrupts

    try:
        with user_interrupts():
            return _sweep(args)
    except KeyboardInterrupt as exc:
        from experiments.engine.executors import stop_forkserver
        from simulation.loading import shown_path

        stop_forkserver()
        print(f"cadresim sweep {shown_path(args.spec)}: interrupted; rerun the same command to "
              "resume", file=sys.stderr)
        return exit_code(exc)


def _sweep(args: argparse.Namespace) -> int:
    start_workers_early(args)
    from experiments.engine.spec import load_spec, planned_points

    spec = load_spec(args.spec)
    from experiments.engine.plan import plan_sweep
    from experiments.engine.storage import check_output_folder
    from experiments.engine.sweep import run_sweep

    check_output_folder(spec.output_dir)
    size = planned_points(spec)
    if size >= LARGE_DESIGN and not args.quiet:
        print(
            f"cadresim sweep {spec.name}: planning {size:,} points x {spec.replications} "
            f"replications = {size * spec.replications:,} runs (every point's config is "
            "validated first)",
            file=sys.stderr,
        )
    plan = plan_sweep(spec, origin=args.spec)
    with open_executor(args.workers, args.scheduler, args.dask_local, args.in_process) as (
        executor, n, where
    ):
        if not args.quiet:
            print(
                f"cadresim sweep {spec.name}: {plan.n_runs} runs ({len(plan.points)} points x "
                f"{spec.replications} replications) on {where} -> {plan.out}",
                file=sys.stderr,
            )
        try:
            report = run_sweep(
                plan, executor, resume=args.resume, fresh=args.fresh, progress=not args.quiet,
                parallelism=n, chunk_size=args.chunk_size, run_timeout=args.run_timeout,
                model_changed=args.model_changed,
            )
        except BrokenExecutor as exc:
            print(
                f"cadresim sweep {spec.name}: a worker process died ({exc}); the runs finished "
                "so far are kept: rerun the same command to resume (with fewer --workers if "
                "memory ran out)",
                file=sys.stderr,
            )
            return 1
    before = f", {report.skipped} done before" if report.skipped else ""
    print(
        f"{spec.name}: {report.ok} ok, {report.failed} failed of {report.total} runs "
        f"({report.ran} in this session{before}, {report.seconds:.1f} s); "
        f"results in {report.out}"
    )
    if report.failed:
        print(
            f"failed runs have status 'failed' and a traceback in the error column of "
            f"{report.out}/runs; rerun the same command to retry them",
            file=sys.stderr,
        )
    return 1 if report.failed or report.pending else 0
