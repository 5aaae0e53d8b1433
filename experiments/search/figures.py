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

from experiments.analysis.labels import parameter_label, regime_label
from experiments.analysis.style import FULL_WIDTH, STYLE, fit_title, new_figure, save_figure, wrap
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
    fresh = "posterior draws" if spec.posterior else "seeds"
    for ax, (i, j) in zip(axes, pairs, strict=False):
        xo, yo = objectives[i], objectives[j]
        xs, ys = OUTPUTS[xo.output].scale, OUTPUTS[yo.output].scale
        for table, colour, marker, label in (
            (kept, FRONT_COLOUR, "o", f"front (fresh {fresh})"),
            (presets.drop(index=status_quo), PRESET_COLOUR, "s", "shipped presets"),
            (presets.loc[[status_quo]], STATUS_QUO_COLOUR, "D", "status quo"),
        ):
            x, y = table[xo.output] * xs, table[yo.output] * ys
            xerr = _errors(table, xo.output, xs)
            yerr = _errors(table, yo.output, ys)
            ax.errorbar(x, y, xerr=xerr, yerr=yerr, fmt=marker, color=colour, ms=4,
                        elinewidth=0.8, label=label)
        _label_presets(ax, presets, xo.output, yo.output, xs, ys, status_quo)
        ax.set_xlabel(wrap(_axis_label(xo.output, xo.direction), 34), fontsize=7)
        ax.set_ylabel(wrap(_axis_label(yo.output, yo.direction), 26), fontsize=7)
    for ax in axes[len(pairs):]:
        ax.set_visible(False)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=3)
    fit_title(fig, f"Search {spec.name}: the front on {spec.reevaluate} fresh {fresh}, with "
              "the presets on the same ones (95 % intervals)")
    return save_figure(fig, stem, style=STYLE)


#: Presets nearer than this (as a share of each axis's span) to one already named go unnamed, so
#: a cluster of presets is named once instead of in overprinted labels.
LABEL_SPACING = 0.08


def _label_presets(ax, presets: pd.DataFrame, x_name: str, y_name: str, xs: float, ys: float,
                   status_quo: str) -> None:
    """Name the presets in ``ax``, the status quo first, skipping any too near a named one."""
    x = presets[x_name].to_numpy(float) * xs
    y = presets[y_name].to_numpy(float) * ys
    span_x = max(np.ptp(np.r_[x, ax.get_xlim()]), 1e-12)
    span_y = max(np.ptp(np.r_[y, ax.get_ylim()]), 1e-12)
    order = sorted(range(len(presets)), key=lambda k: presets.index[k] != status_quo)
    named: list[tuple[float, float]] = []
    for k in order:
        u, v = x[k] / span_x, y[k] / span_y
        if any(abs(u - a) < LABEL_SPACING and abs(v - b) < LABEL_SPACING for a, b in named):
            continue
        named.append((u, v))
        ax.annotate(wrap(regime_label(presets.index[k].removeprefix(f"{PRESET}-")), 16),
                    (x[k], y[k]), fontsize=5, color="#555555", xytext=(2, 2),
                    textcoords="offset points")


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
