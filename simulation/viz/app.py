"""The interactive page.

A Solara app over :class:`~simulation.model.CadreModel`, in Mesa's layout (controls in the sidebar,
views beside them).

Run it with ``make app`` (``solara run simulation/viz/app.py --production``), or show ``page`` as
the last expression of a notebook cell.

One parameter source: every control is built from the config schema (``simulation/config.py``): its
label is the field's title and unit, its range the field's bounds (narrowed only where a browser
slider over the full range would be unusable: population size and run length). The model behind the
page is always built by ``load_config(preset, overrides)``, the same validated path the command line
and the tests use, so the page cannot create an invalid model.

How the controls combine: the page keeps one record of what the researcher chose (``Choice``:
preset, population, seed, run length and every lever). Choosing a preset builds its model at once
and moves every slider to the preset's value; a slider moved afterwards takes effect on **Reset**,
which rebuilds the model from the whole record, so the preset, the seed and every slider survive it.
Until then the page says that the controls differ from the regime in force. The run stops after its
configured length (``steps``, a control too); Step and Play are then disabled and the page says so.

Comparing: **Keep as baseline** freezes the run so far; every chart then draws it as a dashed line
beside the current run. A replicate band (off by default; 5 or 10 replicates) runs the same config
with other seeds and shades the 95% t-interval of the mean, year by year
(``simulation/viz/compare.py``). The run's table (CSV, Parquet), its config (YAML) and the
``cadresim run`` command that makes it again download from the page (``simulation/viz/export.py``).

Playing keeps up with the model: the charts are redrawn only when the last drawing has been on
screen as long as it took to draw, so at most about half the time goes into drawing and the model
runs ahead in between (years are skipped on screen, never in the model).
"""

from __future__ import annotations

import io
import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
import solara
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator
from pydantic.fields import FieldInfo

from simulation import kernels
from simulation.config import ModelConfig, config_value
from simulation.formulas import ACTIONS
from simulation.loading import field_info, load_config
from simulation.model import CadreModel
from simulation.outputs import ACTION_OUTPUTS, CAUSES, FORMS, OUTPUTS, REASONS, colours
from simulation.viz import export
from simulation.viz.compare import (
    MAX_REPLICATE_CADRE_YEARS,
    REPLICATE_CHOICES,
    Run,
    band,
    freeze,
    replicate_cost,
    run_label,
    run_replicates,
)
from simulation.viz.presets import (
    DEFAULT_PRESET,
    preset_menu,
    preset_names,  # noqa: F401 - the page's names, for notebooks and tests
    preset_source,
    preset_title,  # noqa: F401
)
from simulation.viz.ticks import percent_axis
from simulation.written_rules import BELIEF_RULES, BeliefRule, is_cost, written_path

# --------------------------------------------------------------------------------------------
# Colours and style: each output's colour is declared with it (simulation.outputs), as the
# publication figures read it (experiments.analysis.style); the model knows nothing of
# experiments, so the screen style is restated here and a test keeps it equal to the figures'.
# --------------------------------------------------------------------------------------------

#: The per-step outputs that hold each action's share (simulation.outputs).
ACTION_COLUMNS: dict[str, str] = ACTION_OUTPUTS
#: Each action keeps its colour in the pyramid, the charts and the figures.
ACTION_COLOURS: dict[str, str] = {a: OUTPUTS[o].colour for a, o in ACTION_OUTPUTS.items()}
#: A cadre that has not chosen yet (before the first step).
NO_ACTION_COLOUR = "#E0E0E0"
FORM_COLOURS: dict[str, str] = colours(FORMS)
CAUSE_COLOURS: dict[str, str] = colours(CAUSES)
REASON_COLOURS: dict[str, str] = colours(REASONS)
#: The figures' style (experiments.analysis.style.STYLE) with larger type: the app's charts
#: are shown at screen size.
SCREEN_STYLE: dict[str, object] = {
    "font.family": "DejaVu Sans",
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titleweight": "bold",
    "lines.linewidth": 1.6,
    "errorbar.capsize": 3,
    "pdf.fonttype": 42,
    "savefig.dpi": 300,
}

# --------------------------------------------------------------------------------------------
# Controls: which config fields the page exposes, and their widgets (built from the schema)
# --------------------------------------------------------------------------------------------

#: The regime levers on the page, by regime group (dotted config paths).
LEVERS: dict[str, tuple[str, ...]] = {
    "Promotion": (
        "regime.promotion.performance_weight",
        "regime.promotion.min_tenure",
    ),
    "Accountability": (
        "regime.accountability.annual_evaluation",
        "regime.accountability.generalised_accountability",
    ),
    "Fault tolerance": (
        "regime.fault_tolerance.tolerance",
        "regime.fault_tolerance.precision",
    ),
    "Evaluation": ("regime.evaluation.precision",),
    "Support": (
        "regime.support.training",
        "regime.support.education",
        "regime.support.care",
        "regime.support.burden",
    ),
    "Supervision": (
        "regime.supervision.public_clues",
        "regime.supervision.clarification",
    ),
}
POPULATION = "organisation.n_cadres"
SEED = "seed"
STEPS = "steps"
#: Browser ranges for fields whose schema range is too wide for a slider (intersected with it).
#: The seed is typed in a number box (any seed the config accepts), not a slider.
GUI_RANGES: dict[str, tuple[int, int]] = {POPULATION: (100, 10_000), STEPS: (1, 200)}
#: Slider steps other than 1 (integers) or a 1-2-5 hundredth of the range (floats).
GUI_STEPS: dict[str, float] = {POPULATION: 100}
#: Value of a freshly opened page (the schema's defaults otherwise).
GUI_START: dict[str, Any] = {"preset": DEFAULT_PRESET, POPULATION: 1000, SEED: 1}


