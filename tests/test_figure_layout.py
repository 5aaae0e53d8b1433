"""Figures a journal accepts: every figure kind, drawn on small synthetic results, keeps all its
text (titles, labels, tick labels, annotations, legends) inside the figure, its annotations inside
their axes and apart from each other, and its tick labels apart, as Matplotlib's renderer measures
them (the boxes of the text as drawn, in pixels)."""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator

from experiments.analysis import analyze
from experiments.analysis.plots import figure_plan
from experiments.analysis.results import load_results
from experiments.analysis.style import STYLE, Skip
from tests.figure_layout import layout_problems, shown
from tests.synthetic_results import write_results

DET = "regime.accountability.annual_evaluation"
TOL = "regime.fault_tolerance.tolerance"
PRECISION = "regime.evaluation.precision"
FORMALISM = "regime.evaluation.formalism_detection"
WEIGHT, TENURE = "regime.promotion.performance_weight", "regime.promotion.min_tenure"
CEILING = "regime.promotion.age_ceiling"
REGIMES = ["seniority_baseline", "jilin_three_ups_downs", "guangdong_three_distinctions"]
#: Every preset, as the shipped regime comparison runs them (long names side by side).
PRESETS = sorted(p.stem for p in (Path(__file__).parent.parent / "configs" / "regimes").glob(
    "*.yaml"))
def causes(point, params, rep, rng):
    """Inaction, its forms and causes, two rare events, drifting with the levers."""
    lever = sum(float(v) for v in params.values()) * 0.05 + 0.01 * point
    unwilling, unable, afraid = (rng.normal(m, 0.01) for m in (0.12 + lever, 0.05, 0.08))
    inaction = unwilling + unable + afraid
    return {"inaction": inaction, "unwilling": unwilling, "unable": unable, "afraid": afraid,
            "lying_flat": 0.5 * inaction, "formalism": 0.3 * inaction,
            "avoidance": 0.2 * inaction, "bold": rng.normal(0.05, 0.01),
            "wrongful_sanctions": abs(rng.normal(0.004 + 0.002 * point, 0.0005)),
            "shielded_violations": abs(rng.normal(0.006, 0.0005))}


def series(point, params, rep, rng):
    steps = np.arange(1, 21)
    out = {m: v + rng.normal(0, 0.01, steps.size)
           for m, v in {"unwilling": 0.12, "unable": 0.05, "afraid": 0.1 - 0.03 * point}.items()}
    out["inaction"] = out["unwilling"] + out["unable"] + out["afraid"]
    return out


def _grid(tmp_path: Path, name: str, px: str, xs, py: str, ys, reps: int = 3) -> Path:
    points = [{"regime": "default", "parameters": {px: x, py: y}} for x in xs for y in ys]
    return write_results(tmp_path / name, points, causes, reps,
                         design={"kind": "grid", "parameters": {px: list(xs), py: list(ys)}})


#: A back-and-forth transition study: switch in year 8, back in year 14, tolerant from year 1,
#: never switched (the schedule of the shipped strict_tolerant_strict, shortened).
ARMS = [{"switch.step": 8, "switch.back_step": 14}, {"switch.step": 8, "switch.back_step": 0},
        {"switch.step": 1, "switch.back_step": 0}, {"switch.step": 1000, "switch.back_step": 0}]


def switch_series(point, params, rep, rng):
    steps = np.arange(1, 21)
    on = (steps >= params["switch.step"]) & ~((params["switch.back_step"] > 0)
                                              & (steps >= params["switch.back_step"]))
    return {m: v - 0.03 * on + rng.normal(0, 0.005, steps.size)
            for m, v in {"afraid": 0.14, "belief_punish": 0.56, "bold": 0.02}.items()}


