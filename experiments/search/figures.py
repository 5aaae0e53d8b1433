"""A search's figures: the frontier in pairs of objectives, and the levers along the front.

Both draw the re-evaluated values (fresh seeds), with the shipped presets on the same seeds for
comparison, in the project's style (``experiments.analysis.style``).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import colormaps

from experiments.analysis.labels import parameter_label
from experiments.analysis.style import FULL_WIDTH, STYLE, new_figure, save_figure
from experiments.search.front import MEMBER, PRESET
from experiments.search.spec import SearchSpec
from simulation.loading import STATUS_QUO
from simulation.outputs import OUTPUTS

FRONT_COLOUR = "#0072B2"
PRESET_COLOUR = "#9A9A9A"
STATUS_QUO_COLOUR = "#D55E00"
#: Above this many levers the parallel-coordinates labels are slanted, one line each.
MANY_LEVERS = 6


def _axis_label(name: str, direction: str) -> str:
    """``Inaction (lower is better)``; event rates say per 1 000."""
    out = OUTPUTS[name]
    per = " per 1 000" if out.scale != 1 else ""
    return f"{out.short}{per} ({direction} is better)"


def frontier_figure(spec: SearchSpec, summary: pd.DataFrame, stem: Path) -> list[Path]:
    """Every pair of objectives: kept members with 95 % intervals, presets and status quo marked.

    Values are shown in each output's shown unit (event rates per 1 000 cadres a year).
    """
    with mpl.rc_context(STYLE):
        return _frontier(spec, summary, stem)


def _frontier(spec: SearchSpec, summary: pd.DataFrame, stem: Path) -> list[Path]:
    objectives = spec.objective_list
    pairs = list(itertools.combinations(range(len(objectives)), 2))
    cols = min(3, len(pairs))
    rows = -(-len(pairs) // cols)
    fig = new_figure(FULL_WIDTH, 2.3 * rows + 0.4)
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    kept = summary[summary["kept"]]
    presets = summary[summary.index.str.startswith(f"{PRESET}-")]
    status_quo = f"{PRESET}-{STATUS_QUO}"
    for ax, (i, j) in zip(axes, pairs, strict=False):
        xo, yo = objectives[i], objectives[j]
        xs, ys = OUTPUTS[xo.output].scale, OUTPUTS[yo.output].scale
        for table, colour, marker, label in (
            (kept, FRONT_COLOUR, "o", "front (fresh seeds)"),
            (presets.drop(index=status_quo), PRESET_COLOUR, "s", "shipped presets"),
            (presets.loc[[status_quo]], STATUS_QUO_COLOUR, "D", "status quo"),
        ):
            x, y = table[xo.output] * xs, table[yo.output] * ys
            xerr = _errors(table, xo.output, xs)
            yerr = _errors(table, yo.output, ys)
            ax.errorbar(x, y, xerr=xerr, yerr=yerr, fmt=marker, color=colour, ms=4,
                        elinewidth=0.8, label=label)
        for name, row in presets.iterrows():
            ax.annotate(name.removeprefix(f"{PRESET}-")[:14], (row[xo.output] * xs,
                        row[yo.output] * ys), fontsize=5, color="#555555",
                        xytext=(2, 2), textcoords="offset points")
        ax.set_xlabel(_axis_label(xo.output, xo.direction), fontsize=7)
        ax.set_ylabel(_axis_label(yo.output, yo.direction), fontsize=7)
    for ax in axes[len(pairs):]:
        ax.set_visible(False)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=3)
    fig.suptitle(f"Search {spec.name}: the front on fresh seeds ({spec.reevaluate} "
                 "replicates, 95 % intervals)")
    return save_figure(fig, stem, style=STYLE)


def _errors(table: pd.DataFrame, name: str, scale: float) -> np.ndarray | None:
    """Asymmetric error bars from the judged value to the interval's ends (None without one)."""
    low, high = table[f"{name}_low"] * scale, table[f"{name}_high"] * scale
    if low.isna().all():
        return None
    centre = table[name] * scale
    return np.vstack([(centre - low).clip(lower=0), (high - centre).clip(lower=0)])


def levers_figure(spec: SearchSpec, summary: pd.DataFrame, levers: pd.DataFrame,
                  preset_levers: pd.DataFrame, stem: Path) -> list[Path]:
    """Parallel coordinates: each kept member's levers on their search bounds (0 = low, 1 = high).

    Lines are coloured by the first objective (a colour bar gives its values); the status quo
    is drawn dashed.
    """
    with mpl.rc_context(STYLE):
        return _levers(spec, summary, levers, preset_levers, stem)


def _levers(spec: SearchSpec, summary: pd.DataFrame, levers: pd.DataFrame,
            preset_levers: pd.DataFrame, stem: Path) -> list[Path]:
    paths = spec.lever_paths
    lows = np.array([spec.levers[p][0] for p in paths], float)
    highs = np.array([spec.levers[p][1] for p in paths], float)
    kept = [label for label in levers.index if summary.loc[label, "kept"]]
    many = len(paths) > MANY_LEVERS
    fig = new_figure(FULL_WIDTH, 4.4 if many else 3.2)
    ax = fig.subplots()
    first = spec.objective_list[0].output
    values = summary.loc[kept, first].to_numpy(float) * OUTPUTS[first].scale
    cmap = colormaps["viridis"]
    span = (values.min(), values.max()) if len(values) else (0.0, 1.0)
    x = np.arange(len(paths))
    for label, value in zip(kept, values, strict=True):
        y = (levers.loc[label, paths].to_numpy(float) - lows) / (highs - lows)
        shade = 0.5 if span[1] == span[0] else (value - span[0]) / (span[1] - span[0])
        ax.plot(x, y, color=cmap(shade), alpha=0.8, lw=1.2)
    sq = (preset_levers.loc[f"{PRESET}-{STATUS_QUO}", paths].to_numpy(float) - lows) / (
        highs - lows)
    ax.plot(x, sq, color=STATUS_QUO_COLOUR, ls="--", lw=1.4, label="status quo")
    names = [parameter_label(p).short for p in paths]
    ax.set_xticks(x, [f"{name}{' ' if many else chr(10)}[{lo:g}, {hi:g}]"
                      for name, lo, hi in zip(names, lows, highs, strict=True)], fontsize=6,
                  rotation=50 if many else 0, ha="right" if many else "center",
                  rotation_mode="anchor")
    ax.set_ylabel("lever value within its search bounds")
    ax.set_ylim(-0.05, 1.05)
    for xi in x:
        ax.axvline(xi, color="#DDDDDD", lw=0.6, zorder=0)
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    bar = fig.colorbar(ScalarMappable(Normalize(*span), cmap), ax=ax)
    bar.set_label(f"{OUTPUTS[first].short} ({OUTPUTS[first].shown_unit})", fontsize=7)
    ax.legend(loc="upper right", fontsize=6)
    ax.set_title(f"Levers along the front of {spec.name} ({len(kept)} {MEMBER} members)")
    return save_figure(fig, stem, style=STYLE)
