"""Where runs execute: in this process, or in worker processes forked warm from a forkserver.

A local pool's workers fork from a forkserver that imported the model and readied its kernels
(:data:`PRELOAD`), and each worker ends itself when the process that started the pool is gone.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any

from experiments.engine.interrupts import ignore_group_signals
from experiments.engine.runboard import process_running

#: prctl option: the signal this process gets when its parent ends (Linux).
PR_SET_PDEATHSIG = 1
#: Modules a forkserver imports once, so each worker process starts with the model loaded and
#: its kernels ready.
PRELOAD = ["experiments.engine.run", "simulation.model", "simulation.kernels.warm"]


class SerialExecutor(Executor):
    """Runs each task in this process when it is submitted (``--workers 1``, debugging)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._shut = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Run ``fn(*args, **kwargs)`` now; its result (or exception) is in the future."""
        with self._lock:
            if self._shut:
                raise RuntimeError("cannot submit after shutdown")
        future: Future = Future()
        future.set_running_or_notify_cancel()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # the user's interrupt (SweepInterrupted) reaches the caller
            future.set_exception(exc)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Refuse further tasks (there are never tasks pending)."""
        with self._lock:
            self._shut = True


def exit_with_parent(parent_pid: int, interval: float = 1.0) -> None:
    """Worker-process initializer: exit when the sweep process ``parent_pid`` is gone.

    A process-pool worker blocks forever on its task queue if the sweep is killed (kill -9
    gives the pool no chance to stop it); this watcher thread ends such orphans. The sweep
    counts as gone when the worker's own parent changes (it was reparented: the sweep, or the
    forkserver that started the worker, died) or when ``parent_pid`` no longer runs: it does
    not exist or is a zombie not yet reaped (``os.kill(pid, 0)`` alone passes a zombie).
    A thread needs the GIL, which a run stuck in native code may hold; so on Linux the kernel
    also kills the worker when its parent process ends (see :func:`_die_with_parent`).
    The worker ignores Ctrl-C and SIGHUP, which reach the whole terminal's process group: the
    sweep handles them, and ends its workers.
    """
    original_parent = os.getppid()
    ignore_group_signals()
    _die_with_parent()

    def watch() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != original_parent or not process_running(parent_pid):
                os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _die_with_parent() -> None:
    """Linux: have the kernel kill this worker when its parent process ends (no GIL needed).

    A forkserver's worker has the forkserver for parent, and the forkserver lives on while any
    process holds its liveness pipe, which it hands to every worker. The worker lets go of it
    (it starts no processes of its own), so a killed sweep ends its forkserver, and that ends
    the worker, even one stuck in native code. (For the kernel, the parent is the thread that
    started the worker: with the fork or spawn start methods, workers must be started from a
    thread that lives as long as the pool.)
    """
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    alive = getattr(server, "_forkserver_alive_fd", None)
    if alive is not None:  # this process's copy: the sweep keeps its own
        with contextlib.suppress(OSError):
            os.close(alive)
        server._forkserver_alive_fd = None


def worker_context() -> multiprocessing.context.BaseContext:
    """How worker processes start: forked by a forkserver that imported the model (PRELOAD).

    Spawned where the platform has no forkserver.
    """
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload(PRELOAD)
    return context


def start_forkserver() -> None:
    """Start the forkserver of local pools now: its imports overlap the caller's own."""
    if worker_context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def stop_forkserver() -> None:
    """End the forkserver of local pools now (and wait for it), e.g. when a sweep is interrupted.

    Otherwise it ends only once this process has exited; a later pool starts a new one.
    """
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    stop = getattr(server, "_stop", None)
    if callable(stop):
        with contextlib.suppress(OSError, ChildProcessError):
            stop()


def local_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` warm worker processes that end when this process ends."""
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=worker_context(), initializer=exit_with_parent,
        initargs=(os.getpid(),),
    )


def local_executor(workers: int) -> Executor:
    """This process for one worker (``SerialExecutor``), else a warm :func:`local_pool`."""
    return SerialExecutor() if workers <= 1 else local_pool(workers)


def as_executor(executor: Any) -> Executor:
    """A ``concurrent.futures.Executor``: a Dask ``Client`` becomes ``client.get_executor()``."""
    if not isinstance(executor, Executor) and hasattr(executor, "get_executor"):
        return executor.get_executor()
    return executor


def parallelism(executor: Executor, default: int = 2) -> int:
    """How many runs ``executor`` runs at once, where it says (process pools, Dask); 1 serially."""
    if isinstance(executor, SerialExecutor):
        return 1
    workers = getattr(executor, "_max_workers", None)
    if workers:
        return int(workers)
    client = getattr(executor, "_client", None)  # Dask's ClientExecutor
    nthreads = getattr(client, "nthreads", None)
    if callable(nthreads):
        with contextlib.suppress(Exception):  # a client that cannot be asked: the default
            return max(1, sum(nthreads().values()))
    return default
