"""Suggestions for a mistyped name: the names it begins, the names it resembles, in that order.

``difflib`` alone misses a name typed short (``hubei`` for ``hubei_opinions``: too little in
common for its ratio), so the names a word is the start of, or a whole ``_``-separated part of,
come first; then difflib's close matches.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def close_names(word: str, names: Iterable[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """Up to ``n`` of ``names`` the user may have meant by ``word`` (best first; may be empty)."""
    names = list(names)
    typed = word.strip().lower()
    if not typed:
        return []
    begun = [name for name in names if name.lower().startswith(typed)]
    parts = [name for name in names if typed in name.lower().split("_")]
    similar = difflib.get_close_matches(typed, names, n=n, cutoff=cutoff)
    return [name for name in dict.fromkeys([*begun, *parts, *similar]) if name != word][:n]


def did_you_mean(word: str, names: Iterable[str], n: int = 3) -> str:
    """``did you mean X or Y?`` for ``word`` among ``names``, or "" when nothing is close."""
    close = close_names(word, names, n)
    return f"did you mean {' or '.join(close)}?" if close else ""
