"""The interactive page: a Mesa SolaraViz app over :class:`~simulation.model.CadreModel`.

Run it with ``solara run simulation/viz/app.py`` (``make app``), or show ``page`` as the last
expression of a notebook cell.

One parameter source: every control is built from the config schema (``simulation/config.py``):
its label is the field's title and unit, its range the field's bounds (narrowed only where a
browser slider over the full range would be unusable: population size and seed). The model
behind the page is always built by ``load_config(preset, overrides)``, the same validated path
the command line and the tests use, so the page cannot create an invalid model.

How the controls combine: the regime preset (top of the sidebar) sets the base regime and moves
every slider to the preset's value; a slider moved afterwards overrides that value when
**Reset** is pressed (Mesa's convention: parameters take effect on Reset).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from html import escape
from typing import Any

import numpy as np
import solara
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, PercentFormatter
from mesa.visualization import SolaraViz
from pydantic.fields import FieldInfo

from simulation.config import ModelConfig, config_value
from simulation.formulas import ACTIONS
from simulation.loading import field_info, list_presets, load_config
from simulation.model import CadreModel
from simulation.outputs import CAUSES, OUTPUTS
from simulation.viz.palette import ACTION_COLOURS, CAUSE_COLOURS, NO_ACTION_COLOUR

# --------------------------------------------------------------------------------------------
# Colours: simulation.viz.palette, shared with experiments/analysis/plots.py
# --------------------------------------------------------------------------------------------

#: The per-step outputs that hold each action's share (simulation.outputs).
ACTION_COLUMNS: dict[str, str] = {
    "idle": "inaction",
    "formal": "formalism",
    "routine": "routine",
    "bold": "bold",
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
#: Browser ranges for fields whose schema range is too wide for a slider (intersected with it).
GUI_RANGES: dict[str, tuple[int, int]] = {POPULATION: (100, 10_000), SEED: (0, 999)}
#: Slider steps other than 1 (integers) or a 1-2-5 hundredth of the range (floats).
GUI_STEPS: dict[str, float] = {POPULATION: 100}
#: The preset name that stands for the built-in defaults (no preset file).
DEFAULT_PRESET = "default"
#: Value of a freshly opened page (the schema's defaults otherwise).
GUI_START: dict[str, Any] = {"preset": DEFAULT_PRESET, POPULATION: 1000, SEED: 1}


def preset_names() -> list[str]:
    """'default' and then every preset in configs/regimes, by name."""
    return [DEFAULT_PRESET, *list_presets()]


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


def model_params(preset: str, config: ModelConfig) -> dict[str, Any]:
    """SolaraViz ``model_params`` showing ``config``: the preset (fixed), size, seed, levers.

    Keys are the model's keyword arguments: ``preset``, ``seed`` and dotted config paths (which
    :class:`AppModel` passes to ``load_config`` as overrides).
    """
    params: dict[str, Any] = {"preset": preset}
    unit_size = config.organisation.unit_size
    params[POPULATION] = slider(POPULATION, config.organisation.n_cadres, lo=unit_size)
    params[SEED] = slider(SEED, config.seed)
    for paths in LEVERS.values():
        for path in paths:
            params[path] = slider(path, config_value(config, path))
    return params


class AppModel(CadreModel):
    """A CadreModel built from the page's controls, always through ``load_config``.

    Args:
        preset: a preset name from configs/regimes, or 'default' for the built-in defaults.
        seed: the run's seed (also recorded in the config).
        scenario: ignored; SolaraViz's Reset passes Mesa's default Scenario, while CadreSim's
            parameters live in the validated config.
        **overrides: dotted config paths and values laid over the preset.
    """

    def __init__(self, preset: str = DEFAULT_PRESET, seed: int | None = None,
                 scenario: object = None, **overrides: Any) -> None:
        if seed is not None:
            overrides = {**overrides, SEED: int(seed)}
        config = build_config(preset, overrides)
        super().__init__(config)
        self.preset = preset


def start_model(preset: str = GUI_START["preset"], **keep: Any) -> AppModel:
    """The model a page shows when it opens, or after a preset is chosen.

    ``keep`` carries population size and seed over from the previous model.
    """
    settings = {POPULATION: GUI_START[POPULATION], SEED: GUI_START[SEED]} | keep
    return AppModel(preset, seed=settings.pop(SEED), **settings)


# --------------------------------------------------------------------------------------------
# Figures: pure functions of a model (the tests and the notebook call them directly)
# --------------------------------------------------------------------------------------------


def _figure(width: float = 6.0, height: float = 3.6) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def action_legend(counts: Mapping[str, int] | None = None, new: int = 0) -> list[Line2D]:
    """Legend handles for the four actions (with each one's share of cadres if counts given).

    ``new`` cadres (entrants that have not chosen yet) get a grey entry when there are any.
    """
    total = sum(counts.values()) if counts else 0
    entries = []
    for name, colour in ACTION_COLOURS.items():
        entries.append((name if not total else f"{name} {counts[name] / total:.0%}", colour))
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


def pyramid_figure(model: CadreModel) -> Figure:
    """The rank pyramid: one dot per cadre, by rank (bottom: staff), coloured by last action."""
    c = model.cadres
    n_ranks = model.config.organisation.n_ranks
    counts = np.bincount(c.rank, minlength=n_ranks)
    rows = max(3, round(math.sqrt(counts.max() / 6)))  # a rank band about 6 times wider than tall
    x, y, order = pyramid_layout(c.rank, c.action, n_ranks, rows)
    palette = np.array([*ACTION_COLOURS.values(), NO_ACTION_COLOUR])
    colours = palette[np.where(c.action[order] >= 0, c.action[order], len(ACTIONS))]
    fig = _figure()
    ax = fig.add_subplot()
    # Square dots that fill about 85% of their cell in an axes of roughly 320 x 210 points.
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
    ax.legend(handles=action_legend(shares if acted.size else None, new), loc="upper left",
              frameon=False, fontsize=8, title="last action", title_fontsize=8)
    ax.set_title(f"Year {model.steps}: {model.config.organisation.n_cadres} cadres by rank",
                 fontsize=10)
    return fig


def _no_data(ax: Any, what: str) -> None:
    ax.text(0.5, 0.5, f"{what}\nappear after the first step (Step or ▶)", ha="center",
            va="center", transform=ax.transAxes, fontsize=9, color="#555555")
    ax.set_axis_off()


def _year_axis(ax: Any) -> None:
    ax.set_xlabel("year")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))


def action_shares_figure(model: CadreModel) -> Figure:
    """Share of cadres choosing each action, year by year."""
    table = model.results_table()
    fig = _figure()
    ax = fig.add_subplot()
    ax.set_title(f"Action shares: {model.regime_label}", fontsize=10)
    if table.empty:
        _no_data(ax, "Action shares")
        return fig
    marker = "o" if len(table) <= 40 else None
    for name, column in ACTION_COLUMNS.items():
        ax.plot(table["step"], table[column], color=ACTION_COLOURS[name], label=name,
                marker=marker, markersize=3)
    ax.set_ylim(0, 1)
    _year_axis(ax)
    ax.set_ylabel("share of cadres")
    ax.legend(loc="upper left", frameon=False, fontsize=8, ncols=4)
    return fig


def inaction_split_figure(model: CadreModel) -> Figure:
    """Inaction (idle share) split into unwilling, unable and afraid, stacked by year."""
    table = model.results_table()
    fig = _figure()
    ax = fig.add_subplot()
    ax.set_title(f"Why cadres lie flat (unwilling, unable, afraid): {model.regime_label}",
                 fontsize=10)
    if table.empty:
        _no_data(ax, "The causes of inaction")
        return fig
    bottom = np.zeros(len(table))
    for cause in CAUSES:
        values = table[cause].to_numpy(dtype=float)
        ax.bar(table["step"], values, bottom=bottom, width=0.9, color=CAUSE_COLOURS[cause],
               linewidth=0, label=OUTPUTS[cause].short.lower())
        bottom += values
    ax.set_ylim(0, max(0.05, float(table["inaction"].max()) * 1.25))
    _year_axis(ax)
    ax.set_ylabel("share of cadres (bar = inaction)")
    ax.legend(loc="upper left", frameon=False, fontsize=8, ncols=3)
    return fig


def headline(model: CadreModel) -> str:
    """This year's inaction, its split, formalism and meritocracy, as one line of text."""
    if not model.stats:
        return "No year run yet."
    s = model.stats
    return (f"Year {model.steps}: inaction {s['inaction']:.1%} (unwilling {s['unwilling']:.1%}, "
            f"unable {s['unable']:.1%}, afraid {s['afraid']:.1%}); formalism "
            f"{s['formalism']:.1%}; meritocracy {s['meritocracy']:.2f}")


def levers_in_force(model: CadreModel) -> dict[str, dict[str, Any]]:
    """The page's levers with the values the model runs under, by regime group."""
    return {
        group: {field_info(path).title: config_value(model.config, path) for path in paths}
        for group, paths in LEVERS.items()
    }


def summary_html(model: AppModel) -> str:
    """The regime in force (preset, description, every lever's value) and the headline."""
    description = model.config.description or "built-in defaults"
    rows = "".join(
        f"<tr><td>{escape(group)}</td><td>{escape(title)}</td><td>{value:g}</td></tr>"
        for group, levers in levers_in_force(model).items()
        for title, value in levers.items()
    )
    return (
        f"<div class='cadresim-summary'><p><b>Regime in force: {escape(model.preset)}</b> "
        f"({escape(description)}); {model.config.organisation.n_cadres} cadres, seed "
        f"{model.seed}.</p><p>{escape(headline(model))}</p>"
        f"<table>{rows}</table></div>"
    )


# --------------------------------------------------------------------------------------------
# Components: one small function per view
# --------------------------------------------------------------------------------------------


def RankPyramid(model: CadreModel) -> Any:
    """The rank pyramid, coloured by last action (SolaraViz re-renders it after each step)."""
    return solara.FigureMatplotlib(pyramid_figure(model), format="png")


def ActionShares(model: CadreModel) -> Any:
    """Live chart of action shares."""
    return solara.FigureMatplotlib(action_shares_figure(model), format="png")


def InactionSplit(model: CadreModel) -> Any:
    """Live chart of the unwilling / unable / afraid split of inaction."""
    return solara.FigureMatplotlib(inaction_split_figure(model), format="png")


def RegimeSummary(model: AppModel) -> Any:
    """The regime in force, lever by lever, and this year's headline numbers."""
    return solara.HTML(tag="div", unsafe_innerHTML=summary_html(model))


COMPONENTS = [RankPyramid, ActionShares, InactionSplit, RegimeSummary]


@solara.component
def PresetPicker(model: solara.Reactive[AppModel]) -> None:
    """Select a preset: builds a new model from it, keeping population size and seed."""

    def choose(name: str) -> None:
        current = model.value
        model.value = start_model(name, **{POPULATION: current.config.organisation.n_cadres,
                                           SEED: current.seed})

    with solara.Card("Regime preset"):
        solara.Select("Preset", values=preset_names(), value=model.value.preset, on_value=choose)
        solara.Text("Sets the base regime and the sliders below; moved sliders override it on "
                    "Reset.", style={"font-size": "0.8em"})


#: Sidebar sliders: label on its own line above the slider, value always shown on the thumb.
CSS = """
.v-navigation-drawer .v-input__slider .v-input__slot { flex-wrap: wrap; }
.v-navigation-drawer .v-input__slider .v-input__slot > .v-label {
    flex: 0 0 100%; max-width: 100%; white-space: normal; margin-bottom: 34px; }
.v-navigation-drawer .v-slider__thumb-label-container { display: block !important; }
.cadresim-summary table { border-collapse: collapse; font-size: 0.85em; }
.cadresim-summary td { padding: 1px 8px; border-bottom: 1px solid #eee; }
"""


@solara.component
def Page(preset: str = GUI_START["preset"], n_cadres: int = GUI_START[POPULATION]) -> None:
    """The CadreSim page: preset picker, SolaraViz controls and the views.

    Args:
        preset: the regime the page opens on (a notebook passes its own).
        n_cadres: the population size it opens with.
    """
    model = solara.use_reactive(
        solara.use_memo(lambda: start_model(preset, **{POPULATION: n_cadres}), dependencies=[])
    )
    solara.Style(CSS)
    with solara.Sidebar():
        PresetPicker(model)
    # A new preset remounts SolaraViz (key), so its sliders start at the new model's values.
    SolaraViz(
        model,
        components=COMPONENTS,
        model_params=model_params(model.value.preset, model.value.config),
        name="CadreSim: cadres under promotion, accountability and fault-tolerance regimes",
    ).key(f"viz-{model.value.preset}")


page = Page()
