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
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from html import escape
from typing import Any

import matplotlib as mpl
import numpy as np
import solara
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, PercentFormatter
from pydantic.fields import FieldInfo

from simulation.config import ModelConfig, config_value
from simulation.formulas import ACTIONS
from simulation.loading import field_info, list_presets, load_config
from simulation.model import CadreModel
from simulation.outputs import ACTION_OUTPUTS, CAUSES, FORMS, OUTPUTS, REASONS, colours

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
#: The preset name that stands for the built-in defaults (no preset file).
DEFAULT_PRESET = "default"
#: Value of a freshly opened page (the schema's defaults otherwise).
GUI_START: dict[str, Any] = {"preset": DEFAULT_PRESET, POPULATION: 1000, SEED: 1}


def preset_names() -> list[str]:
    """'default' and then every preset in configs/regimes, by name."""
    return [DEFAULT_PRESET, *list_presets()]


def preset_title(name: str) -> str:
    """A preset's name as the picker shows it: ``hubei_opinions`` -> ``Hubei opinions``."""
    if name == DEFAULT_PRESET:
        return "Default (built-in values)"
    words = name.replace("_", " ")
    return words[:1].upper() + words[1:]


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
        super().__init__(config)
        self.preset = preset


def start_model(preset: str = GUI_START["preset"], **keep: Any) -> AppModel:
    """The model a page shows when it opens, or after a preset is chosen.

    ``keep`` carries population size, seed and run length over from the previous model.
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
        ax.set_title(f"Year {model.steps}: {model.config.organisation.n_cadres} cadres by rank")
    return fig


def _no_data(ax: Any, what: str) -> None:
    ax.text(0.5, 0.5, f"{what}\nappear after the first step (Step or ▶)", ha="center",
            va="center", transform=ax.transAxes, color="#555555")
    ax.set_axis_off()


def _year_axis(ax: Any) -> None:
    ax.set_xlabel("Year")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))


def action_shares_figure(model: CadreModel) -> Figure:
    """Share of cadres choosing each action, year by year."""
    with mpl.rc_context(SCREEN_STYLE):
        table = model.results_table()
        fig = _figure()
        ax = fig.add_subplot()
        ax.set_title(f"Action shares: {model.regime_label}", loc="left")
        if table.empty:
            _no_data(ax, "Action shares")
            return fig
        marker = "o" if len(table) <= 40 else None
        for name, column in ACTION_COLUMNS.items():
            ax.plot(table["step"], table[column], color=ACTION_COLOURS[name], label=name,
                    marker=marker, markersize=3)
        ax.set_ylim(0, 1)
        _year_axis(ax)
        ax.set_ylabel("Share of cadres")
        ax.legend(loc="upper left", ncols=4)
    return fig


def stacked_figure(model: CadreModel, parts: Mapping[str, str], title: str) -> Figure:
    """Bars per year stacking ``parts`` (output name -> colour), which add up to inaction.

    Legend names from the output registry.
    """
    with mpl.rc_context(SCREEN_STYLE):
        table = model.results_table()
        fig = _figure()
        ax = fig.add_subplot()
        ax.set_title(title, loc="left")
        if table.empty:
            _no_data(ax, title)
            return fig
        bottom = np.zeros(len(table))
        for name, colour in parts.items():
            values = table[name].to_numpy(dtype=float)
            ax.bar(table["step"], values, bottom=bottom, width=0.9, color=colour,
                   linewidth=0, label=OUTPUTS[name].short)
            bottom += values
        ax.set_ylim(0, max(0.05, float(table["inaction"].max()) * 1.3))
        _year_axis(ax)
        ax.set_ylabel("Share of cadres\n(bar = inaction)")
        ax.legend(loc="upper left", ncols=3)
    return fig


def inaction_forms_figure(model: CadreModel) -> Figure:
    """Inaction in its three forms (lying flat, false action, avoidance), stacked by year."""
    return stacked_figure(model, FORM_COLOURS,
                          "Inaction by form: lying flat, false action, avoidance")


def inaction_split_figure(model: CadreModel) -> Figure:
    """Inaction split into its causes (unwilling, unable, afraid), stacked by year."""
    return stacked_figure(model, {c: CAUSE_COLOURS[c] for c in CAUSES},
                          "Inaction by cause: unwilling, unable, afraid")


def inaction_reasons_figure(model: CadreModel) -> Figure:
    """Inaction split by the reason inactive cadres give, stacked by year."""
    return stacked_figure(model, REASON_COLOURS, "Inaction by the reason cadres give")


def headline(model: CadreModel) -> str:
    """This year's inaction, its forms and causes, and meritocracy, as one line of text."""
    if not model.stats:
        return "No year run yet."
    s = model.stats

    def parts(names: tuple[str, ...]) -> str:
        return ", ".join(f"{OUTPUTS[n].short.lower()} {s[n]:.1%}" for n in names)

    return (f"Year {model.steps}: inaction {s['inaction']:.1%} ({parts(FORMS)}; "
            f"{parts(CAUSES)}); meritocracy {s['meritocracy']:.2f}")


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
        f"{model.seed}, {model.config.steps} years.</p><p>{escape(headline(model))}</p>"
        f"<table>{rows}</table></div>"
    )