FOLDERS = {
    # Regimes compared, with series: bars, series, trade-off, differences, running mean.
    "regimes": lambda tmp: write_results(
        tmp / "regimes", [{"regime": r} for r in REGIMES], causes, 4,
        spec={"regimes": REGIMES, "series": ["inaction", "unwilling", "unable", "afraid"]},
        series=series),
    # The shipped regime comparison: every preset side by side (bars, trade-off, differences).
    "regime_comparison": lambda tmp: write_results(
        tmp / "regime_comparison", [{"regime": r} for r in PRESETS], causes, 4,
        spec={"regimes": PRESETS}),
    # The shipped evaluation_vs_formalism grid: 11 x 3, unequally spaced rows.
    "evaluation_vs_formalism": lambda tmp: _grid(
        tmp, "evaluation_vs_formalism", PRECISION, np.round(np.linspace(0, 1, 11), 2).tolist(),
        FORMALISM, [0.1, 0.3, 0.6]),
    # The shipped detection_x_tolerance grid: 6 x 6, unequally spaced columns; 36 points.
    "detection_x_tolerance": lambda tmp: _grid(
        tmp, "detection_x_tolerance", DET, [0.0, 0.05, 0.1, 0.2, 0.3, 0.5], TOL,
        np.round(np.linspace(0, 1, 6), 2).tolist()),
    # The shipped promotion_reform grid: 5 x 4 in two panels (a third parameter's levels).
    "promotion_reform": lambda tmp: write_results(
        tmp / "promotion_reform",
        [{"regime": "default", "parameters": {WEIGHT: w, TENURE: t, CEILING: c}}
         for w in (0.1, 0.3, 0.5, 0.7, 0.9) for t in (0, 2, 4, 6) for c in (0, 45)],
        causes, 3, design={"kind": "grid"}),
    # The shipped back-and-forth switch: the transition figures (levels and effects).
    "strict_tolerant_strict": lambda tmp: write_results(
        tmp / "strict_tolerant_strict", [{"regime": "strict", "parameters": a} for a in ARMS],
        causes, 3, design={"kind": "points", "points": ARMS}, series=switch_series,
        spec={"switch": {"step": 8, "back_step": 14}, "common_random_numbers": True}),
}


def _figures(folder: Path) -> list[tuple[str, Figure]]:
    results = load_results(folder)
    analysis = analyze(results)
    out = []
    with mpl.rc_context(STYLE):
        for name, _, build in figure_plan(results, analysis):
            try:
                out.append((name, build()))
            except Skip:
                continue
    return out


@pytest.mark.parametrize("kind", sorted(FOLDERS))
def test_every_publication_figure_keeps_its_text_inside_and_apart(tmp_path, kind):
    drawn = _figures(FOLDERS[kind](tmp_path))
    assert drawn
    problems = {name: layout_problems(fig) for name, fig in drawn}
    assert {name: p for name, p in problems.items() if p} == {}


def test_the_figure_plan_is_covered_by_the_synthetic_folders(tmp_path):
    names = {name for kind in FOLDERS for name, _ in _figures(FOLDERS[kind](tmp_path))}
    expected = {"inaction_by_form", "inaction_by_cause", "heatmap_inaction", "timeseries",
                "timeseries_causes", "tradeoff", "differences_inaction", "running_mean",
                "transitions", "transition_effects"}
    assert expected <= names  # sobol and morris: the test below


def test_sobol_and_morris_figures_keep_their_text_inside_and_apart(tmp_path):
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as saltelli

    problem = {"num_vars": 3, "names": [DET, TOL, PRECISION], "bounds": [[0, 1]] * 3}
    drawn = []
    for kind, x in (("sobol", saltelli.sample(problem, 32, calc_second_order=False, seed=2)),
                    ("morris", morris_sample.sample(problem, 8, num_levels=4, seed=2))):
        points = [{"regime": "default", "parameters": dict(zip(problem["names"], row,
                                                               strict=True))}
                  for row in x.tolist()]
        design = {"kind": kind, "parameters": {n: [0, 1] for n in problem["names"]},
                  "problem": problem, **({"trajectories": 8, "num_levels": 4}
                                         if kind == "morris" else {"samples": 32})}
        folder = write_results(tmp_path / kind, points, causes, 1, design=design)
        drawn += [(n, f) for n, f in _figures(folder) if n.startswith(kind)]
    assert {n for n, _ in drawn} == {"sobol_inaction", "morris_inaction"}
    assert {n: p for n, f in drawn if (p := layout_problems(f))} == {}


