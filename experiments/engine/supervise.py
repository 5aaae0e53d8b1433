"""Supervision: runs fed to an executor, bounded in flight, surviving workers that die or hang.

Each finished batch of runs goes to a sink (a results folder's part writer, or memory) as soon
as it is back, so what finished is kept whatever happens next.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import (
    FIRST_COMPLETED,
    BrokenExecutor,
    Executor,
    Future,
    ProcessPoolExecutor,
    wait,
)
from dataclasses import dataclass
from typing import Any, Protocol

from experiments.engine.executors import SerialExecutor
from experiments.engine.interrupts import user_interrupts
from experiments.engine.run import RunSettings, RunTask, Simulate, run_chunk, run_row
from experiments.engine.runboard import RunBoard


class Sink(Protocol):
    """Where finished runs go: a results folder's ``PartWriter``, or memory (``MemorySink``)."""

    def write(self, rows: list[dict[str, Any]], series: dict[str, list[Any]] | None = None) -> Any:
        """Keep a batch of finished runs' rows and their series."""


def execute(
    chunks: Iterable[list[RunTask]],
    total: int,
    initial: int,
    settings: RunSettings,
    executor: Executor,
    sink: Sink,
    counts: dict[str, int],
    progress: bool,
    parallelism: int,
    simulate: Simulate | None,
    desc: str,
) -> None:
    """Submit chunks of runs and write their results as they complete.

    At most 2 x parallelism chunks are in flight; each chunk's results go to the sink (one part
    of a results folder, or memory) as soon as it completes. Worker processes that die are
    survived (see :class:`Supervisor`).
    """
    from tqdm.auto import tqdm

    bar = tqdm(
        total=total, initial=initial, desc=desc, unit="run",
        file=sys.stderr, disable=not progress, dynamic_ncols=True, smoothing=0.05,
        mininterval=0.5,
    )

    def write(rows: list[dict[str, Any]], series: dict[str, list[Any]] | None) -> None:
        sink.write(rows, series)
        failed = sum(row["status"] != "ok" for row in rows)
        counts["failed"] += failed
        counts["ok"] += len(rows) - failed
        bar.set_postfix(failed=counts["failed"], refresh=False)
        bar.update(len(rows))

    supervisor = Supervisor(executor, settings, simulate, write, 2 * parallelism)
    with bar:
        supervisor.run(chunks)


#: A run whose worker process dies under it this many times is recorded as failed (never
#: retried forever).
MAX_TRIES = 2
#: Seconds past ``run_timeout`` after which the sweep kills the worker process of a run that
#: has not stopped itself (it is stuck outside Python, where its own timeout cannot reach).
HARD_TIMEOUT_GRACE = 2.0


@dataclass
class _Submitted:
    """Runs sent as one executor task.

    ``tier`` 0 is a chunk, 1 a run resent on its own after a failure of its chunk, 2 a run
    resent with nothing else in flight.
    """

    tasks: list[RunTask]
    tier: int


