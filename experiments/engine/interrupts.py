"""The user's interrupt, told apart from a KeyboardInterrupt that a run's own code raises.

While a sweep (or a calibration) runs, SIGINT (Ctrl-C), SIGTERM and SIGHUP to its own process
raise :class:`SweepInterrupted`: the sweep stops, keeps what finished, and ends its workers. Any
other ``KeyboardInterrupt`` (or ``BaseException``) raised while a run executes is that run's
failure (``experiments.engine.run``). Worker processes ignore SIGINT and SIGHUP: a Ctrl-C at the
terminal, or a closed terminal, reaches the whole process group, and the sweep, not each worker,
decides what it means.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

#: The signals that stop a sweep as Ctrl-C does (those the platform has).
USER_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
#: The signals a worker process ignores: they are meant for the sweep, which ends its workers.
GROUP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGHUP") if hasattr(signal, name)
)


class SweepInterrupted(KeyboardInterrupt):
    """A signal to the sweep's own process (Ctrl-C, SIGTERM, SIGHUP): stop, keep what finished."""

    def __init__(self, signum: int) -> None:
        """The interrupt by signal ``signum``."""
        self.signum = int(signum)
        super().__init__(signal.Signals(signum).name)


def exit_code(exc: BaseException) -> int:
    """The shell's exit code for an interrupted command: 128 + the signal (130 for Ctrl-C)."""
    return 128 + getattr(exc, "signum", signal.SIGINT)


def _interrupt(signum: int, frame: Any) -> None:
    raise SweepInterrupted(signum)


def _untouched(signum: int, handler: Any) -> bool:
    """Whether ``handler`` is the default for ``signum`` (or ours): a handler we may replace.

    A signal the process was told to ignore (``nohup``, a background job) stays ignored, and an
    application's own handler stays in place.
    """
    if handler is _interrupt:
        return True
    if signum == signal.SIGINT:
        return handler is signal.default_int_handler
    return handler == signal.SIG_DFL


@contextlib.contextmanager
def user_interrupts() -> Iterator[None]:
    """Within the block, SIGINT, SIGTERM and SIGHUP raise :class:`SweepInterrupted`.

    Only in the main thread (the only one Python delivers signals to), and only for signals whose
    handler is the default one; the previous handlers come back when the block ends.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for signum in USER_SIGNALS:
        handler = signal.getsignal(signum)
        if _untouched(signum, handler):
            previous[signum] = handler
            signal.signal(signum, _interrupt)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


def ignore_group_signals() -> None:
    """Worker side: ignore SIGINT and SIGHUP (the sweep that owns the worker handles them)."""
    for signum in GROUP_SIGNALS:
        with contextlib.suppress(ValueError, OSError):  # not the main thread, or not allowed
            signal.signal(signum, signal.SIG_IGN)
