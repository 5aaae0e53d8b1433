"""Transition studies: the years a change takes, on paths with a known answer and on real sweeps.

The estimator is checked on exact paths (an exponential approach with a known half-life, a step,
a linear phase-in, no change); the table on a synthetic results folder with planted effects
(a full return and a return that undoes only half: hysteresis); and the whole chain on a tiny
real sweep of the shipped back-and-forth experiment.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from experiments.analysis import analyze, load_results
from experiments.analysis.transitions import change_timing, studies, years_to_share
from experiments.cli import main
from experiments.engine.design import ConfigBuilder, expand
from experiments.engine.spec import check_spec, load_spec
from simulation.schedule import regime_in_force
from tests.synthetic_results import write_results

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "configs" / "experiments" / "strict_tolerant_strict.yaml"


def approach(years: int, start: int, change: float, half_life: float,
             before: float = 0.3) -> np.ndarray:
    """``before`` until year ``start - 1``; then ``change * (1 - 2^(-k / half_life))`` added in
    the k-th year of the new regime (year ``start`` is k = 1)."""
    k = np.arange(1, years + 1) - start + 1
    return before + np.where(k >= 1, change * (1 - 2.0 ** (-k / half_life)), 0.0)


@pytest.mark.parametrize("half_life", [1.5, 3.5, 7.2])
@pytest.mark.parametrize("change", [0.2, -0.05])
def test_an_exponential_approach_takes_its_half_life_rounded_up_and_90_percent_accordingly(
        half_life, change):
    path = approach(120, 20, change, half_life)
    # Year k of the new regime has covered 1 - 2^(-k/h) of the change: a share q first at
    # k = ceil(h log2(1 / (1 - q))).
    for share in (0.5, 0.9):
        expected = math.ceil(half_life * math.log2(1 / (1 - share)))
        assert years_to_share(path, 20, share=share) == expected


def test_a_step_is_done_in_its_first_year():
    path = np.r_[np.full(14, 0.14), np.full(30, 0.10)]
    timing = change_timing(path, 15, 44)
    assert timing["change"] == pytest.approx(-0.04)
    assert timing["first_year_share"] == pytest.approx(1.0)
    assert timing["years_0.5"] == timing["years_0.9"] == 1


def test_a_change_phased_in_over_four_years_is_half_done_in_its_second():
    path = np.r_[np.zeros(9), 0.25, 0.5, 0.75, np.ones(20)]  # years 10-13 a quarter each
    assert years_to_share(path, 10, share=0.5) == 2
    assert years_to_share(path, 10, share=0.9) == 4


def test_no_change_has_no_half_time():
    assert math.isnan(years_to_share(np.full(40, 0.5), 15))


def test_the_level_of_a_phase_is_its_last_years_not_the_run_end():
    """A change undone later is measured over its own phase (years ``start``-``end``)."""
    path = np.r_[np.zeros(14), np.ones(15), np.zeros(20)]
    assert years_to_share(path, 15, end=29) == 1
    assert change_timing(path, 15, 29)["change"] == pytest.approx(1.0)


# --------------------------------------------------------------------------------------------
# The table, on a synthetic results folder with planted effects
# --------------------------------------------------------------------------------------------

YEARS, SWITCH, BACK = 60, 15, 30
HALF_LIFE = 3.5
ARMS = [
    {"switch.step": SWITCH, "switch.back_step": BACK},  # back and forth
    {"switch.step": SWITCH, "switch.back_step": 0},  # the switch alone
    {"switch.step": 1, "switch.back_step": 0},  # the new regime from the start
    {"switch.step": 1000, "switch.back_step": 0},  # never
]


def planted(arm: dict, undo: float) -> dict[str, np.ndarray]:
    """Mean paths: ``fear`` falls by 0.1 with half-life 3.5 years after the switch and rises back
    by ``undo`` of that after the return; ``drift`` moves alike in every arm; ``flat`` is 0.2."""
    years = np.arange(1, YEARS + 1)
    drift = 0.4 + 0.002 * years
    step, back = arm["switch.step"], arm["switch.back_step"]
    fear = np.full(YEARS, 0.5)
    if step <= YEARS:
        fear = approach(YEARS, step, -0.1, HALF_LIFE, before=0.5)
    if back:
        fear = fear + approach(YEARS, back, 0.1 * undo, HALF_LIFE, before=0.0)
    return {"fear": fear, "drift": drift, "flat": np.full(YEARS, 0.2)}


def planted_folder(folder: Path, undo: float, replications: int = 12) -> Path:
    """Four arms sharing each replicate's noise (common random numbers) plus a little of their
    own."""
    def series(point, params, rep, rng):
        shared = np.random.default_rng([99, rep])
        return {name: path + 0.01 * shared.standard_normal(YEARS)
                + 0.002 * rng.standard_normal(YEARS)
                for name, path in planted(ARMS[point], undo).items()}

    spec = {"steps": YEARS, "burn_in": 0, "common_random_numbers": True,
            "switch": {"step": SWITCH, "back_step": BACK,
                       "regime": {"fault_tolerance": {"tolerance": 0.8}}}}
    return write_results(folder, [{"regime": "strict", "parameters": arm} for arm in ARMS],
                         lambda *a: {"inaction": 0.5}, replications=replications,
                         design={"kind": "points", "points": ARMS}, spec=spec, series=series)


def rows(analysis, metric: str, transition: str, point: int):
    table = analysis.transitions
    picked = table[(table["metric"] == metric) & (table["transition"] == transition)
                   & (table["point"] == point)]
    assert len(picked) == 1
    return picked.iloc[0]


def test_the_arms_are_named_by_their_schedule(tmp_path):
    results = load_results(planted_folder(tmp_path / "full", undo=1.0))
    (study,) = studies(results)
    assert [arm.role for arm in study.arms] == ["returned", "switched", "from_start", "never"]
    assert study.arms[0].label == "Switch in year 15, back in year 30"


def test_a_point_that_does_not_set_its_schedule_takes_the_specs(tmp_path):
    points = [{"switch.step": 15}, {"switch.step": 1000, "switch.back_step": 0}]
    folder = write_results(
        tmp_path / "mixed", [{"regime": "strict", "parameters": p} for p in points],
        lambda *a: {"inaction": 0.5}, design={"kind": "points", "points": points},
        spec={"steps": 40, "switch": {"step": 15, "back_step": 30}},
        series=lambda *a: {"inaction": np.full(40, 0.5)})
    (study,) = studies(load_results(folder))
    assert [(a.role, a.back_step) for a in study.arms] == [("returned", 30), ("never", 0)]


def test_the_planted_half_life_and_a_full_return_are_found(tmp_path):
    analysis = analyze(load_results(planted_folder(tmp_path / "full", undo=1.0)))
    alone = rows(analysis, "fear", "switch", point=1)
    assert alone["status"] == "change"
    assert alone["change"] == pytest.approx(-0.1, abs=0.01)
    assert alone["change_low"] < -0.09 and alone["change_high"] > -0.11
    assert alone["half_years"] == math.ceil(HALF_LIFE)  # 4
    assert alone["half_low"] <= 4 <= alone["half_high"]
    assert alone["ninety_years"] == math.ceil(HALF_LIFE * math.log2(10))  # 12
    # The switched arm ends at the level of the new regime from the start (the same path
    # shifted): the gap's interval covers 0.
    assert alone["gap_low"] < 0 < alone["gap_high"]
    back = rows(analysis, "fear", "return", point=0)
    assert back["year"] == BACK and back["half_years"] == 4
    assert back["undone"] == pytest.approx(1.0, abs=0.1)
    assert back["gap_low"] < 0 < back["gap_high"]  # back at the old regime's path
    # A drift every arm shares is not a change of the switch; nor is a flat output.
    for metric in ("drift", "flat"):
        row = rows(analysis, metric, "switch", point=1)
        assert row["status"] == "no change" and math.isnan(row["half_years"])


def test_a_return_that_undoes_half_is_hysteresis(tmp_path):
    analysis = analyze(load_results(planted_folder(tmp_path / "half", undo=0.5)))
    back = rows(analysis, "fear", "return", point=0)
    assert back["undone"] == pytest.approx(0.5, abs=0.1)
    assert back["undone_high"] < 0.8
    assert back["gap_high"] < -0.03  # still 0.05 below the never-switched arm


def test_analyze_prints_and_writes_the_transitions(tmp_path, capsys):
    folder = planted_folder(tmp_path / "full", undo=1.0)
    assert main(["analyze", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "Switch in year 15, back in year 30: the return (years 30-60" in out
    assert "no change" in out
    for name in ("transitions.csv", "transition_paths.csv", "transitions.md"):
        assert (folder / "analysis" / name).is_file()


def test_a_spec_without_a_switch_gets_no_transition_table(tmp_path):
    folder = write_results(tmp_path / "plain", [{"regime": "a"}], lambda *a: {"inaction": 0.5},
                           series=lambda *a: {"inaction": np.full(10, 0.5)})
    analysis = analyze(load_results(folder))
    assert analysis.transitions.empty
    assert not any("transition" in note for note in analysis.notes)


# --------------------------------------------------------------------------------------------
# The shipped experiment
# --------------------------------------------------------------------------------------------


def test_the_shipped_back_and_forth_spec_validates_and_schedules_each_arm():
    spec = load_spec(SPEC)
    assert check_spec(spec) == []
    builder = ConfigBuilder(spec)
    configs = [builder.config(p.regime, p.parameters) for p in expand(spec, builder).points]
    tolerance = [[regime_in_force(c, year)[0].fault_tolerance.tolerance for year in (1, 15, 30)]
                 for c in configs]
    assert tolerance == [[0, 0.8, 0], [0, 0.8, 0.8], [0.8, 0.8, 0.8], [0, 0, 0]]
    strict = configs[0].regime.accountability
    assert strict.annual_evaluation == 0.4  # strict accountability, not the defaults
    assert configs[0].switch.regime.accountability == strict  # only fault tolerance changes
    assert "run strict_tolerant_strict" in (REPO / "scripts" / "run-experiments.sh").read_text()


@pytest.mark.slow
def test_a_tiny_sweep_of_the_shipped_experiment_is_analysed_and_drawn(tmp_path, capsys):
    data = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    data |= {"set": {"organisation.n_cadres": 100}, "replications": 3, "steps": 20,
             "output": str(tmp_path / "sts")}
    data["switch"] |= {"step": 6, "back_step": 12}
    data["design"]["points"] = [{"switch.step": 6, "switch.back_step": 12},
                                {"switch.step": 6, "switch.back_step": 0},
                                {"switch.step": 1, "switch.back_step": 0},
                                {"switch.step": 1000, "switch.back_step": 0}]
    path = tmp_path / "sts.yaml"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert main(["sweep", str(path), "--quiet"]) == 0
    assert main(["analyze", str(tmp_path / "sts")]) == 0
    assert "the return (years 12-20, 3 replicates)" in capsys.readouterr().out
    analysis = analyze(load_results(tmp_path / "sts"))
    series = set(data["series"])
    table = analysis.transitions
    assert set(table["metric"]) == series
    assert len(table) == 3 * len(series)  # two switches and one return per output
    # Common random numbers: every arm is its never-switched twin, draw for draw, until it
    # switches, so the effect before the switch is exactly 0.
    paths = analysis.transition_paths
    before = paths[(paths["role"].isin(["returned", "switched"])) & (paths["step"] < 6)]
    assert (before["effect"] == 0).all()
    assert main(["plot", str(tmp_path / "sts")]) == 0
    for name in ("transitions", "transition_effects"):
        assert (tmp_path / "sts" / "figures" / f"{name}.png").is_file()