def run_status(model: CadreModel) -> str:
    """The year the model is at, and whether its run has ended."""
    if model.running:
        return f"Year {model.steps} of {model.config.steps}"
    return (f"Year {model.steps}: the run ended (its length is {model.config.steps} years). "
            "Lengthen it below and press Reset to run longer.")


# --------------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------------

#: The views, in page order: (figure function, or None for the regime summary).
VIEWS: tuple[Any, ...] = (pyramid_figure, action_shares_figure, inaction_forms_figure,
                          inaction_split_figure, inaction_reasons_figure)
#: Seconds between years while playing.
PLAY_SECONDS = 0.3

#: Sidebar sliders: label on its own line above the slider; room at the page's foot.
CSS = """
.v-navigation-drawer .v-input__slider .v-input__slot { flex-wrap: wrap; }
.v-navigation-drawer .v-input__slider .v-input__slot > .v-label {
    flex: 0 0 100%; max-width: 100%; white-space: normal; margin-bottom: 34px; }
.cadresim-summary table { border-collapse: collapse; font-size: 0.95em; }
.cadresim-summary td { padding: 1px 8px; border-bottom: 1px solid #eee; }
.cadresim-main { padding-bottom: 96px; }
"""


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
                playing: solara.Reactive[bool], tick: solara.Reactive[int]) -> None:
    """Reset, Play/Pause and Step, the year reached, and whether the controls are in force."""

    def reset() -> None:
        playing.value = False
        model.value = AppModel(**choice.value)
        tick.value += 1

    def step() -> None:
        model.value.step()
        tick.value += 1

    def play() -> None:
        while playing.value and model.value.running:
            time.sleep(PLAY_SECONDS)
            if playing.value:
                step()
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
    with solara.Card("Regime preset"):
        solara.v.Select(label="Preset", v_model=choice.value["preset"], on_v_model=choose,
                        items=[{"text": preset_title(n), "value": n} for n in preset_names()])
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
def Views(model: AppModel, tick: int) -> None:
    """The figures and the regime summary (re-drawn when ``tick`` moves: after each year)."""
    with solara.Column(classes=["cadresim-main"]):
        with solara.ColumnsResponsive(12, large=6):
            for view in VIEWS:
                solara.FigureMatplotlib(view(model), format="png")
        solara.HTML(tag="div", unsafe_innerHTML=summary_html(model))


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
    solara.Style(CSS)
    solara.Title("CadreSim")
    with solara.AppBar():
        solara.AppBarTitle("CadreSim: cadres under promotion, accountability and "
                           "fault-tolerance regimes")
    with solara.Sidebar():
        RunControls(model, choice, playing, tick)
        Controls(model, choice)
    Views(model.value, tick.value)


page = Page()
