"""The app without a browser: controls from the schema, models built the page's way, the
figures, and the page's widgets rendered and clicked in-process."""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np
import pytest

solara = pytest.importorskip("solara", reason="the app needs solara: pip install -e '.[app]'")
v = pytest.importorskip("ipyvuetify")
ipywidgets = pytest.importorskip("ipywidgets")

from simulation import ConfigError, ModelConfig  # noqa: E402
from simulation.loading import field_info  # noqa: E402
from simulation.viz import app  # noqa: E402

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


def test_action_chart_draws_each_action_in_its_colour(stepped_model):
    ax = app.action_shares_figure(stepped_model).axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == set(app.ACTION_COLOURS)
    for name, line in lines.items():
        assert line.get_color() == app.ACTION_COLOURS[name]
        assert len(line.get_xdata()) == 4


def test_inaction_chart_stacks_the_three_causes_to_the_inaction_rate(stepped_model):
    ax = app.inaction_split_figure(stepped_model).axes[0]
    tops = np.zeros(4)
    for container in ax.containers:
        tops = np.maximum(tops, [bar.get_y() + bar.get_height() for bar in container])
    assert [c.get_label() for c in ax.containers] == ["Unwilling", "Unable", "Afraid"]
    assert np.allclose(tops, stepped_model.results_table()["inaction"])


@pytest.mark.parametrize(
    ("figure", "labels"),
    [(app.inaction_forms_figure, ["Lying flat", "False action", "Avoidance"]),
     (app.inaction_reasons_figure, ["Says: no benefit", "Says: cannot", "Says: afraid"])],
)
def test_forms_and_reasons_charts_stack_to_the_inaction_rate(figure, labels, stepped_model):
    ax = figure(stepped_model).axes[0]
    tops = np.zeros(4)
    for container in ax.containers:
        tops = np.maximum(tops, [bar.get_y() + bar.get_height() for bar in container])
    assert [c.get_label() for c in ax.containers] == labels
    assert np.allclose(tops, stepped_model.results_table()["inaction"])


def test_summary_lists_every_lever_in_force(stepped_model):
    html = app.summary_html(stepped_model)
    assert "seniority_baseline" in html and "Year 4: inaction" in html
    assert html.count("<tr>") == len(lever_paths())


# --------------------------------------------------------------------------------------------
# The page itself, rendered in-process (no browser): widgets, Reset, Step, preset
# --------------------------------------------------------------------------------------------


def summary(rc) -> str:
    (widget,) = rc.find(solara.widgets.HTML).widgets
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


def select_preset(rc, name: str) -> None:
    rc.find(v.Select, label="Preset").widget.v_model = name


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
        assert rc.find(v.Select, label="Preset").widget.v_model == "strict_accountability"
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
        titles = [item["text"] for item in rc.find(v.Select, label="Preset").widget.items]
        assert "Guangdong three distinctions" in titles
    finally:
        rc.close()
