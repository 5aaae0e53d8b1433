"""Figures from a results folder: only those the data supports, each as a 300 dpi PNG and a
PDF, with readable axis names; and one end-to-end pass from real model runs to figures."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest
from matplotlib.contour import ContourSet

from experiments.analysis import analyze, point_labels
from experiments.analysis.bar_plots import figure_inaction_by_cause
from experiments.analysis.heatmap_plots import figure_heatmap, grid_axes
from experiments.analysis.labels import axis_label
from experiments.analysis.plots import make_figures
from experiments.analysis.results import load_results
from experiments.analysis.series_plots import figure_timeseries, figure_timeseries_causes
from experiments.analysis.style import CAUSE_COLOURS, Skip
from experiments.cli import main
from tests.synthetic_results import model_results, write_results

TOL = "regime.fault_tolerance.tolerance"
DET = "regime.accountability.annual_evaluation"
REGIMES = ["seniority_baseline", "guangdong_three_distinctions"]


def assert_figure_files(folder: Path, name: str) -> None:
    """A non-empty 300 dpi PNG that opens, and a PDF beside it."""
    png, pdf = folder / f"{name}.png", folder / f"{name}.pdf"
    assert png.stat().st_size > 10_000 and pdf.stat().st_size > 5_000
    assert pdf.read_bytes()[:5] == b"%PDF-"
    image = mpimg.imread(png)
    assert image.ndim == 3 and image.shape[1] >= 1200  # >= 4 in wide at 300 dpi
    assert image[..., :3].std() > 0.05  # something is drawn


def causes(point, params, rep, rng, extra=0.0):
    unwilling, unable, afraid = (rng.normal(m, 0.01) for m in (0.12 + extra, 0.05, 0.08))
    return {"inaction": unwilling + unable + afraid, "unwilling": unwilling, "unable": unable,
            "afraid": afraid, "formalism": rng.normal(0.15, 0.01),
            "wrongful_sanctions": rng.normal(0.004 + 0.002 * point, 0.0005),
            "shielded_violations": rng.normal(0.006 - 0.002 * point, 0.0005)}


def regime_series(point, params, rep, rng):
    steps = np.arange(1, 21)
    after = steps >= 12
    base = {"unwilling": 0.12, "unable": 0.05, "afraid": 0.10 - 0.05 * after * point}
    out = {m: v + rng.normal(0, 0.01, steps.size) for m, v in base.items()}
    out["inaction"] = out["unwilling"] + out["unable"] + out["afraid"]
    return out


@pytest.mark.slow
def test_regime_experiment_gets_bars_series_and_trade_offs_and_skips_the_rest(tmp_path):
    folder = write_results(
        tmp_path / "regimes", [{"regime": r} for r in REGIMES], causes, replications=6,
        spec={"regimes": REGIMES, "series": ["inaction", "unwilling", "unable", "afraid"],
              "switch": {"step": 12, "preset": "guangdong_three_distinctions"}},
        series=regime_series)
    results = load_results(folder)
    written, skipped = make_figures(results, analyze(results))
    names = {f.name for f in written}
    assert names == {"inaction_by_cause", "timeseries", "timeseries_causes", "tradeoff",
                     "differences_inaction", "running_mean"}
    for name in names:
        assert_figure_files(folder / "figures", name)
    reasons = dict(skipped)
    assert "two varying parameters" in reasons["heatmap_inaction"]
    assert "not sobol" in reasons["sobol_inaction"]


def test_bars_use_the_cause_colours_and_readable_labels(tmp_path):
    folder = write_results(tmp_path / "r", [{"regime": r} for r in REGIMES], causes, 4)
    results = load_results(folder)
    fig = figure_inaction_by_cause(results, analyze(results))
    ax = fig.axes[0]
    facecolours = {tuple(np.round(p.get_facecolor()[:3], 3)) for p in ax.patches}
    def rgb(colour: str) -> tuple:
        return tuple(np.round(np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255, 3))

    for cause in ("unwilling", "unable", "afraid"):
        assert rgb(CAUSE_COLOURS[cause]) in facecolours
    # False action is a form of inaction, inside the stack: no bar of its own beside it.
    assert rgb(CAUSE_COLOURS["formalism"]) not in facecolours
    ticks = [t.get_text().replace("\n", " ") for t in ax.get_xticklabels()]
    assert ticks == ["Seniority baseline", "Guangdong three distinctions"]
    assert "[share]" in ax.get_ylabel()


def grid_folder(tmp_path: Path, nx: int, ny: int, regimes=REGIMES[:1]) -> Path:
    xs, ys = np.linspace(0.05, 0.4, nx).round(3), np.linspace(0, 1, ny).round(3)
    points = [{"regime": r, "parameters": {DET: float(a), TOL: float(t)}}
              for r in regimes for a in xs for t in ys]

    def values(point, params, rep, rng):
        out = causes(0, params, rep, rng, extra=0.3 * params[TOL] - 0.3 * params[DET])
        return out

    design = {"kind": "grid", "parameters": {DET: xs.tolist(), TOL: ys.tolist()}}
    return write_results(tmp_path / f"grid{nx}x{ny}", points, values, 3, design=design)


@pytest.mark.parametrize("nx, ny, annotated", [(3, 4, True), (9, 9, False)])
def test_heatmap_over_a_two_parameter_grid_names_its_axes(tmp_path, nx, ny, annotated):
    results = load_results(grid_folder(tmp_path, nx, ny, regimes=REGIMES))
    fig = figure_heatmap(results, analyze(results))
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"][:2]
    assert panels[0].get_xlabel().replace("\n", " ") == axis_label(DET)
    assert panels[0].get_ylabel().replace("\n", " ") == axis_label(TOL)
    # Annotated cells are equal, at 0 .. n-1 and labelled with the grid's values.
    cells = [t for t in panels[0].texts if t.get_position() in
             {(x, y) for x in range(nx) for y in range(ny)}]
    assert (len(cells) == nx * ny) is annotated  # values in the cells when few
    if annotated:
        ticks = [float(t.get_text()) for t in panels[0].get_xticklabels()]
        assert ticks == pytest.approx(sorted(results.points[DET].unique()))
    contours = [c for c in panels[0].collections if isinstance(c, ContourSet)]
    assert bool(contours) is not annotated  # contour lines when many


def test_a_third_grid_parameter_with_few_levels_becomes_heatmap_panels(tmp_path):
    points = [{"regime": "default", "parameters": {DET: a, TOL: t, "regime.support.care": c}}
              for a in (0.1, 0.2, 0.3) for t in (0.0, 0.5, 1.0) for c in (0.0, 1.0)]
    folder = write_results(tmp_path / "g3", points, causes, 2, design={"kind": "grid"})
    results = load_results(folder)
    assert grid_axes(results)[2] == "regime.support.care"
    fig = figure_heatmap(results, analyze(results))
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_title(loc="left")]
    assert len(panels) == 2  # one per level of care


def test_heatmap_is_skipped_when_no_third_parameter_has_few_levels(tmp_path):
    levels = (0.0, 0.25, 0.5, 0.75, 1.0)
    points = [{"regime": "default", "parameters": {DET: a, TOL: t, "regime.support.care": c}}
              for a in levels for t in levels for c in levels]
    folder = write_results(tmp_path / "g5", points, causes, 2, design={"kind": "grid"})
    results = load_results(folder)
    with pytest.raises(Skip, match="three varying parameters"):
        figure_heatmap(results, analyze(results))


@pytest.mark.slow
def test_plot_command_writes_heatmap_and_says_what_it_skipped(tmp_path, capsys):
    folder = grid_folder(tmp_path, 4, 5)
    assert main(["plot", str(folder), "--metric", "afraid"]) == 0
    out = capsys.readouterr().out
    assert "written: heatmap_afraid" in out
    assert "skipped: timeseries: the sweep kept no per-step series" in out
    assert_figure_files(folder / "figures", "heatmap_afraid")
    assert main(["plot", str(folder), "--metric", "nonsense"]) == 2
    assert "--metric" in capsys.readouterr().err
    assert main(["plot", str(folder), "--metric", "afriad"]) == 2
    assert "did you mean 'afraid'?" in capsys.readouterr().err


def test_sobol_design_gets_index_bars(tmp_path):
    from SALib.sample import sobol as saltelli

    problem = {"num_vars": 2, "names": [DET, TOL], "bounds": [[0, 1], [0, 1]]}
    x = saltelli.sample(problem, 64, calc_second_order=False, seed=2)
    points = [{"regime": "default", "parameters": {DET: a, TOL: t}} for a, t in x.tolist()]

    def values(point, params, rep, rng):
        return causes(0, params, rep, rng, extra=0.3 * params[DET] + 0.05 * params[TOL])

    folder = write_results(tmp_path / "sobol", points, values, 2,
                           design={"kind": "sobol", "parameters": {DET: [0, 1], TOL: [0, 1]},
                                   "samples": 64, "problem": problem})
    results = load_results(folder)
    written, skipped = make_figures(results, analyze(results))
    assert {f.name for f in written} == {"sobol_inaction"}  # no trade-off for a sample
    assert "one regime" in dict(skipped)["differences_inaction"]
    assert "sampled points" in dict(skipped)["inaction_by_cause"]
    assert_figure_files(folder / "figures", "sobol_inaction")


@pytest.mark.slow
def test_real_model_runs_go_through_analyze_and_plot(tmp_path, capsys):
    folder = model_results(tmp_path / "model", ["seniority_baseline", "jilin_three_ups_downs"],
                           replications=3, n_cadres=120, steps=8, burn_in=2,
                           switch={"step": 5, "preset": "guangdong_three_distinctions"})
    assert main(["analyze", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "Seniority baseline" in out and "95% interval" in out
    assert (folder / "analysis" / "comparisons.md").is_file()
    assert main(["plot", str(folder)]) == 0
    out = capsys.readouterr().out
    for name in ("inaction_by_cause", "timeseries", "timeseries_causes", "tradeoff",
                 "differences_inaction", "running_mean"):
        assert f"written: {name}" in out
        assert_figure_files(folder / "figures", name)


def test_a_varied_switch_step_is_marked_per_line(tmp_path):
    steps = [8, 1, 1000]  # switch at year 8, from the start, never (beyond the run)
    points = [{"regime": "strict_accountability", "parameters": {"switch.step": s}}
              for s in steps]

    def series(point, params, rep, rng):
        after = np.arange(1, 21) >= params["switch.step"]
        afraid = 0.10 - 0.06 * after + rng.normal(0, 0.005, 20)
        return {"inaction": 0.17 + afraid, "unwilling": np.full(20, 0.12),
                "unable": np.full(20, 0.05), "afraid": afraid}

    folder = write_results(
        tmp_path / "switch", points, causes, 4, series=series,
        design={"kind": "points", "parameters": {"switch.step": None}},
        spec={"switch": {"step": 8, "label": "strict_then_tolerant"}})
    results = load_results(folder)
    assert list(point_labels(results).values()) == [
        "Switch step = 8", "Switch step = 1", "Never switched"]
    ax = figure_timeseries(results).axes[0]
    dotted = [line for line in ax.get_lines() if line.get_linestyle() == ":"]
    assert sorted(line.get_xdata()[0] for line in dotted) == [0.5, 7.5]  # not 999.5
    panels = figure_timeseries_causes(results).axes[:3]
    dashed = [[line.get_xdata()[0] for line in ax.get_lines() if line.get_linestyle() == "--"]
              for ax in panels]
    assert dashed == [[7.5], [0.5], []]