def build_config(preset: str, overrides: Mapping[str, Any]) -> ModelConfig:
    """The validated config of a preset (or the defaults) with the page's overrides applied."""
    source = None if preset == DEFAULT_PRESET else preset
    return load_config(source, dict(overrides))


def field_bounds(info: FieldInfo) -> tuple[float, float]:
    """The range a field accepts, from its ge/gt and le/lt bounds (infinite where unbounded)."""
    lo, hi = -math.inf, math.inf
    for meta in info.metadata:
        for name in ("ge", "gt"):
            if getattr(meta, name, None) is not None:
                lo = getattr(meta, name)
        for name in ("le", "lt"):
            if getattr(meta, name, None) is not None:
                hi = getattr(meta, name)
    return lo, hi


def nice_step(span: float) -> float:
    """The largest 1-2-5 step that divides a float range into at least 100 positions."""
    exponent = math.floor(math.log10(span / 100))
    for mantissa in (5, 2, 1):
        step = mantissa * 10.0**exponent
        if step <= span / 100:
            return round(step, 12)
    return 10.0**exponent


def field_label(path: str) -> str:
    """'Title (unit)' from the config schema."""
    info = field_info(path)
    unit = (info.json_schema_extra or {}).get("unit", "")
    return f"{info.title} ({unit})" if unit else str(info.title)


def slider(path: str, value: Any, lo: float | None = None) -> dict[str, Any]:
    """A SolaraViz slider spec for a config field: label, range and step from the schema.

    The range is the field's, narrowed by ``GUI_RANGES`` and by ``lo`` (e.g. population size at
    least the unit size); an open bound (gt/lt) moves one step inward. ``value`` is clipped to it.
    """
    info = field_info(path)
    field_lo, field_hi = field_bounds(info)
    gui_lo, gui_hi = GUI_RANGES.get(path, (field_lo, field_hi))
    low = max(field_lo, gui_lo, -math.inf if lo is None else lo)
    high = min(field_hi, gui_hi)
    if info.annotation is int:
        kind, low, high = "SliderInt", math.ceil(low), math.floor(high)
        step = GUI_STEPS.get(path, 1)
    else:
        kind, step = "SliderFloat", GUI_STEPS.get(path, nice_step(high - low))
        low += step * any(getattr(m, "gt", None) is not None for m in info.metadata)
        high -= step * any(getattr(m, "lt", None) is not None for m in info.metadata)
    clipped = min(max(value, low), high)
    return {"type": kind, "label": field_label(path), "min": low, "max": high, "step": step,
            "value": int(clipped) if kind == "SliderInt" else float(clipped)}


def control_paths() -> list[str]:
    """Every config path the page has a control for: population, run length, then the levers."""
    return [POPULATION, STEPS, *(path for paths in LEVERS.values() for path in paths)]


def controls(preset: str, config: ModelConfig) -> dict[str, Any]:
    """The page's record of what is chosen, showing ``config``: preset, seed and every control.

    Keys are :class:`AppModel`'s keyword arguments (``preset``, ``seed``, dotted config paths),
    so ``AppModel(**controls(...))`` rebuilds the model the controls show.
    """
    return {"preset": preset, SEED: config.seed,
            **{path: config_value(config, path) for path in control_paths()}}


def control_specs(config: ModelConfig) -> dict[str, dict[str, Any]]:
    """The slider of every control path (population at least the unit size)."""
    specs = {}
    for path in control_paths():
        lo = config.organisation.unit_size if path == POPULATION else None
        specs[path] = slider(path, config_value(config, path), lo=lo)
    return specs


class AppModel(CadreModel):
    """A CadreModel built from the page's controls, always through ``load_config``.

    Args:
        preset: a preset name from configs/regimes, or 'default' for the built-in defaults.
        seed: the run's seed (also recorded in the config).
        scenario: ignored (Mesa's SolaraViz passes a Scenario on Reset); CadreSim's parameters
            live in the validated config.
        **overrides: dotted config paths and values laid over the preset.
    """

    def __init__(self, preset: str = DEFAULT_PRESET, seed: int | None = None,
                 scenario: object = None, **overrides: Any) -> None:
        if seed is not None:
            overrides = {**overrides, SEED: int(seed)}
        config = build_config(preset, overrides)
        choose_kernels(config.organisation.n_cadres * config.steps)
        super().__init__(config)
        self.preset = preset
        #: The run's name in legends: preset, the levers moved off it, population and seed.
        levers = [path for paths in LEVERS.values() for path in paths]
        self.label = run_label(preset, config, export.preset_config(preset), levers)