class Supervisor:
    """Feeds runs to an executor, bounded in flight, and survives workers that die or hang.

    Worker processes on this machine note each run they execute on a :class:`RunBoard`. So
    the sweep knows which run a dead worker was running, and it kills the worker of a run
    still going :data:`HARD_TIMEOUT_GRACE` seconds past ``run_timeout`` (stuck in native code,
    where the run's own timeout cannot interrupt it); that run is recorded as timed out.

    When a worker dies (a process pool breaks, or Dask reports ``KilledWorker``), the results
    already returned are kept, a broken pool is rebuilt, and the lost runs are sent again: the
    run the board names is retried with nothing else in flight, the others as tasks of their
    own. A run whose worker dies under it :data:`MAX_TRIES` times is recorded as failed with
    the causes (exit codes or signals, where known). Without the board's word (a worker on
    another machine), the lost runs are suspects: each is resent on its own, then alone, so
    that a death names its run. A Dask task that fails otherwise outside the model has its
    runs resent one per task once; a run that fails so on its own is recorded as failed.
    """

    def __init__(
        self,
        executor: Executor,
        settings: RunSettings,
        simulate: Simulate | None,
        write: Callable[[list[dict[str, Any]], dict[str, list[Any]] | None], None],
        limit: int,
    ) -> None:
        """Supervise ``executor``; ``write`` takes each finished batch of rows and series."""
        self.executor = executor
        self.settings = settings
        self.simulate = simulate
        self.write = write
        self.limit = max(1, limit)
        # Dask would give a resent run the key (and the failure) of its first try
        dask = type(executor).__module__.split(".")[0] == "distributed"
        self.options: dict[str, Any] = {"pure": False} if dask else {}
        # workers in other processes note their runs on a board (closed by run)
        self.board = None if isinstance(executor, SerialExecutor) else RunBoard.open()
        self.hard_limit: float | None = None  # seconds after which a run's worker is killed
        self.poll: float | None = None  # how often the board is read for runs past it
        if settings.timeout and self.board is not None:
            self.hard_limit = settings.timeout + HARD_TIMEOUT_GRACE
            self.poll = min(1.0, max(0.05, settings.timeout / 10))
        self.in_flight: dict[Future, _Submitted] = {}
        self.resend: list[RunTask] = []  # tier 1, sent in parallel
        self.alone: list[RunTask] = []  # tier 2, sent one at a time
        self.deaths: dict[str, list[str]] = {}  # run_id: what ended its worker, each try
        self.unsettled: set[str] = set()  # runs the board saw die with their worker
        self.verdicts: dict[str, str] = {}  # runs whose worker the watchdog killed: the error
        self.killed: set[tuple[int, str]] = set()  # (pid, start) of the processes it killed
        self.processes: dict[int, Any] = {}
        self.rebuilt: list[Executor] = []

    def run(self, chunks: Iterable[list[RunTask]]) -> None:
        """Run every chunk (and every resent run) to a row in the sink.

        Ctrl-C, SIGTERM or SIGHUP to this process end it with :class:`SweepInterrupted`, after
        the workers still running runs are killed; a KeyboardInterrupt a run raises is that
        run's failure.
        """
        with user_interrupts():
            self._run(chunks)

    def _run(self, chunks: Iterable[list[RunTask]]) -> None:
        pending = iter(chunks)
        ended = False
        try:
            while self._fill(pending) or self.in_flight:
                if not self.in_flight:
                    continue
                order = list(self.in_flight)
                finished, _ = wait(order, timeout=self.poll, return_when=FIRST_COMPLETED)
                for future in sorted(finished, key=order.index):
                    if future in self.in_flight:
                        self._collect(future)
                self._watch()
            ended = True
        finally:
            for future in self.in_flight:
                future.cancel()
            if not ended:
                self._end_runs()
            for executor in self.rebuilt:
                executor.shutdown(wait=True, cancel_futures=True)
            if self.board is not None:
                self.board.close()

    def _fill(self, pending: Iterator[list[RunTask]]) -> bool:
        """Submit up to the limit (runs resent on their own first); False when all is sent."""
        while not self.alone and len(self.in_flight) < self.limit:
            if self.resend:
                self._submit([self.resend.pop(0)], 1)
                continue
            tasks = next(pending, None)
            if tasks is None:
                break
            self._submit(tasks, 0)
        else:
            if self.alone and not self.in_flight:
                self._submit([self.alone.pop(0)], 2)
            return True
        return bool(self.resend or self.alone)

    def _submit(self, tasks: list[RunTask], tier: int) -> None:
        try:
            future = self.executor.submit(
                run_chunk, tasks, self.settings, self.simulate, self.board, **self.options
            )
        except BrokenExecutor:  # the pool broke before its broken futures were collected
            if tier == 2:
                self.alone.insert(0, tasks[0])
            else:
                self.resend[:0] = tasks
            self._pool_broke()
            return
        self.in_flight[future] = _Submitted(tasks, tier)
        self.processes.update(getattr(self.executor, "_processes", None) or {})

    def _collect(self, future: Future) -> None:
        sent = self.in_flight.pop(future)
        try:
            rows, series = future.result()
        except BrokenExecutor:
            self.in_flight[future] = sent
            self._pool_broke()
            return
        except BaseException as exc:  # the task failed outside the model (e.g. Dask's KilledWorker)
            named = self._note_deaths({})
            if type(exc).__name__ == "KilledWorker" or named & {t.run_id for t in sent.tasks}:
                self._lost([sent], f"its Dask worker died ({type(exc).__name__}: {exc})")
                return
            if len(sent.tasks) > 1:
                self.resend += sent.tasks
                return
            error = "the run failed outside the model:\n" + traceback.format_exc()
            rows, series = [run_row(task, self.settings, error=error) for task in sent.tasks], None
        self.write(rows, series)

    def _pool_broke(self) -> None:
        """Keep what finished, settle or resend what was in flight, start a fresh pool."""
        codes = self._exit_codes()
        self._note_deaths(codes)
        cause = ", ".join(exit_cause(pid, code) for pid, code in codes.items() if code) or (
            "a worker process ended abruptly")
        lost: list[_Submitted] = []
        for future, sent in list(self.in_flight.items()):
            if future.done() and not future.cancelled() and future.exception() is None:
                self._collect(future)
            else:
                lost.append(sent)
        self.in_flight.clear()
        self.executor = self._fresh_executor()
        self._lost(lost, cause)

    def _lost(self, lost: list[_Submitted], cause: str) -> None:
        """Settle the runs of tasks lost with their worker.

        A run the watchdog stopped is failed (timed out); a run the board saw die with its
        worker is retried alone or failed (:meth:`_settle`), and the runs lost beside it are
        resent. Without such a run, a run lost on its own is blamed (``cause``), and several
        lost together are suspects: resent one per task, or alone if they were already.
        """
        runs = [(task, sent.tier) for sent in lost for task in sent.tasks]
        named = any(t.run_id in self.verdicts or t.run_id in self.unsettled for t, _ in runs)
        for task, tier in runs:
            if task.run_id in self.verdicts:
                self._fail(task, self.verdicts.pop(task.run_id))
            elif task.run_id in self.unsettled:
                self.unsettled.discard(task.run_id)
                self._settle(task)
            elif named:  # it only shared a worker (or a pool) with the run that ended it
                self.resend.append(task)
            elif len(runs) == 1:
                self.deaths.setdefault(task.run_id, []).append(cause)
                self._settle(task)
            else:
                (self.resend if tier == 0 else self.alone).append(task)

    def _settle(self, task: RunTask) -> None:
        """Retry a run whose worker died under it, alone; fail it after MAX_TRIES deaths."""
        deaths = self.deaths[task.run_id]
        if len(deaths) < MAX_TRIES:
            self.alone.append(task)
            return
        self._fail(task, (
            f"the worker process died while running this run, on each of its {len(deaths)} "
            f"tries (a run is tried until its worker has died MAX_TRIES = {MAX_TRIES} times): "
            + "; ".join(deaths)
        ))

    def _fail(self, task: RunTask, error: str) -> None:
        self.write([run_row(task, self.settings, error=error)], None)

    def _note_deaths(self, codes: dict[int, int | None]) -> set[str]:
        """Record a death for each run the board shows in a dead process; their run ids.

        ``codes`` are a broken pool's exit codes by pid. The pool ends its other workers
        (SIGTERM) when one dies: runs in those are not blamed when another death (or the
        watchdog) explains the break. Runs in a process the watchdog killed are not blamed.
        """
        if self.board is None:
            return set()
        dead = [e for e in self.board.entries() if e.pid != os.getpid() and not self.board.alive(e)]
        for entry in dead:
            self.board.remove(entry)
        dead = [e for e in dead if (e.pid, e.start) not in self.killed
                and e.run_id not in self.verdicts]
        ended = [e for e in dead if codes.get(e.pid) == -signal.SIGTERM]
        if len(ended) < len(dead) or any(pid in codes for pid, _ in self.killed):
            dead = [e for e in dead if e not in ended]
        for entry in dead:
            cause = exit_cause(entry.pid, codes.get(entry.pid))
            self.deaths.setdefault(entry.run_id, []).append(cause)
            self.unsettled.add(entry.run_id)
        return {entry.run_id for entry in dead}

    def _watch(self) -> None:
        """Kill the worker process of a run still going past its hard limit: it timed out."""
        if self.board is None or self.hard_limit is None:
            return
        now = time.time()
        for entry in self.board.entries():
            if (now - entry.since <= self.hard_limit or entry.pid == os.getpid()
                    or (entry.pid, entry.start) in self.killed or not self.board.alive(entry)):
                continue
            try:
                os.kill(entry.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):  # it died meanwhile, or is not ours
                continue
            self.killed.add((entry.pid, entry.start))
            self.verdicts[entry.run_id] = (
                f"timed out: the run took longer than run_timeout = {self.settings.timeout:g} s "
                "and did not stop (stuck outside Python, e.g. in native code), so its worker "
                f"process {entry.pid} was killed"
            )

    def _end_runs(self) -> None:
        """On an abnormal end, kill the pool workers still running runs.

        Their results would be lost anyway, and shutting the pool down must not wait on a run
        stuck in native code.
        """
        if self.board is None:
            return
        for entry in self.board.entries():
            if entry.pid in self.processes and self.board.alive(entry):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(entry.pid, signal.SIGKILL)

    def _exit_codes(self) -> dict[int, int | None]:
        """The exit codes of the broken pool's processes by pid, once the pool has ended them.

        The pool's own thread ends and reaps them (an exit code read from two threads can be
        lost); a worker still running after a few seconds (it ignores SIGTERM) is killed, and
        counted as ended by the pool.
        """
        manager = getattr(self.executor, "_executor_manager_thread", None)
        outlived: set[int] = set()
        if manager is not None:
            manager.join(timeout=5.0)
            for pid, process in self.processes.items():
                if manager.is_alive() and process.is_alive():
                    outlived.add(pid)
                    process.kill()
            manager.join(timeout=5.0)
        codes = {
            pid: -signal.SIGTERM if pid in outlived else getattr(process, "exitcode", None)
            for pid, process in self.processes.items()
        }
        self.processes.clear()
        return codes

    def _fresh_executor(self) -> Executor:
        """A new process pool configured like the broken one (which is shut down)."""
        old = self.executor
        if not isinstance(old, ProcessPoolExecutor):
            raise BrokenExecutor(f"the executor {old!r} is broken and cannot be rebuilt")
        old.shutdown(wait=False, cancel_futures=True)
        fresh = ProcessPoolExecutor(
            max_workers=getattr(old, "_max_workers", None),
            mp_context=getattr(old, "_mp_context", None),
            initializer=getattr(old, "_initializer", None),
            initargs=getattr(old, "_initargs", ()),
        )
        self.rebuilt.append(fresh)
        return fresh


def exit_cause(pid: int, code: int | None) -> str:
    """What ended worker process ``pid``: its exit code or signal (``None``: unknown)."""
    if code is None:
        return f"worker process {pid} died"
    if code >= 0:
        return f"worker process {pid} exited with code {code}"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = f"signal {-code}"
    hint = " (e.g. the out-of-memory killer)" if -code == signal.SIGKILL else ""
    return f"worker process {pid} was killed by {name}{hint}"

