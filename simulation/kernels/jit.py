"""How the kernels are compiled: ``numba.njit(cache=True)``, with caches that follow the source.

Numba reuses a cached kernel while the kernel's own file is unchanged, even when something it
compiled in from another file has changed since (a formula twin from ``scalar.py``, an action
code from ``simulation.formulas``): the cache would run stale code. Kernels compiled with
:func:`kernel` are cached under a stamp of every source file of the model (``simulation/*.py``
and ``simulation/kernels/*.py``) as well, so editing any of them recompiles the kernels once, in
a few seconds. No fastmath and no parallel: results must equal the NumPy path bit for bit.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from numba import njit
from numba.core import caching

KERNELS = Path(__file__).resolve().parent
MODEL = KERNELS.parent


@cache
def source_stamp() -> str:
    """SHA-256 of the model's source files (names and contents), once per process."""
    digest = hashlib.sha256()
    for path in sorted([*MODEL.glob("*.py"), *KERNELS.glob("*.py")]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


class PackageStamped:
    """Marks the cache locators of kernels: the model's source stamp joins the file's own."""


def _package_stamped(base: type) -> type:
    """A variant of one of Numba's cache locators, for kernel files only."""

    class Locator(PackageStamped, base):
        def get_source_stamp(self):
            return super().get_source_stamp(), source_stamp()

        @classmethod
        def from_function(cls, py_func, py_file):
            if Path(py_file).resolve().parent != KERNELS:
                return None
            return super().from_function(py_func, py_file)

    Locator.__name__ = Locator.__qualname__ = f"PackageStamped{base.__name__}"
    return Locator


def _register_locators() -> None:
    """Put package-stamped locators first, in Numba's own order.

    That order is NUMBA_CACHE_DIR, then the source tree's __pycache__, then the user's cache. A
    Numba release without these internals keeps its per-file caching.
    """
    def public_or_private(name: str):  # Numba 0.60 names them _CacheImpl, ...; 0.68 CacheImpl
        return getattr(caching, name, None) or getattr(caching, f"_{name}", None)

    impl = public_or_private("CacheImpl")
    bases = tuple(public_or_private(name) for name in (
        "UserProvidedCacheLocator", "InTreeCacheLocator", "UserWideCacheLocator"))
    locators = getattr(impl, "_locator_classes", None)
    if not isinstance(locators, list) or None in bases:  # pragma: no cover - another Numba
        return
    if not any(issubclass(c, PackageStamped) for c in locators):
        locators[:0] = [_package_stamped(base) for base in bases]


_register_locators()


def plain(record: tuple) -> tuple:
    """A NamedTuple of a phase's arrays or scalars as a plain tuple, to hand a kernel.

    Numba's dispatcher types a plain tuple in C but a NamedTuple in Python, a few microseconds
    a call for the phases' records; the kernel rebuilds the NamedTuple (``Record(*fields)``)
    at no cost.
    """
    return tuple(record)


def kernel(function):
    """Compile ``function`` as a kernel: nopython, cached, IEEE arithmetic as written.

    ``error_model="numpy"``: a float division by zero gives inf or NaN, as in NumPy, instead of
    raising ZeroDivisionError (Numba's default, which also tests every divisor).
    """
    return njit(cache=True, error_model="numpy")(function)