def choose_kernels(cadre_years: int) -> None:
    """The faster hot path for a run this size (same results either way; see simulation.kernels).

    Small runs (the page's usual 30 years at 1 000 cadres) are faster on the NumPy path; a
    choice made with the CADRESIM_KERNELS variable is kept.
    """
    if kernels.ENVIRONMENT not in os.environ:
        large = cadre_years >= kernels.WORTH_COMPILING and kernels.numba_available()
        kernels.use("numba" if large else "numpy")


def start_model(preset: str = GUI_START["preset"], **keep: Any) -> AppModel:
    """The model a page shows when it opens, or after a preset is chosen.

    ``keep`` carries population size, seed and run length over from the previous model.
    """
    settings = {POPULATION: GUI_START[POPULATION], SEED: GUI_START[SEED]} | keep
    return AppModel(preset, seed=settings.pop(SEED), **settings)


# --------------------------------------------------------------------------------------------
# Figures: pure functions of a model (the tests and the notebook call them directly)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """What the charts draw beside the run: a baseline run and replicate runs (either optional)."""

    baseline: Run | None = None
    replicates: tuple[pd.DataFrame, ...] = ()


NO_COMPARISON = Comparison()
#: How the baseline and the band are drawn beside the run.
BASELINE_STYLE: dict[str, Any] = {"linestyle": (0, (4, 2)), "alpha": 0.6, "linewidth": 1.4}
BAND_ALPHA = 0.2
#: The line of the total inaction the forms, causes and reasons add up to.
TOTAL_COLOUR = "#222222"


def short(name: str) -> str:
    """An output's short display name (``formalism`` -> ``False action``)."""
    return OUTPUTS[name].short


def _figure(width: float = 6.0, height: float = 3.6) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def action_legend(counts: Mapping[str, int] | None = None, new: int = 0) -> list[Line2D]:
    """Legend handles for the four actions (with each one's share of cadres if counts given).

    ``new`` cadres (entrants that have not chosen yet) get a grey entry when there are any.
    """
    total = sum(counts.values()) if counts else 0
    entries = []
    for name, colour in ACTION_COLOURS.items():
        shown_name = short(ACTION_COLUMNS[name])
        entries.append((shown_name if not total else f"{shown_name} {counts[name] / total:.0%}",
                        colour))
    if new:
        entries.append((f"new, no action yet ({new})", NO_ACTION_COLOUR))
    return [Line2D([], [], marker="s", linestyle="", color=colour, label=label)
            for label, colour in entries]