def test_running_mean_ticks_whole_replications_and_shows_or_counts_every_point(tmp_path):
    folder = FOLDERS["detection_x_tolerance"](tmp_path)
    fig = dict(_figures(folder))["running_mean"]
    fig.canvas.draw()
    bottom = fig.axes[1]
    ticks = [t for t in bottom.get_xticks() if bottom.get_xlim()[0] <= t <= bottom.get_xlim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks)
    assert isinstance(bottom.xaxis.get_major_locator(), MaxNLocator)
    lines = len(fig.axes[0].get_lines())
    text = " ".join(t.get_text() for t in fig.findobj(Text))
    assert lines == 36 or "36" in text  # every point drawn, or the figure says how many


def test_calibration_figures_are_in_the_house_style_with_display_names(tmp_path, monkeypatch):
    import experiments.calibration.report as report
    from experiments.calibration.priors import load_priors
    from experiments.calibration.targets import load_targets

    root = Path(__file__).parent.parent / "configs"
    priors = load_priors(root / "priors" / "behaviour.yaml")
    targets = load_targets(root / "targets" / "peoples_tribune_2015_2018.yaml")
    rng = np.random.default_rng(3)
    posterior = pd.DataFrame({n: rng.uniform(p.low, p.high, 60)
                              for n, p in priors.parameters.items()})
    posterior["weight"] = rng.uniform(0.5, 1.0, 60)
    ppc = pd.DataFrame({t.name: np.clip(rng.normal(t.value, 0.05, 40), 0, 1)
                        for t in targets.targets})
    drawn: list[Figure] = []
    monkeypatch.setattr(report, "save_figure", lambda fig, stem, **kw: drawn.append(fig) or [])
    report.pair_plot(priors, posterior, tmp_path / "pairs")
    report.predictive_plot(targets, ppc, tmp_path / "predictive")
    assert len(drawn) == 2
    for fig in drawn:
        assert layout_problems(fig) == []
        labels = [t.get_text() for t in fig.findobj(Text) if shown(t)]
        assert not any(name in label for label in labels for name in priors.parameters)
        sizes = [t.get_fontsize() for ax in fig.axes for t in ax.get_xticklabels()
                 + ax.get_yticklabels() if shown(t)]
        assert min(sizes) >= STYLE["xtick.labelsize"]


def test_validation_figures_keep_their_text_inside(monkeypatch):
    import experiments.validation.figures as figures
    from experiments.validation import core

    drawn: list[Figure] = []
    monkeypatch.setattr(figures, "save_figure", lambda fig, stem, **kw: drawn.append(fig) or [])
    rng = np.random.default_rng(5)
    arms = {"default": rng.normal(0.44, 0.01, 20), "certainty x 2": rng.normal(0.29, 0.02, 20),
            "severity x 2": rng.normal(0.38, 0.015, 20)}
    figures.nagin_bars(core.Outcome([], "", {"arms": arms}), Path("unused.png"))
    shares = {"idle": 0.45, "formal": 0.18, "routine": 0.34, "bold": 0.03}
    by_arm = {name: {a: rng.normal(v, 0.01, 20) for a, v in shares.items()}
              for name in ("default", "intensified")}
    figures.tu_gong_shares(core.Outcome([], "", {"arms": by_arm}), Path("unused.png"))
    assert {i: p for i, f in enumerate(drawn) if (p := layout_problems(f))} == {}
