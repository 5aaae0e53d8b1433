"""How numbers are written for people: estimates with intervals, Markdown and terminal tables.

Decimals follow the precision of what is shown (an interval's half-width, a row's largest value),
so a table neither hides a difference nor prints noise.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def _decimals(half_width: float) -> int:
    """Decimals that show a half-width to two significant digits (2 to 8)."""
    if not math.isfinite(half_width) or half_width <= 0:
        return -1
    return int(min(8, max(2, 1 - math.floor(math.log10(half_width)))))


def metric_decimals(table: pd.DataFrame) -> int:
    """Decimals for one metric's column: enough for the median CI half-width (-1: none)."""
    half = ((table["ci_high"] - table["ci_low"]) / 2).to_numpy(dtype=float)
    half = half[np.isfinite(half) & (half > 0)]
    return _decimals(float(np.median(half))) if half.size else -1


def format_estimate(mean: float, low: float, high: float, style: str = "pm",
                    decimals: int | None = None) -> str:
    """An estimate with its interval, as text.

    ``0.312 ± 0.011`` (style pm) or ``0.312 [0.301, 0.323]`` (style ci); ``decimals`` defaults to
    what the half-width needs.
    """
    if not math.isfinite(mean):
        return "n/a"
    half = (high - low) / 2 if math.isfinite(low) and math.isfinite(high) else math.nan
    dec = _decimals(half) if decimals is None else decimals
    if dec < 0 or not math.isfinite(half):
        return f"{mean:.4g}" if dec < 0 else f"{mean:.{dec}f}"
    if style == "pm":
        return f"{mean:.{dec}f} ± {half:.{dec}f}"
    return f"{mean:.{dec}f} [{low:.{dec}f}, {high:.{dec}f}]"


def p_text(p: float) -> str:
    """A p-value as text: four decimals, or "<0.0001"."""
    if not math.isfinite(p):
        return "n/a"
    return "<0.0001" if p < 1e-4 else f"{p:.4f}"


def row_decimals(*values: float) -> int:
    """Decimals that give the largest of ``values`` four significant digits (2 to 8)."""
    big = max((abs(v) for v in values if math.isfinite(v)), default=0.0)
    if big == 0:
        return 4
    return int(min(8, max(2, 3 - math.floor(math.log10(big)))))


def number(x: float, decimals: int = 4, signed: bool = False) -> str:
    """A number with fixed ``decimals`` (and its sign, if ``signed``); "n/a" when not finite."""
    if not math.isfinite(x):
        return "n/a"
    return f"{x:{'+' if signed else ''}.{decimals}f}"


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    """A GitHub-flavoured Markdown table (pipes in cells escaped)."""
    def cell(text: str) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in headers) + " |",
             "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def text_table(headers: list[str], rows: list[list[str]]) -> str:
    """Columns aligned for a terminal; the first column left, the rest right."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]

    def line(r: list[str]) -> str:
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                         for i, (c, w) in enumerate(zip(r, widths, strict=True)))

    return "\n".join([line(headers), "  ".join("-" * w for w in widths),
                      *(line(r) for r in rows)])