def pyramid_layout(rank: np.ndarray, action: np.ndarray, n_ranks: int,
                   rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dot positions for the rank pyramid: each rank a centred block of ``rows`` rows.

    Within a rank, cadres are sorted by action and placed column by column, so each rank reads
    left to right as idle, formal, routine, bold. Returns x, y and the slot order.
    """
    xs, ys, order = [], [], []
    for r in range(n_ranks):
        slots = np.flatnonzero(rank == r)
        slots = slots[np.argsort(action[slots], kind="stable")]
        cols = max(1, math.ceil(len(slots) / rows))
        i = np.arange(len(slots))
        xs.append(i // rows - (cols - 1) / 2)
        ys.append(r * (rows + 2) + i % rows)
        order.append(slots)
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(order)


def pyramid_figure(model: CadreModel, comparison: Comparison = NO_COMPARISON) -> Figure:
    """The rank pyramid: one dot per cadre, by rank (bottom: staff), coloured by last action.

    A snapshot of this run only (``comparison`` is not drawn).
    """
    with mpl.rc_context(SCREEN_STYLE):
        c = model.cadres
        n_ranks = model.config.organisation.n_ranks
        counts = np.bincount(c.rank, minlength=n_ranks)
        rows = max(3, round(math.sqrt(counts.max() / 6)))  # a band about 6 times wider than tall
        x, y, order = pyramid_layout(c.rank, c.action, n_ranks, rows)
        palette = np.array([*ACTION_COLOURS.values(), NO_ACTION_COLOUR])
        colours = palette[np.where(c.action[order] >= 0, c.action[order], len(ACTIONS))]
        fig = _figure()
        ax = fig.add_subplot()
        # Square dots that fill about 85% of their cell in an axes of about 320 x 210 points.
        cell = min(320 / (np.ptp(x) + 1), 210 / (n_ranks * (rows + 2)))
        ax.scatter(x, y, s=(0.85 * cell) ** 2, c=colours, marker="s", linewidths=0)
        centres = [r * (rows + 2) + (rows - 1) / 2 for r in range(n_ranks)]
        ax.set_yticks(centres, [f"rank {r}\n{n} cadres" for r, n in enumerate(counts)])
        ax.set_xticks([])
        for side in ("top", "right", "bottom", "left"):
            ax.spines[side].set_visible(False)
        acted = c.action[c.action >= 0]
        shares = {name: int(np.count_nonzero(acted == k)) for k, name in enumerate(ACTIONS)}
        new = int(np.count_nonzero(c.action < 0)) if acted.size else 0
        fig.legend(handles=action_legend(shares if acted.size else None, new),
                   loc="outside right upper", title="last action")
        ax.set_title(f"Year {model.year}: {model.config.organisation.n_cadres:,} cadres by rank",
                     loc="left")
    return fig


def comparison_key(model: AppModel, comparison: Comparison) -> list[Line2D | Patch]:
    """Legend entries naming what the line styles are: this run, the baseline, the band."""
    entries: list[Line2D | Patch] = [
        Line2D([], [], color=TOTAL_COLOUR, label=f"this run: {model.label}")]
    if comparison.baseline is not None:
        entries.append(Line2D([], [], color=TOTAL_COLOUR, **BASELINE_STYLE,
                              label=f"baseline: {comparison.baseline.label}"))
    if comparison.replicates:
        n = len(comparison.replicates) + 1
        entries.append(Patch(color=TOTAL_COLOUR, alpha=BAND_ALPHA,
                             label=f"95% interval of the mean of this run and "
                                   f"{n - 1} replicates ({n} seeds)"))
    return entries


def series_figure(model: AppModel, series: Mapping[str, str], title: str,
                  comparison: Comparison = NO_COMPARISON, full_scale: bool = False,
                  ylabel: str = "Share of cadres",
                  overlay: Callable[[Any], tuple[float, float]] | None = None) -> Figure:
    """Lines, one per output in ``series`` (name -> colour), year by year.

    The baseline, if any, is the same outputs dashed; the replicate band, if any, shades each
    output's 95% interval over the run and its replicates. ``full_scale``: the y axis from 0 to
    100% (shares that add up to 1); otherwise from 0 (or a little below the lowest value, if
    negative) to a little above the highest. ``overlay(ax)`` draws more on the axes before the
    legend is made and returns the lowest and highest value it drew.
    """
    compared = comparison.baseline is not None or bool(comparison.replicates)
    with mpl.rc_context(SCREEN_STYLE):
        table = model.results_table()
        fig = _figure(height=3.6 + 0.28 * (1 + len(comparison_key(model, comparison)))
                      if compared else 3.6)
        ax = fig.add_subplot()
        fig.suptitle(title, x=0.02, ha="left", fontsize=SCREEN_STYLE["axes.titlesize"],
                     fontweight="bold")
        baseline = comparison.baseline.table if comparison.baseline is not None else None
        if table.empty and baseline is None:
            _no_data(ax, title)
            return fig
        runs = [table, *comparison.replicates]
        marker = "o" if len(table) <= 12 else None
        top = bottom = 0.0
        for name, colour in series.items():
            if comparison.replicates and not table.empty:
                b = band(runs, name)
                ax.fill_between(b["step"], b["low"], b["high"], color=colour, alpha=BAND_ALPHA,
                                linewidth=0)
                top = max(top, float(np.nanmax(b["high"], initial=0)))
                bottom = min(bottom, float(np.nanmin(b["low"], initial=0)))
            if baseline is not None and not baseline.empty:
                ax.plot(baseline["step"], baseline[name], color=colour, **BASELINE_STYLE)
                top = max(top, float(baseline[name].max()))
                bottom = min(bottom, float(baseline[name].min()))
            ax.plot(table["step"], table[name], color=colour, label=short(name), marker=marker,
                    markersize=3)
            if not table.empty:
                top = max(top, float(table[name].max()))
                bottom = min(bottom, float(table[name].min()))
        if overlay is not None:
            low, high = overlay(ax)
            top, bottom = max(top, high), min(bottom, low)
        horizon = max(model.config.steps, int(baseline["step"].max())
                      if baseline is not None and not baseline.empty else 0)
        ax.set_xlim(0.5, horizon + 0.5)
        ax.set_ylim(bottom * 1.1, 1 if full_scale else max(0.05, top * 1.1))
        _year_axis(ax)
        ax.set_ylabel(ylabel)
        fig.legend(loc="outside right center")
        if compared:
            fig.legend(handles=comparison_key(model, comparison), loc="outside lower left",
                       ncols=1, fontsize=9, handlelength=2.6)
    return fig


def _no_data(ax: Any, what: str) -> None:
    ax.text(0.5, 0.5, f"{what}\nappear after the first step (Step or ▶)", ha="center",
            va="center", transform=ax.transAxes, color="#555555")
    ax.set_axis_off()


def _year_axis(ax: Any) -> None:
    ax.set_xlabel("Year")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
    percent_axis(ax)


def action_shares_figure(model: AppModel, comparison: Comparison = NO_COMPARISON) -> Figure:
    """Share of cadres choosing each action, year by year."""
    series = {column: ACTION_COLOURS[action] for action, column in ACTION_COLUMNS.items()}
    return series_figure(model, series, "What cadres do: share choosing each action",
                         comparison, full_scale=True)


def inaction_parts_figure(model: AppModel, parts: Mapping[str, str], title: str,
                          comparison: Comparison = NO_COMPARISON) -> Figure:
    """Inaction (a dark line) and ``parts`` (output name -> colour), which add up to it."""
    return series_figure(model, {"inaction": TOTAL_COLOUR, **parts}, title, comparison)


def parts_title(parts: Mapping[str, str], by: str) -> str:
    """``Inaction by form: lying flat + false action + avoidance`` (names from the registry)."""
    return f"{short('inaction')} by {by}: " + " + ".join(short(p).lower() for p in parts)


def inaction_forms_figure(model: AppModel, comparison: Comparison = NO_COMPARISON) -> Figure:
    """Inaction and its three forms (lying flat, false action, avoidance), year by year."""
    return inaction_parts_figure(model, FORM_COLOURS, parts_title(FORM_COLOURS, "form"),
                                 comparison)


def inaction_split_figure(model: AppModel, comparison: Comparison = NO_COMPARISON) -> Figure:
    """Inaction and its causes (unwilling, unable, afraid), year by year."""
    parts = {c: CAUSE_COLOURS[c] for c in CAUSES}
    return inaction_parts_figure(model, parts, parts_title(parts, "cause"), comparison)


def inaction_reasons_figure(model: AppModel, comparison: Comparison = NO_COMPARISON) -> Figure:
    """Inaction and the reasons inactive cadres give, year by year."""
    return inaction_parts_figure(model, REASON_COLOURS,
                                 f"{short('inaction')} by the reason cadres give", comparison)


#: How the written rules' values are drawn beside the learnt beliefs.
WRITTEN_STYLE: dict[str, Any] = {"linestyle": (0, (1, 1.2)), "linewidth": 2.2,
                                 "drawstyle": "steps-mid"}


def beliefs_figure(model: AppModel, comparison: Comparison = NO_COMPARISON) -> Figure:
    """The mean beliefs about chances year by year beside what the written rules imply (dotted).

    The pairs come from ``simulation.written_rules.BELIEF_RULES``; the written value follows the
    regime in force each year (a scheduled switch included) over the whole run. A belief with no
    written counterpart is named so in the legend (the page says why, ``belief_notes_html``).
    """
    rules = [rule for rule in BELIEF_RULES if rule.belief in OUTPUTS and not is_cost(rule)]
    return _beliefs_beside_rules(model, rules, "Beliefs (solid) beside the written rules "
                                 "(dotted)", "Mean belief, written value", comparison)


def belief_costs_figure(model: AppModel, comparison: Comparison = NO_COMPARISON) -> Figure:
    """The believed costs of each sanction rung beside their written costs (dotted)."""
    rules = [rule for rule in BELIEF_RULES if rule.belief in OUTPUTS and is_cost(rule)]
    return _beliefs_beside_rules(model, rules, "Believed sanction costs (solid) beside the "
                                 "written rungs (dotted)", "Utility", comparison)


def _beliefs_beside_rules(model: AppModel, rules: list[BeliefRule], title: str, ylabel: str,
                          comparison: Comparison) -> Figure:
    def written(ax: Any) -> tuple[float, float]:
        years = np.arange(1, model.config.steps + 1)
        low, high = 0.0, 0.0
        for rule in rules:
            if rule.written is None:
                for line in ax.get_lines():
                    if line.get_label() == short(rule.belief):
                        line.set_label(f"{short(rule.belief)} (no written rule)")
                continue
            values = written_path(model.config, rule, len(years))
            ax.plot(years, values, color=rule.colour, **WRITTEN_STYLE)
            low, high = min(low, float(values.min())), max(high, float(values.max()))
        ax.plot([], [], color=TOTAL_COLOUR, label="written rule (dotted)",
                **{k: v for k, v in WRITTEN_STYLE.items() if k != "drawstyle"})
        return low, high

    return series_figure(model, {rule.belief: rule.colour for rule in rules}, title, comparison,
                         ylabel=ylabel, overlay=written)


def belief_notes_html() -> str:
    """What each written value is, or why a belief has none: a list under the charts."""
    items = "".join(f"<li><b>{escape(short(rule.belief))}</b>: {escape(rule.meaning)}</li>"
                    for rule in BELIEF_RULES if rule.belief in OUTPUTS)
    return (f"<div class='cadresim-beliefs'><p>Beliefs are learnt from the cases cadres see; "
            f"the dotted lines are what the written rules in force imply:</p><ul>{items}</ul>"
            "</div>")


def png(fig: Figure) -> bytes:
    """A figure as PNG bytes (what the page shows)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def headline(model: CadreModel) -> str:
    """This year's inaction, its forms and causes, real output, welfare and meritocracy: a line."""
    if not model.stats:
        return "No year run yet."
    s = model.stats

    def parts(names: tuple[str, ...]) -> str:
        return ", ".join(f"{short(n).lower()} {s[n]:.1%}" for n in names)

    return (f"Year {model.year}: inaction {s['inaction']:.1%} ({parts(FORMS)}; "
            f"{parts(CAUSES)}); real output {s['real_output']:.2f}, welfare "
            f"{s['welfare']:.2f} per cadre; meritocracy {s['meritocracy']:.2f}")


def levers_in_force(model: CadreModel) -> dict[str, dict[str, Any]]:
    """The page's levers with the values the model runs under, by regime group."""
    return {
        group: {field_info(path).title: config_value(model.config, path) for path in paths}
        for group, paths in LEVERS.items()
    }


def summary_html(model: AppModel) -> str:
    """The regime in force (preset, description, every lever's value) and the headline.

    The levers sit in two tables side by side, so the whole regime reads at a glance.
    """
    description = model.config.description or "built-in defaults"
    rows = [
        f"<tr><td>{escape(group)}</td><td>{escape(title)}</td><td>{value:g}</td></tr>"
        for group, levers in levers_in_force(model).items()
        for title, value in levers.items()
    ]
    half = (len(rows) + 1) // 2
    tables = "".join(f"<table>{''.join(part)}</table>" for part in (rows[:half], rows[half:]))
    return (
        f"<div class='cadresim-summary'><p><b>Regime in force: {escape(model.preset)}</b> "
        f"({escape(description)}); {model.config.organisation.n_cadres:,} cadres, seed "
        f"{model.seed}, {model.config.steps} years.</p>"
        f"<p class='cadresim-headline'>{escape(headline(model))}</p>"
        f"<div class='cadresim-levers'>{tables}</div></div>"
    )


def run_status(model: CadreModel) -> str:
    """The year the model is at, and whether its run has ended."""
    if model.running:
        return f"Year {model.year} of {model.config.steps}"
    return (f"Year {model.year}: the run ended (its length is {model.config.steps} years). "
            "Lengthen it below and press Reset to run longer.")


# --------------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------------

#: The views, in page order: each a function of (model, comparison) returning a Figure.
VIEWS: tuple[Callable[..., Figure], ...] = (
    pyramid_figure, action_shares_figure, inaction_forms_figure, inaction_split_figure,
    inaction_reasons_figure, beliefs_figure, belief_costs_figure,
)
#: Least time a year takes while playing, in seconds (so that ▶ can be watched).
YEAR_SECONDS = 0.1
#: Least time between two drawings of the charts while playing, in seconds.
FRAME_SECONDS = 0.5


class Pacer:
    """When playing, whether to draw the charts after a year: at most half the time drawing.

    A drawing is due when the last one has been on screen at least as long as it took to draw
    (and FRAME_SECONDS), or when the run has ended; the model runs ahead in between.
    """

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock
        self.drawn_at = clock()  # the charts on screen when ▶ was pressed
        self.draw_seconds = 0.0

    def due(self, ended: bool = False) -> bool:
        """Whether the charts should be drawn now."""
        wait = max(self.draw_seconds, FRAME_SECONDS)
        return ended or self.clock() - self.drawn_at >= wait

    def draw(self, drawing: Callable[[], None]) -> None:
        """Draw (``drawing``), timing it."""
        started = self.clock()
        drawing()
        self.drawn_at = self.clock()
        self.draw_seconds = self.drawn_at - started


#: Sidebar sliders: label on its own line above the slider; room at the page's foot.
CSS = """
.v-navigation-drawer .v-input__slider .v-input__slot { flex-wrap: wrap; }
.v-navigation-drawer .v-input__slider .v-input__slot > .v-label {
    flex: 0 0 100%; max-width: 100%; white-space: normal; margin-bottom: 34px; }
.cadresim-summary p { margin-bottom: 6px; }
.cadresim-levers { display: flex; flex-wrap: wrap; gap: 0 24px; }
.cadresim-summary table { border-collapse: collapse; font-size: 0.9em; }
.cadresim-summary td { padding: 1px 8px; border-bottom: 1px solid #eee; }
.cadresim-summary td:first-child { color: #666; }
.cadresim-summary td:last-child { text-align: right; font-variant-numeric: tabular-nums; }
.cadresim-source { white-space: pre-wrap; font-size: 0.8em; max-height: 320px; overflow: auto; }
.cadresim-command { font-family: monospace; font-size: 0.85em; background: #f5f5f5;
                    padding: 6px 8px; word-break: break-all; user-select: all; }
.cadresim-main { padding-bottom: 96px; }
"""

#: The preset picker: a Vuetify select whose menu shows each preset's description.
_PICKER_VUE = str(Path(__file__).with_name("preset_picker.vue"))


@solara.component_vue(_PICKER_VUE)
def PresetPicker(items: list, value: str, on_value: Callable[[str], None]) -> None:
    """The preset menu: each entry its title and one-line description."""


@solara.component
def Slider(path: str, spec: Mapping[str, Any], choice: solara.Reactive[dict]) -> None:
    """One control: moves the page's record of the choice (applied on Reset)."""

    def move(value: float) -> None:
        choice.value = {**choice.value, path: value}

    widget = solara.SliderInt if spec["type"] == "SliderInt" else solara.SliderFloat
    widget(spec["label"], value=choice.value[path], min=spec["min"], max=spec["max"],
           step=spec["step"], on_value=move, thumb_label="always")


@solara.component
def RunControls(model: solara.Reactive[AppModel], choice: solara.Reactive[dict],
                playing: solara.Reactive[bool], tick: solara.Reactive[int],
                frame: solara.Reactive[int]) -> None:
    """Reset, Play/Pause and Step, the year reached, and whether the controls are in force."""

    def reset() -> None:
        playing.value = False
        model.value = AppModel(**choice.value)
        tick.value += 1
        frame.value += 1

    def step() -> None:
        model.value.step()
        tick.value += 1
        frame.value += 1

    def play() -> None:
        pacer = Pacer()
        drawn = model.value.steps
        while playing.value and model.value.running:
            started = time.perf_counter()
            model.value.step()
            tick.value += 1
            if pacer.due(ended=not model.value.running):
                pacer.draw(lambda: frame.set(frame.value + 1))
                drawn = model.value.steps
            time.sleep(max(0.0, YEAR_SECONDS - (time.perf_counter() - started)))
        if drawn != model.value.steps:  # paused between drawings: show the year reached
            frame.value += 1
        playing.value = False

    solara.lab.use_task(play, dependencies=[playing.value, model.value], prefer_threaded=True)
    _ = tick.value  # re-render after every year: the year reached, Step and ▶ enabled or not
    running = model.value.running
    with solara.Card("Run"):
        with solara.Row(justify="space-between"):
            solara.Button("Reset", color="primary", on_click=reset)
            solara.Button("❚❚" if playing.value else "▶", color="primary",
                          on_click=lambda: playing.set(not playing.value),
                          disabled=not running)
            solara.Button("Step", color="primary", on_click=step,
                          disabled=playing.value or not running)
        solara.Text(run_status(model.value), classes=["cadresim-year"])
        if choice.value != controls(model.value.preset, model.value.config):
            solara.Warning("The controls differ from the regime in force: press Reset to "
                           "apply them.", dense=True)


@solara.component
def Controls(model: solara.Reactive[AppModel], choice: solara.Reactive[dict]) -> None:
    """The preset picker, population, seed, run length and every lever, from the schema."""

    def choose(name: str) -> None:
        keep = {key: choice.value[key] for key in (POPULATION, SEED, STEPS)}
        model.value = start_model(name, **keep)
        choice.value = controls(name, model.value.config)

    specs = control_specs(model.value.config)
    menu = solara.use_memo(preset_menu, dependencies=[])
    with solara.Card("Regime preset"):
        PresetPicker(items=menu, value=choice.value["preset"], on_value=choose)
        solara.Text("Sets the regime and moves the sliders below; sliders moved afterwards "
                    "take effect on Reset.", style={"font-size": "0.85em"})
    with solara.Card("Population, seed and run length"):
        Slider(POPULATION, specs[POPULATION], choice)
        solara.InputInt("Seed", value=choice.value[SEED], continuous_update=True,
                        on_value=lambda s: choice.set({**choice.value, SEED: int(s)}))
        Slider(STEPS, specs[STEPS], choice)
    for group, paths in LEVERS.items():
        with solara.Card(group):
            for path in paths:
                Slider(path, specs[path], choice)


@solara.component
def RegimeInForce(model: AppModel, tick: solara.Reactive[int]) -> None:
    """The regime in force and this year's headline, with the preset's source on demand."""
    _ = tick.value  # the headline follows every year
    with solara.Card("This run", style={"height": "100%"}):
        solara.HTML(tag="div", unsafe_innerHTML=summary_html(model))
        source = preset_source(model.preset)
        if source:
            with solara.Details(summary=f"Source of the preset '{model.preset}' (its file's "
                                        "header)"):
                solara.HTML(tag="div", unsafe_innerHTML=escape(source),
                            classes=["cadresim-source"])


@solara.component
def Compare(model: AppModel, baseline: solara.Reactive[Run | None],
            replicates: solara.Reactive[int], task_state: str,
            tick: solara.Reactive[int]) -> None:
    """Keep the run as a baseline, choose a replicate band, download the run."""
    _ = tick.value  # the year reached names the downloads
    with solara.Card("Compare and download", style={"height": "100%"}):
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.Button("Keep as baseline", color="primary", outlined=True,
                          on_click=lambda: baseline.set(freeze(model, model.preset, model.label)),
                          disabled=not model.year)
            solara.Button("Clear baseline", text=True, on_click=lambda: baseline.set(None),
                          disabled=baseline.value is None)
        if baseline.value is not None:
            years = len(baseline.value.table)
            solara.Text(f"Baseline (dashed): {baseline.value.label}, {years} years.",
                        classes=["cadresim-baseline"], style={"font-size": "0.9em"})
        else:
            solara.Text("No baseline: keep this run as one, then change the regime and Reset.",
                        style={"font-size": "0.9em", "color": "#666"})
        with solara.Row(style={"align-items": "center", "margin-top": "8px"}):
            solara.Text("Replicate band (95%):")
            solara.ToggleButtonsSingle(value=replicates, values=list(REPLICATE_CHOICES),
                                       dense=True, classes=["cadresim-replicates"])
        if task_state:
            solara.Text(task_state, classes=["cadresim-replicate-state"],
                        style={"font-size": "0.9em"})
        Downloads(model, model.year)


@solara.component
def Downloads(model: AppModel, year: int) -> None:
    """The run's table (CSV, Parquet), its config (YAML) and its ``cadresim run`` command.

    ``year``: the year reached (it names the files, and re-renders them each year).
    """
    stem = export.file_stem(model.preset, model.config, year)
    command = export.run_command(model.preset, model.config, out=f"{stem}.parquet")
    with solara.Row(style={"flex-wrap": "wrap", "gap": "4px", "margin-top": "8px"}):
        solara.FileDownload(lambda: export.table_csv(model.results_table()),
                            filename=f"{stem}.csv", label="Table (CSV)", mime_type="text/csv")
        solara.FileDownload(lambda: export.table_parquet(model.results_table()),
                            filename=f"{stem}.parquet", label="Table (Parquet)")
        solara.FileDownload(lambda: export.config_yaml(model.preset, model.config),
                            filename=f"{stem}.yaml", label="Config (YAML)",
                            mime_type="application/yaml")
        solara.FileDownload(command + "\n", filename=f"{stem}.sh", label="Command",
                            mime_type="text/x-shellscript")
    solara.Text("The same run from the command line:", style={"font-size": "0.9em"})
    solara.HTML(tag="div", unsafe_innerHTML=escape(command), classes=["cadresim-command"])


@solara.component
def Chart(view: Callable[..., Figure], model: AppModel, comparison: Comparison,
          frame: int) -> None:
    """One view, drawn again only when the frame, the model or the comparison changes."""
    image = solara.use_memo(lambda: png(view(model, comparison)),
                            dependencies=[view, model, comparison, frame])
    solara.Image(image, format="png")


@solara.component
def Views(model: AppModel, comparison: Comparison, frame: solara.Reactive[int]) -> None:
    """The pyramid and the charts (drawn again when ``frame`` moves)."""
    with solara.ColumnsResponsive(12, large=6):
        for view in VIEWS:
            Chart(view, model, comparison, frame.value)
    with solara.Details(summary="Beliefs beside the written rules: what each dotted line is"):
        solara.HTML(tag="div", unsafe_innerHTML=belief_notes_html())


def replicate_state(task: Any, n: int, config: ModelConfig, done: int) -> str:
    """What the replicate band is doing, in words ("" when off)."""
    if n == 0:
        return ""
    if replicate_cost(config, n) > MAX_REPLICATE_CADRE_YEARS:
        return (f"{n} replicates of this run would be {replicate_cost(config, n):,} cadre-years; "
                f"the page runs at most {MAX_REPLICATE_CADRE_YEARS:,}. Lower the population or "
                "the run length, or run a sweep (cadresim sweep).")
    if task.pending:
        return f"Running replicates: {done} of {n} done…"
    if task.error:
        return f"The replicates failed: {task.exception}"
    return f"Band over this run and {n} replicates ({n + 1} seeds)."


@solara.component
def Page(preset: str = GUI_START["preset"], n_cadres: int = GUI_START[POPULATION]) -> None:
    """The CadreSim page: run controls, preset and levers in the sidebar; the views beside.

    Args:
        preset: the regime the page opens on (a notebook passes its own).
        n_cadres: the population size it opens with.
    """
    first = solara.use_memo(lambda: start_model(preset, **{POPULATION: n_cadres}),
                            dependencies=[])
    model = solara.use_reactive(first)
    choice = solara.use_reactive(solara.use_memo(lambda: controls(preset, first.config),
                                                 dependencies=[]))
    playing = solara.use_reactive(False)
    tick = solara.use_reactive(0)
    frame = solara.use_reactive(0)
    baseline: solara.Reactive[Run | None] = solara.use_reactive(None)
    replicates = solara.use_reactive(0)
    done = solara.use_reactive(0)

    def replicate_runs() -> tuple[pd.DataFrame, ...]:
        n, config = replicates.value, model.value.config
        done.value = 0
        if n == 0 or replicate_cost(config, n) > MAX_REPLICATE_CADRE_YEARS:
            return ()
        return tuple(run_replicates(config, n, progress=done.set))

    # Keyed on the config, not the model: a Reset that keeps the config keeps the replicates.
    task = solara.lab.use_task(replicate_runs, dependencies=[replicates.value,
                                                             model.value.config.model_dump_json()],
                               prefer_threaded=True)
    runs = task.value if task.finished and task.value else ()
    comparison = solara.use_memo(lambda: Comparison(baseline.value, runs),
                                 dependencies=[baseline.value, runs])
    solara.Style(CSS)
    solara.Title("CadreSim")
    with solara.AppBar():
        solara.AppBarTitle("CadreSim: cadres under promotion, accountability and "
                           "fault-tolerance regimes")
    with solara.Sidebar():
        RunControls(model, choice, playing, tick, frame)
        Controls(model, choice)
    with solara.Column(classes=["cadresim-main"]):
        with solara.ColumnsResponsive(12, large=[7, 5]):
            RegimeInForce(model.value, tick)
            Compare(model.value, baseline, replicates,
                    replicate_state(task, replicates.value, model.value.config, done.value),
                    tick)
        Views(model.value, comparison, frame)


page = Page()
