"""The app without a browser: controls from the schema, models built the page's way, the
figures, and the page's widgets rendered and clicked in-process."""

from __future__ import annotations

import io
import math
import re
import shlex
from typing import Any

import numpy as np
import pytest

solara = pytest.importorskip("solara", reason="the app needs solara: pip install -e '.[app]'")
v = pytest.importorskip("ipyvuetify")
ipywidgets = pytest.importorskip("ipywidgets")
ipyvue = pytest.importorskip("ipyvue")

from simulation import ConfigError, ModelConfig  # noqa: E402
from simulation.loading import field_info, load_config  # noqa: E402
from simulation.outputs import OUTPUTS  # noqa: E402
from simulation.viz import app, compare, export, presets, ticks  # noqa: E402

N = 200  # cadres in the models these tests build


def page_kwargs(choice: dict[str, Any], **moved: Any) -> dict[str, Any]:
    """The keyword arguments Reset passes: the page's record of the choice, with ``moved``."""
    return choice | moved


def lever_paths() -> list[str]:
    return [path for paths in app.LEVERS.values() for path in paths]


# --------------------------------------------------------------------------------------------
# Controls
# --------------------------------------------------------------------------------------------


def test_every_regime_group_has_a_lever_on_the_page():
    groups = {path.split(".")[1] for path in lever_paths()}
    assert groups == set(ModelConfig().regime.model_dump())


@pytest.mark.parametrize("path", [*lever_paths(), app.POPULATION, app.STEPS])
def test_controls_take_label_and_range_from_the_config_schema(path):
    info = field_info(path)
    spec = app.slider(path, app.config_value(ModelConfig(), path))
    assert spec["label"].startswith(info.title)
    unit = info.json_schema_extra["unit"]
    assert not unit or f"({unit})" in spec["label"]
    lo, hi = app.field_bounds(info)
    assert lo <= spec["min"] < spec["max"] <= hi
    if path not in app.GUI_RANGES:
        assert (spec["min"], spec["max"]) == (lo, hi)
    assert spec["type"] == ("SliderInt" if info.annotation is int else "SliderFloat")


@pytest.mark.parametrize("path", lever_paths())
def test_every_slider_position_makes_a_valid_config(path):
    spec = app.slider(path, 0)
    for value in (spec["min"], spec["max"], (spec["min"] + spec["max"]) / 2):
        value = int(value) if spec["type"] == "SliderInt" else value
        config = app.build_config("strict_accountability", {path: value})
        assert math.isclose(app.config_value(config, path), value)


def test_the_page_cannot_build_an_invalid_model():
    with pytest.raises(ConfigError, match=r"regime\.fault_tolerance\.tolerance"):
        app.AppModel(**{"regime.fault_tolerance.tolerance": 1.5})
    with pytest.raises(ConfigError, match="unknown key"):
        app.AppModel(**{"regime.fault_tolerance.tolerence": 0.5})


def test_controls_start_at_the_presets_values():
    config = app.build_config("guangdong_three_distinctions", {})
    params = app.controls("guangdong_three_distinctions", config)
    assert params["preset"] == "guangdong_three_distinctions"
    assert params["regime.fault_tolerance.tolerance"] == 0.8
    assert params["regime.fault_tolerance.precision"] == 0.95
    assert params["regime.supervision.clarification"] == 0.6
    assert params["seed"] == config.seed
    assert set(app.preset_names()) >= {"default", "guangdong_three_distinctions"}


# --------------------------------------------------------------------------------------------
# Models built the page's way
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("preset", "moved"),
    [
        ("default", {}),
        ("seniority_baseline", {"regime.support.education": 0.1, app.SEED: 7}),
        ("guangdong_three_distinctions", {"regime.fault_tolerance.precision": 0.5}),
    ],
)
def test_model_is_built_from_preset_and_moved_controls(preset, moved):
    start = app.start_model(preset, **{app.POPULATION: N})
    kwargs = page_kwargs(app.controls(preset, start.config), **moved)
    model = app.AppModel(**kwargs, scenario=None)  # Reset also passes Mesa's Scenario
    base = app.build_config(preset, {})
    for path in lever_paths():
        expected = moved.get(path, app.config_value(base, path))
        assert app.config_value(model.config, path) == expected, path
    assert model.seed == moved.get(app.SEED, app.GUI_START[app.SEED])
    assert model.config.organisation.n_cadres == N
    for _ in range(3):
        model.step()
    table = model.results_table()
    assert list(table["step"]) == [1, 2, 3]
    assert np.allclose(table[["unwilling", "unable", "afraid"]].sum(axis=1), table["inaction"])


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stepped_model() -> app.AppModel:
    model = app.start_model("seniority_baseline", **{app.POPULATION: N})
    for _ in range(4):
        model.step()
    return model


