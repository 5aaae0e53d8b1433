"""Model stand-ins that fail hard for one run (worker-killing, hanging, exiting, NaN), for the
reliability tests. Module-level, so that a process pool or Dask can pickle them."""

from __future__ import annotations

import ctypes
import os
import signal
import time

import numpy as np

from experiments.engine.design import run_seed
from simulation import CadreModel

#: The seed of point 2, replicate 0 of the tiny spec of tests/test_sweep.py (spec seed 11), run
#: without common random numbers so that this seed is the one run's alone (the reliability
#: tests' sweeps opt out of common random numbers; see sweep_with).
POISONED = run_seed(11, 2, 0, common=False)


def _model(config, seed, steps):
    return CadreModel(config, seed=seed).run(steps)


def exits_for_one_seed(config, seed, steps):
    """The worker process ends with os._exit(7) on the poisoned seed."""
    if seed == POISONED:
        os._exit(7)
    return _model(config, seed, steps)


def segfaults_for_one_seed(config, seed, steps):
    """The worker process gets SIGSEGV on the poisoned seed (as a crash in C code would)."""
    if seed == POISONED:
        os.kill(os.getpid(), signal.SIGSEGV)
    return _model(config, seed, steps)


def killed_for_one_seed(config, seed, steps):
    """The worker process gets SIGKILL on the poisoned seed (as from the OOM killer)."""
    if seed == POISONED:
        os.kill(os.getpid(), signal.SIGKILL)
    return _model(config, seed, steps)


def hangs_for_one_seed(config, seed, steps):
    """The run never ends on the poisoned seed."""
    while seed == POISONED:
        time.sleep(0.05)
    return _model(config, seed, steps)


def spins_for_one_seed(config, seed, steps):
    """The run loops without sleeping on the poisoned seed."""
    n = 0
    while seed == POISONED:
        n += 1
    return _model(config, seed, steps)


def system_exit_for_one_seed(config, seed, steps):
    """The run raises SystemExit on the poisoned seed."""
    if seed == POISONED:
        raise SystemExit(3)
    return _model(config, seed, steps)


def keyboard_interrupt_for_one_seed(config, seed, steps):
    """The run raises KeyboardInterrupt on the poisoned seed (its own code, not the user's)."""
    if seed == POISONED:
        raise KeyboardInterrupt("raised by the run")
    return _model(config, seed, steps)


class Unusual(BaseException):
    """An exception outside the Exception hierarchy, as some libraries raise."""


def base_exception_for_one_seed(config, seed, steps):
    """The run raises a BaseException that is neither Exception nor SystemExit."""
    if seed == POISONED:
        raise Unusual("a BaseException from the run")
    return _model(config, seed, steps)


def signals_itself_for_one_seed(config, seed, steps):
    """The run sends SIGINT to its own process on the poisoned seed (a worker ignores it)."""
    if seed == POISONED:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.2)
    return _model(config, seed, steps)


def nan_for_one_seed(config, seed, steps):
    """The run's inaction is NaN on the poisoned seed, without an exception."""
    table = _model(config, seed, steps)
    if seed == POISONED:
        table["inaction"] = np.nan
    return table


def inf_for_one_seed(config, seed, steps):
    """The run's kept series 'bold' is infinite at one step on the poisoned seed."""
    table = _model(config, seed, steps)
    if seed == POISONED:
        table.loc[table.index[-1], "bold"] = np.inf
    return table


def fails_for_a_whole_point(config, seed, steps):
    """Every run of tolerance 1.0 raises (so that point has no successful run)."""
    if config.regime.fault_tolerance.tolerance == 1.0:
        raise ValueError("tolerance 1.0 breaks this model")
    return _model(config, seed, steps)


def _stuck_in_native_code(libc: ctypes.CDLL) -> None:
    """Sleep in C with SIGALRM blocked: no Python line runs, so the run's own timeout (a signal
    in the main thread, an asynchronous exception elsewhere) never reaches it."""
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    while True:
        libc.sleep(3600)


def sleeps_in_c_for_one_seed(config, seed, steps):
    """The run hangs in C on the poisoned seed (releasing the GIL, as I/O or a lock would)."""
    if seed == POISONED:
        _stuck_in_native_code(ctypes.CDLL(None))
    return _model(config, seed, steps)


def hogs_the_gil_in_c_for_one_seed(config, seed, steps):
    """The run hangs in C on the poisoned seed holding the GIL, so that no other thread of its
    process runs either (a Dask worker stops answering its scheduler)."""
    if seed == POISONED:
        _stuck_in_native_code(ctypes.PyDLL(None))
    return _model(config, seed, steps)


def dies_in_a_batch_and_alone(seed: int) -> None:
    """A worker initialiser: the worker ends whenever it runs ``seed``.

    With os._exit(8) in a batch of replicates (``batching.simulate_batch``), os._exit(7) alone
    (``run.run_one``); the model itself is left as it is, so the batches still form.
    """
    from experiments.engine import batching, run

    batch, alone = batching.simulate_batch, run.run_one

    def batch_that_dies(tasks, steps):
        if any(task.seed == seed for task in tasks):
            os._exit(8)
        return batch(tasks, steps)

    def alone_that_dies(task, settings, simulate=None):
        if task.seed == seed:
            os._exit(7)
        return alone(task, settings, simulate)

    batching.simulate_batch, run.run_one = batch_that_dies, alone_that_dies
