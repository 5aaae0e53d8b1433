"""Lazy package exports: a package names its public API without importing heavy modules.

``cadresim run`` should not pay for Matplotlib, SciPy or Solara; a package ``__init__`` lists its
exports as ``name -> module`` and this module imports each on first use (PEP 562).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for a package whose ``exports`` map names to modules.

    Args:
        package: the package's ``__name__`` (for the error message).
        exports: public name -> dotted module that defines it.
    """

    def __getattr__(name: str) -> Any:
        try:
            module = exports[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        return getattr(importlib.import_module(module), name)

    def __dir__() -> list[str]:
        return sorted(exports)

    return __getattr__, __dir__
