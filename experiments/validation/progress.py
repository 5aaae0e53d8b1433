"""Progress inside a validation check: each model run a check makes is announced as it ends.

A slow check runs dozens of seeded models; ``cadresim validate`` listens (``on_each_run``) and
shows the count, so a check that is slow can be told from one that hangs. The checks call
``run_finished`` after every run; with nobody listening it does nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

_listeners: list[Callable[[], object]] = []


def run_finished() -> None:
    """Tell every listener that one more model run of the current check has ended."""
    for listener in tuple(_listeners):
        listener()


@contextmanager
def on_each_run(listener: Callable[[], object]) -> Iterator[None]:
    """Call ``listener()`` after each model run made inside the ``with`` block."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)