def png_bytes(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=50)
    return buffer.getvalue()


@pytest.mark.parametrize("figure", app.VIEWS)
def test_figures_render_before_and_after_steps(figure, stepped_model):
    fresh = app.start_model(**{app.POPULATION: N})
    assert png_bytes(figure(fresh)).startswith(b"\x89PNG")
    assert png_bytes(figure(stepped_model)).startswith(b"\x89PNG")


def test_pyramid_has_one_dot_per_cadre_coloured_by_its_last_action(stepped_model):
    fig = app.pyramid_figure(stepped_model)
    dots = fig.axes[0].collections[0]
    assert len(dots.get_offsets()) == N
    palette = [*app.ACTION_COLOURS.values(), app.NO_ACTION_COLOUR]
    from matplotlib.colors import to_hex

    colours = [to_hex(c) for c in dots.get_facecolors()]
    action = stepped_model.cadres.action
    expected = sorted(palette[a].lower() for a in np.where(action >= 0, action, 4))
    assert sorted(colours) == expected
    # one row of dots per rank band, ranks bottom to top
    assert len(fig.axes[0].get_yticks()) == stepped_model.config.organisation.n_ranks


def test_action_chart_draws_each_action_in_its_colour_named_from_the_registry(stepped_model):
    fig = app.action_shares_figure(stepped_model)
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    shown = {OUTPUTS[column].short: action for action, column in app.ACTION_COLUMNS.items()}
    assert set(lines) == set(shown) == {"Lying flat", "False action", "Routine work", "Bold work"}
    for label, line in lines.items():
        assert line.get_color() == app.ACTION_COLOURS[shown[label]]
        assert list(line.get_xdata()) == [1, 2, 3, 4]


@pytest.mark.parametrize(
    ("figure", "parts"),
    [(app.inaction_forms_figure, ["lying_flat", "formalism", "avoidance"]),
     (app.inaction_split_figure, ["unwilling", "unable", "afraid"]),
     (app.inaction_reasons_figure, ["reason_unwilling", "reason_unable", "reason_afraid"])],
)
def test_inaction_charts_draw_inaction_and_the_parts_that_add_up_to_it(figure, parts,
                                                                       stepped_model):
    fig = figure(stepped_model)
    lines = {line.get_label(): line.get_ydata() for line in fig.axes[0].get_lines()}
    assert list(lines) == [OUTPUTS[n].short for n in ["inaction", *parts]]
    table = stepped_model.results_table()
    assert np.allclose(lines["Inaction"], table["inaction"])
    assert np.allclose(sum(lines[OUTPUTS[p].short] for p in parts), table["inaction"])


@pytest.mark.parametrize("figure", app.VIEWS)
def test_chart_titles_use_display_names_not_raw_ids(figure, stepped_model):
    fig = figure(stepped_model)
    titles = [fig.get_suptitle(), *(ax.get_title(loc="left") for ax in fig.axes)]
    text = " ".join(titles)
    assert text.strip()
    assert not re.search(r"[a-z]+_[a-z]+", text), text  # no output or preset ids


def test_summary_lists_every_lever_in_force(stepped_model):
    html = app.summary_html(stepped_model)
    assert "seniority_baseline" in html and "Year 4: inaction" in html
    assert html.count("<tr>") == len(lever_paths())


def test_headline_shows_real_output_and_welfare_beside_inaction(stepped_model):
    line = app.headline(stepped_model)
    s = stepped_model.stats
    assert f"inaction {s['inaction']:.1%}" in line
    assert f"real output {s['real_output']:.2f}, welfare {s['welfare']:.2f} per cadre" in line


# --------------------------------------------------------------------------------------------
# The page itself, rendered in-process (no browser): widgets, Reset, Step, preset
# --------------------------------------------------------------------------------------------


def summary(rc) -> str:
    (widget,) = [w for w in rc.find(solara.widgets.HTML).widgets
                 if "cadresim-summary" in w.unsafe_innerHTML]
    return widget.unsafe_innerHTML


def images(rc) -> list[bytes]:
    return [w.value for w in rc.find(ipywidgets.Image).widgets]


