"""Which implementation runs the hot path: Numba-compiled kernels, or the NumPy reference.

Both give the same results bit for bit on one machine (tests/test_kernels_decide.py,
tests/test_kernels_phases.py); the NumPy path is kept as the reference the kernels are checked
and benchmarked against. Choose with the ``CADRESIM_KERNELS`` environment variable (``numba``,
the default, or ``numpy``), or in code with :func:`use` / :func:`using`; ``simulation.phases``
reads the choice at each step and hands each phase its function. This module holds only the
setting: the kernels are its submodules, which import no phase. Numba is imported only when a
kernel is first needed, so commands that never step the model do not pay for it.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

#: The implementations of the hot path; the first is the default.
BACKENDS: tuple[str, ...] = ("numba", "numpy")
#: Environment variable that chooses the backend for a process (and its sweep workers).
ENVIRONMENT = "CADRESIM_KERNELS"

#: Cadre-years below which a process that makes a single run is faster on the NumPy path:
#: Numba's start-up in a fresh process (its import and loading the cached kernels, about 0.45 s
#: of CPU) outweighs what the kernels save (about 0.4 million cadre-years at 1 000 cadres to
#: break even, 1.4 million at 10 000; benchmarks/startup.py).
WORTH_COMPILING = 1_000_000

_chosen: str | None = None


def _checked(name: str, source: str) -> str:
    if name not in BACKENDS:
        raise ValueError(f"{source}: got {name!r}; allowed: {', '.join(BACKENDS)}")
    return name


def backend() -> str:
    """The backend in force: set by :func:`use`, else ``CADRESIM_KERNELS``, else ``numba``.

    Falls back to ``numpy`` with a warning when Numba cannot be imported on this platform.
    """
    global _chosen
    if _chosen is None:
        name = _checked(os.environ.get(ENVIRONMENT, BACKENDS[0]).strip().lower(), ENVIRONMENT)
        if name == "numba" and not numba_available():
            warnings.warn("Numba could not be imported; running the NumPy reference path",
                          RuntimeWarning, stacklevel=2)
            name = "numpy"
        _chosen = name
    return _chosen


def compiled() -> bool:
    """True when the Numba kernels run the hot path."""
    return backend() == "numba"


def use(name: str) -> None:
    """Run the hot path with ``name`` (one of BACKENDS) from now on, in this process."""
    global _chosen
    _chosen = _checked(name, "kernels")


@contextmanager
def using(name: str) -> Iterator[None]:
    """Run the hot path with ``name`` inside a ``with`` block (tests, benchmarks)."""
    global _chosen
    before = _chosen
    use(name)
    try:
        yield
    finally:
        _chosen = before


def prefer_for_one_run(cadre_years: int) -> str:
    """Choose the backend for a process that makes one run of ``cadre_years``; returns it.

    The NumPy path below WORTH_COMPILING, unless the backend was chosen already (by
    ``CADRESIM_KERNELS`` or :func:`use`). Results are the same either way; only time differs.
    """
    if _chosen is None and ENVIRONMENT not in os.environ and cadre_years < WORTH_COMPILING:
        use("numpy")
    return backend()


def numba_available() -> bool:
    """Whether Numba imports here (it is a dependency, but wheels lag new Pythons)."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True
