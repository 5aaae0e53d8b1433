"""The transitions figures: each output's path after a switch (and a return), and its effect.

Beside the new regime from the start and the old one throughout, on calendar years, with half
and 90% of each change marked (``experiments.analysis.transitions``).
"""

from __future__ import annotations

import math

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from experiments.analysis.labels import metric_label, shown
from experiments.analysis.results import Results
from experiments.analysis.statistics import Analysis
from experiments.analysis.style import FULL_WIDTH, Skip, group_colour, new_figure, wrap
from experiments.analysis.transitions import ROLES

#: Markers of the years by which half and 90% of a change had happened.
MARKS = {"half": ("o", "Half of the change done"), "ninety": ("D", "90% of the change done")}


def arm_colour(i: int) -> str:
    """The i-th arm's colour: the group colours without the fourth.

    The fourth is a green too near the first's teal for arms drawn over each other.
    """
    return group_colour(i if i < 3 else i + 1)


def _arms(paths: pd.DataFrame) -> list[tuple[int, str, str]]:
    """(point, label, role) of every arm, in ``ROLES`` order."""
    arms = paths[["point", "arm", "role"]].drop_duplicates("point")
    arms = arms.assign(order=arms["role"].map(ROLES.index)).sort_values(["order", "point"])
    return list(arms[["point", "arm", "role"]].itertuples(index=False, name=None))


def _title(metric: str, rows: pd.DataFrame) -> str:
    """``Belief: punished: half in 6 y after the switch, 3 y after the return``."""
    parts = []
    for r in rows.to_dict("records"):
        what = "switch" if r["transition"] == "switch" else "return"
        if r["status"] != "change":
            parts.append(f"no change at the {what}")
        elif math.isfinite(r["half_years"]):
            parts.append(f"half in {r['half_years']:.0f} y after the {what}")
    return metric_label(metric).short + (": " + ", ".join(parts) if parts else "")


def _mark_changes(ax: Axes, rows: pd.DataFrame) -> tuple[set[int], set[int]]:
    """Lines just before each switch (dashed) and return (dotted); returns their years."""
    switches = set(rows.loc[rows["transition"] == "switch", "year"].astype(int))
    returns = set(rows.loc[rows["transition"] == "return", "year"].astype(int))
    for year in switches:
        ax.axvline(year - 0.5, color="black", linestyle="--", linewidth=1, zorder=1)
    for year in returns:
        ax.axvline(year - 0.5, color="black", linestyle=":", linewidth=1.2, zorder=1)
    return switches, returns


def _mark_times(ax: Axes, metric: str, rows: pd.DataFrame, level: pd.Series,
                colour: str) -> None:
    """Markers on an arm's path (``level`` by year) where half and 90% of a change were done."""
    for r in rows.to_dict("records"):
        if r["status"] != "change":
            continue
        for name, (marker, _) in MARKS.items():
            years = r[f"{name}_years"]
            if not math.isfinite(years):
                continue
            year = int(r["year"] + years - 1)
            if year in level.index:
                ax.plot([year], [shown(metric, level[year])], marker=marker, markersize=5,
                        color=colour, markeredgecolor="black", markeredgewidth=0.6,
                        linestyle="", zorder=4)


#: What a panel draws: each arm's level, or its effect (minus the never-switched arm).
COLUMNS = {"level": ("mean", "ci_low", "ci_high"),
           "effect": ("effect", "effect_low", "effect_high")}