@pytest.mark.slow
def test_page_renders_steps_and_applies_a_moved_lever_on_reset():
    _, rc = solara.render(solara.AppLayout(children=[app.Page(n_cadres=N)]),
                          handle_error=False)
    try:
        assert "Regime in force: default" in summary(rc)
        rc.find(v.Slider, label=app.field_label("regime.fault_tolerance.tolerance")).widget \
            .v_model = 0.7
        rc.find(v.Btn, children=["Reset"]).widget.click()
        assert "<td>Fault tolerance</td><td>0.7</td>" in summary(rc)
        before = images(rc)
        assert len(before) == len(app.VIEWS)  # pyramid and four charts
        step = rc.find(v.Btn, children=["Step"]).widget
        step.click()
        step.click()
        assert "Year 2: inaction" in summary(rc)
        after = images(rc)
        assert len(after) == len(app.VIEWS)
        assert all(a != b for a, b in zip(before, after, strict=True))
    finally:
        rc.close()


def picker(rc):
    """The preset picker (a Vue template with the menu's items)."""
    (widget,) = [w for w in rc.find(ipyvue.VueTemplate).widgets if hasattr(w, "items")]
    return widget


def select_preset(rc, name: str) -> None:
    picker(rc).value = name


@pytest.mark.slow
def test_reset_keeps_the_preset_the_seed_and_every_moved_slider():
    _, rc = solara.render(solara.AppLayout(children=[app.Page(n_cadres=N)]),
                          handle_error=False)
    try:
        select_preset(rc, "strict_accountability")
        tolerance = app.field_label("regime.fault_tolerance.tolerance")
        rc.find(v.Slider, label=tolerance).widget.v_model = 0.8
        rc.find(v.TextField, label="Seed").widget.v_model = "42"
        assert "press Reset" in str(rc.find(v.Alert).widgets[0].children)
        rc.find(v.Btn, children=["Reset"]).widget.click()
        html = summary(rc)
        assert "Regime in force: strict_accountability" in html
        assert "<td>Fault tolerance</td><td>0.8</td>" in html
        assert "seed 42," in html
        assert picker(rc).value == "strict_accountability"
        assert rc.find(v.Slider, label=tolerance).widget.v_model == 0.8
        assert not rc.find(v.Alert).widgets
        rc.find(v.Btn, children=["Reset"]).widget.click()  # a second Reset changes nothing
        assert summary(rc) == html
    finally:
        rc.close()


@pytest.mark.slow
def test_step_is_disabled_when_the_run_has_ended():
    _, rc = solara.render(solara.AppLayout(children=[app.Page(n_cadres=N)]),
                          handle_error=False)
    try:
        rc.find(v.Slider, label=app.field_label(app.STEPS)).widget.v_model = 2
        rc.find(v.Btn, children=["Reset"]).widget.click()
        step = rc.find(v.Btn, children=["Step"]).widget
        step.click()
        step.click()
        assert step.disabled
        assert rc.find(v.Btn, children=["▶"]).widget.disabled
    finally:
        rc.close()
    model = app.AppModel(**{app.POPULATION: N, app.STEPS: 1})
    model.step()
    assert not model.running
    assert "the run ended" in app.run_status(model)


def test_choosing_a_preset_rebuilds_the_model_and_moves_the_sliders():
    _, rc = solara.render(solara.AppLayout(children=[app.Page(n_cadres=N)]),
                          handle_error=False)
    try:
        select_preset(rc, "guangdong_three_distinctions")
        assert "Regime in force: guangdong_three_distinctions" in summary(rc)
        label = app.field_label("regime.fault_tolerance.precision")
        assert rc.find(v.Slider, label=label).widget.v_model == 0.95
        items = {item["title"]: item["description"] for item in picker(rc).items}
        described = load_config("guangdong_three_distinctions").description
        assert items["Guangdong three distinctions"] == described
    finally:
        rc.close()


# --------------------------------------------------------------------------------------------
# Ticks, presets, downloads, baseline and bands: the pure parts of comparing
# --------------------------------------------------------------------------------------------


def tick_labels(low: float, high: float, locs: list[float] | None = None) -> list[str]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FixedLocator

    fig = Figure()
    ax = fig.add_subplot()
    ax.set_ylim(low, high)
    ticks.percent_axis(ax)
    if locs is not None:
        ax.yaxis.set_major_locator(FixedLocator(locs))
    FigureCanvasAgg(fig).draw()
    return [label.get_text() for label in ax.get_yticklabels()]


def test_percent_ticks_in_steps_of_2_5_print_exactly():
    labels = tick_labels(0, 0.175, [0, 0.025, 0.05, 0.075, 0.1, 0.125, 0.15, 0.175])
    assert labels == ["0.0%", "2.5%", "5.0%", "7.5%", "10.0%", "12.5%", "15.0%", "17.5%"]


def test_percent_ticks_use_no_more_decimals_than_the_ticks_need():
    assert tick_labels(0, 1) == ["0%", "20%", "40%", "60%", "80%", "100%"]
    assert ticks.percent_decimals([0, 0.005, 0.01]) == 1
    assert ticks.percent_decimals([0.0125]) == 2
    # whatever range the locator chooses ticks for, no label rounds its tick
    for high in (0.03, 0.07, 0.12, 0.175, 0.33, 0.5):
        for label in tick_labels(0, high):
            assert label.endswith("%")


def test_preset_menu_gives_every_preset_its_description_and_source():
    menu = presets.preset_menu()
    assert [item["name"] for item in menu] == presets.preset_names()
    for item in menu[1:]:
        assert item["description"] == load_config(item["name"]).description != ""
    assert menu[0]["description"]  # the built-in defaults are described too
    source = presets.preset_source("hubei_opinions")
    assert source.startswith("Hubei Opinions on motivating cadres")
    assert "regime.promotion.performance_weight: 0.6" in source
    assert not any(line.startswith("#") for line in source.splitlines())
    assert presets.preset_source("default") == ""


@pytest.mark.parametrize(
    ("preset", "moved"),
    [
        ("default", {}),
        ("strict_accountability", {"regime.fault_tolerance.tolerance": 0.8, app.SEED: 42}),
        ("hubei_opinions", {app.POPULATION: 300, app.STEPS: 12,
                            "regime.promotion.min_tenure": 1, "regime.support.care": 0.35}),
    ],
)
def test_command_line_reproduces_the_pages_config(preset, moved):
    from experiments.cli.main import build_parser

    start = app.start_model(preset, **{app.POPULATION: N})
    model = app.AppModel(**page_kwargs(app.controls(preset, start.config), **moved))
    words = shlex.split(export.run_command(preset, model.config, out="run.parquet"))
    assert words[:2] == ["cadresim", "run"]
    args = build_parser().parse_args(words[1:])
    loaded = load_config(args.config, [*args.overrides, f"seed={args.seed}",
                                       f"steps={args.steps}"])
    assert loaded == model.config
    assert args.out == "run.parquet"


def test_command_line_makes_the_same_table(tmp_path):
    from experiments.cli.main import main

    model = app.AppModel("strict_accountability", seed=3,
                         **{app.POPULATION: N, app.STEPS: 3,
                            "regime.fault_tolerance.tolerance": 0.7})
    model.run()
    out = tmp_path / "run.parquet"
    words = shlex.split(export.run_command(model.preset, model.config, out=str(out)))
    assert main([*words[1:], "--quiet"]) == 0
    import pandas as pd

    pd.testing.assert_frame_equal(pd.read_parquet(out), model.results_table())
    assert pd.read_parquet(io.BytesIO(export.table_parquet(model.results_table()))).equals(
        model.results_table())
    csv = pd.read_csv(io.BytesIO(export.table_csv(model.results_table())))
    assert list(csv["step"]) == [1, 2, 3]
    assert np.allclose(csv["inaction"], model.results_table()["inaction"])


def test_config_yaml_loads_back_to_the_same_config(tmp_path):
    config = app.build_config("guangdong_three_distinctions",
                              {"regime.support.training": 0.05, app.SEED: 9})
    path = tmp_path / "run.yaml"
    path.write_text(export.config_yaml("guangdong_three_distinctions", config))
    assert load_config(path) == config
    assert "cadresim run guangdong_three_distinctions --seed 9" in path.read_text()


def test_band_is_the_t_interval_of_the_mean_year_by_year():
    import pandas as pd

    runs = [pd.DataFrame({"step": [1, 2], "inaction": [v, 10 * v]}) for v in (1.0, 2.0, 3.0)]
    b = compare.band(runs, "inaction")
    # mean 2 and s.d. 1 in year 1; t(0.975, 2 df) = 4.302653
    half = 4.302653 / math.sqrt(3)
    assert np.allclose(b["mean"], [2.0, 20.0])
    assert np.allclose(b["low"], [2 - half, 20 - 10 * half], atol=1e-5)
    assert np.allclose(b["high"], [2 + half, 20 + 10 * half], atol=1e-5)
    assert list(b["n"]) == [3, 3]
    # only the years every run reached; one run gives no interval
    short = compare.band([runs[0], runs[1].iloc[:1]], "inaction")
    assert list(short["step"]) == [1]
    assert np.isnan(compare.band(runs[:1], "inaction")["low"]).all()