def _panel(ax: Axes, metric: str, paths: pd.DataFrame, table: pd.DataFrame,
           arms: list[tuple[int, str, str]], kind: str) -> None:
    """One output: every arm's path with its band, the changes and their times marked."""
    rows = table[table["metric"] == metric]
    _mark_changes(ax, rows)
    if kind == "effect":
        ax.axhline(0, color="#888888", linewidth=0.8, zorder=1)
    columns = list(COLUMNS[kind])
    for i, (point, label, role) in enumerate(arms):
        colour = arm_colour(i)
        if kind == "effect" and role == "never":
            ax.plot([], [], color="#888888", linewidth=0.8, label=f"{label} (the zero line)")
            continue
        band = paths[(paths["metric"] == metric) & (paths["point"] == point)]
        values = shown(metric, band[columns])
        ax.plot(band["step"], values[columns[0]], color=colour, label=label, linewidth=1.3)
        ax.fill_between(band["step"], values[columns[1]], values[columns[2]], color=colour,
                        alpha=0.18, linewidth=0)
        level = pd.Series(band[columns[0]].to_numpy(), index=band["step"])
        _mark_times(ax, metric, rows[rows["point"] == point], level, colour)
    first = rows[rows["point"] == rows["point"].iloc[0]] if not rows.empty else rows
    ax.set_title(wrap(_title(metric, first), 36), loc="left", fontsize=8.5)
    unit = metric_label(metric).unit
    ax.set_ylabel(unit if kind == "level" else f"difference [{unit}]")


def figure_transitions(results: Results, analysis: Analysis, kind: str = "level") -> Figure:
    """One panel per kept series output: the arms of the transition study on calendar years.

    ``kind`` "level": each arm's mean path with its 95% t-band over replicates; "effect": each
    arm minus the never-switched arm, with its 95% bootstrap band (paired on replicate when the
    arms share random numbers). The switch (dashed) and the return (dotted) are marked; on
    each changing arm, a dot where half of a change was done and a diamond at 90%. The panel's
    title gives the first changing arm's half-times.
    """
    del results  # the analysis holds everything drawn; kept for the figure plan's signature
    table, paths = analysis.transitions, analysis.transition_paths
    if table.empty:
        why = next((n.split(": ", 1)[1] for n in analysis.notes
                    if n.startswith("no transition analysis")), "no regime switch")
        raise Skip(why)
    if kind == "effect" and paths["effect"].isna().all():
        raise Skip("no never-switched arm to measure effects against")
    settings = list(dict.fromkeys(paths["setting"]))
    if len(settings) > 1:
        raise Skip(f"{len(settings)} settings of the other parameters: see "
                   "analysis/transitions.csv")
    arms = _arms(paths)
    metrics = list(dict.fromkeys(paths["metric"]))
    ncols = 1 if len(metrics) == 1 else 2
    nrows = math.ceil(len(metrics) / ncols)
    fig = new_figure(FULL_WIDTH if ncols == 2 else 5.0, 2.2 * nrows + 1.2)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True)
    for k, metric in enumerate(metrics):
        ax = axes[k // ncols][k % ncols]
        _panel(ax, metric, paths, table, arms, kind)
        if k + ncols >= len(metrics):
            ax.set_xlabel("Year of the run [years]")
            ax.xaxis.set_tick_params(labelbottom=True)
    for k in range(len(metrics), nrows * ncols):
        axes[k // ncols][k % ncols].set_visible(False)
    handles, names = axes[0][0].get_legend_handles_labels()
    band = "95% CI over replicates" if kind == "level" else "95% bootstrap interval"
    extra = [(Patch(color="#888888", alpha=0.35), band),
             (Line2D([0], [0], color="black", linestyle="--", linewidth=1), "Switch"),
             *([(Line2D([0], [0], color="black", linestyle=":", linewidth=1.2), "Return")]
               if (table["transition"] == "return").any() else []),
             *((Line2D([0], [0], marker=m, color="#888888", markeredgecolor="black",
                       linestyle=""), text) for m, text in MARKS.values())]
    fig.legend([*handles, *(h for h, _ in extra)], [*names, *(t for _, t in extra)],
               loc="outside lower center", ncol=3)
    title = ("After a regime switch" if kind == "level" else
             "After a regime switch: each arm minus the never-switched arm")
    title += f" ({settings[0]})" if settings[0] else ""
    fig.suptitle(title, x=0.02, ha="left", fontsize=10, fontweight="bold")
    return fig