def test_replicates_use_other_seeds_and_stay_within_the_pages_budget():
    config = app.build_config("default", {app.POPULATION: N, app.STEPS: 3})
    tables = compare.run_replicates(config, 2)
    assert [len(t) for t in tables] == [3, 3]
    assert not tables[0]["inaction"].equals(tables[1]["inaction"])
    again = compare.run_replicates(config, 1)
    assert again[0].equals(tables[0])  # replicate 1 has the same seed every time
    seeds = {compare.replicate_seed(config.seed, r) for r in range(1, 11)}
    assert len(seeds) == 10 and config.seed not in seeds
    big = app.build_config("default", {app.POPULATION: 10_000, app.STEPS: 200})
    with pytest.raises(ValueError, match="cadre-years"):
        compare.run_replicates(big, 5)
    assert "cadresim sweep" in app.replicate_state(None, 5, big, 0)


def test_charts_overlay_the_baseline_dashed_and_shade_the_band(stepped_model):
    baseline_model = app.start_model("strict_accountability", **{app.POPULATION: N})
    for _ in range(6):
        baseline_model.step()
    baseline = compare.freeze(baseline_model, "strict_accountability", baseline_model.label)
    baseline_model.step()  # later steps do not change the frozen baseline
    assert len(baseline.table) == 6
    replicates = tuple(compare.run_replicates(stepped_model.config, 2))
    comparison = app.Comparison(baseline, replicates)
    fig = app.inaction_forms_figure(stepped_model, comparison)
    ax = fig.axes[0]
    dashed = [line for line in ax.get_lines() if line.get_linestyle() != "-"]
    solid = [line for line in ax.get_lines() if line.get_linestyle() == "-"]
    assert len(dashed) == len(solid) == 4
    assert np.allclose(dashed[0].get_ydata(), baseline.table["inaction"])
    assert list(dashed[0].get_xdata()) == list(range(1, 7))
    assert ax.get_xlim()[1] >= 6  # the axis reaches the baseline's last year
    bands = ax.collections
    assert len(bands) == 4
    runs = [stepped_model.results_table(), *replicates]
    expected = compare.band(runs, "inaction")
    path = bands[0].get_paths()[0].vertices
    assert np.isclose(path[:, 1].max(), expected["high"].max())
    key = [text.get_text() for legend in fig.legends for text in legend.get_texts()]
    assert any(k.startswith("this run: Seniority baseline") for k in key)
    assert any(k.startswith("baseline: Strict accountability") for k in key)
    assert any("3 seeds" in k for k in key)


def test_run_label_names_the_preset_and_the_moved_levers():
    model = app.AppModel("strict_accountability", seed=5,
                         **{app.POPULATION: N, "regime.fault_tolerance.tolerance": 0.8})
    assert model.label == "Strict accountability, fault tolerance 0.8; 200 cadres, seed 5"
    assert app.start_model(**{app.POPULATION: N}).label == "Default; 200 cadres, seed 1"


def test_pacer_draws_when_the_last_drawing_has_been_shown_as_long_as_it_took():
    now = [0.0]
    pacer = app.Pacer(clock=lambda: now[0])
    assert not pacer.due()  # the charts of the year ▶ was pressed at are on screen
    now[0] += app.FRAME_SECONDS
    assert pacer.due()

    def slow_drawing() -> None:
        now[0] += 2.0

    pacer.draw(slow_drawing)
    assert pacer.draw_seconds == 2.0
    now[0] += 1.0
    assert not pacer.due()  # the model runs ahead
    assert pacer.due(ended=True)  # the last year is always drawn
    now[0] += 1.0
    assert pacer.due()


@pytest.mark.slow  # runs replicate models and draws every chart twice (about 4 s)
def test_page_keeps_a_baseline_draws_a_band_and_offers_downloads():
    _, rc = solara.render(solara.AppLayout(children=[app.Page(n_cadres=N)]),
                          handle_error=False)
    try:
        step = rc.find(v.Btn, children=["Step"]).widget
        step.click()
        step.click()
        rc.find(v.Btn, children=["Keep as baseline"]).widget.click()
        rc.find(v.Slider, label=app.field_label("regime.fault_tolerance.tolerance")).widget \
            .v_model = 0.9
        rc.find(v.Btn, children=["Reset"]).widget.click()
        step.click()
        labels = [str(w.children) for w in rc.find(v.Btn).widgets]
        assert any("Clear baseline" in label for label in labels)
        downloads = [w.filename for w in rc.find(solara.components.file_download
                                                 .FileDownloadWidget).widgets]
        stem = "cadresim_default_seed1_year1"
        assert downloads == [f"{stem}.csv", f"{stem}.parquet", f"{stem}.yaml", f"{stem}.sh"]
        commands = [w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets
                    if "cadresim run" in w.unsafe_innerHTML]
        assert commands and "--set regime.fault_tolerance.tolerance=0.9" in commands[0]
    finally:
        rc.close()
