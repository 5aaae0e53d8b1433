"""Regimes judged on several objectives: welfare recomputed over its weights from stored outputs,
the spec's objectives, dominance on the paired intervals and the share of posterior draws on the
Pareto front, on results folders with planted values."""

from __future__ import annotations

import json

import numpy as np
import pytest

from experiments.analysis import analyze, format_report, load_results
from experiments.analysis.bar_plots import figure_inaction_by_form
from experiments.analysis.objectives import dominates, front
from experiments.analysis.tradeoff_plots import figure_tradeoff, pareto_front_2d
from experiments.analysis.welfare import weight_grid, welfare_at, welfare_band
from experiments.engine.spec import parse_spec
from simulation import CadreModel, ConfigError, load_config
from simulation.outputs import reduce_run
from tests.synthetic_results import write_results

DEFAULTS = {"effort_weight": 1.0, "wrongful_sanction_harm": 2.0, "shielded_violation_harm": 4.0}


# Welfare, recomputed from stored outputs


@pytest.mark.parametrize("weights", [DEFAULTS, {"effort_weight": 0.5,
                                                "wrongful_sanction_harm": 8.0,
                                                "shielded_violation_harm": 16.0}])
def test_welfare_from_stored_outputs_is_the_models_own_welfare(weights):
    """Per step and as a run's mean after the burn-in (what a sweep stores), at the weights the
    model ran with: the analysis needs no rerun to know a run's welfare."""
    overrides = {"organisation.n_cadres": 150, **{f"welfare.{k}": v for k, v in weights.items()}}
    table = CadreModel(load_config("guangdong_three_distinctions", overrides), seed=3).run(8)
    assert table["wrongful_sanctions"].gt(0).any() and table["effort_cost"].gt(0).all()
    np.testing.assert_allclose(welfare_at(table, weights), table["welfare"], rtol=0, atol=1e-12)
    run = reduce_run(table, burn_in=2)
    assert welfare_at(run, weights) == pytest.approx(run["welfare"], abs=1e-12)
    other = {**weights, "effort_weight": weights["effort_weight"] + 1}
    assert welfare_at(run, other) == pytest.approx(run["welfare"] - run["effort_cost"], abs=1e-12)


def test_the_weight_grid_spans_the_odd_bands():
    grid = weight_grid()
    assert len(grid) == 27 and DEFAULTS in grid
    assert {g["effort_weight"] for g in grid} == {0.5, 1.0, 1.5}
    assert {g["wrongful_sanction_harm"] for g in grid} == {0.5, 2.0, 8.0}
    assert {g["shielded_violation_harm"] for g in grid} == {1.0, 4.0, 16.0}


def achievers(point, params, rep, rng):
    """Regime 0 produces more but sanctions the innocent; regime 1 produces less, sanctions none."""
    real, effort, wrong, shielded = ((1.0, 0.4, 0.05, 0.01) if point == 0 else
                                     (0.8, 0.3, 0.0, 0.0))
    noise = rng.normal(0, 0.001)
    out = {"real_output": real + noise, "effort_cost": effort, "wrongful_sanctions": wrong,
           "shielded_violations": shielded, "inaction": 0.3}
    out["welfare"] = out["real_output"] - effort - 2 * wrong - 4 * shielded
    return out


def test_welfare_band_is_the_lowest_and_highest_welfare_over_the_weights(tmp_path):
    folder = write_results(tmp_path / "w", [{"regime": "producer"}, {"regime": "careful"}],
                           achievers, replications=6)
    results = load_results(folder)
    table, reason = welfare_band(results)
    assert reason == ""
    rows = table.set_index("regime")
    real = results.runs.groupby("regime")["real_output"].mean()
    # producer: lowest at 1.5 x 0.4 + 8 x 0.05 + 16 x 0.01, highest at 0.5 x 0.4 + 0.5 x 0.05 + 0.01
    assert rows.at["producer", "band_low"] == pytest.approx(real["producer"] - 1.16, abs=1e-9)
    assert rows.at["producer", "band_high"] == pytest.approx(real["producer"] - 0.235, abs=1e-9)
    assert rows.at["careful", "band_low"] == pytest.approx(real["careful"] - 0.45, abs=1e-9)
    assert rows.at["careful", "band_high"] == pytest.approx(real["careful"] - 0.15, abs=1e-9)
    # at the defaults the careful regime is ahead (0.50 against 0.46), but not over the band
    assert rows.at["producer", "rank"] == 2 and rows.at["careful", "rank"] == 1
    assert (rows.at["producer", "rank_best"], rows.at["producer", "rank_worst"]) == (1, 2)
    assert (rows.at["careful", "rank_best"], rows.at["careful", "rank_worst"]) == (1, 2)


def test_welfare_band_says_which_stored_output_it_lacks(tmp_path):
    def partial(point, params, rep, rng):
        return {"inaction": 0.3 + rng.normal(0, 0.01), "real_output": 1.0}

    folder = write_results(tmp_path / "p", [{"regime": "a"}, {"regime": "b"}], partial, 3)
    table, reason = welfare_band(load_results(folder))
    assert table.empty and "effort_cost" in reason and "shielded_violations" in reason


# The spec's objectives


BASE = {"name": "x", "steps": 5, "regimes": ["default", "strict_accountability"]}


def test_objectives_default_to_the_four_and_leave_the_spec_hash_alone():
    spec = parse_spec(BASE)
    assert spec.objective_names == ["inaction", "real_output", "welfare", "wrongful_sanctions"]
    chosen = parse_spec({**BASE, "objectives": ["bold", "welfare"]})
    assert chosen.objective_names == ["bold", "welfare"]
    assert chosen.spec_hash() == spec.spec_hash()
    assert "objectives" not in spec.as_data() and chosen.as_data()["objectives"] == ["bold",
                                                                                     "welfare"]
    kept = parse_spec({**BASE, "metrics": ["inaction", "bold"]})
    assert kept.objective_names == ["inaction"]


@pytest.mark.parametrize(("objectives", "expected"), [
    (["inacton"], ["objectives.0: got 'inacton'", "did you mean 'inaction'", "allowed:"]),
    (["routine"], ["objectives.0: got 'routine'", "better neither lower nor higher"]),
    (["policy_reversal"], ["objectives.0: got 'policy_reversal'", "no policy moves it"]),
    (["welfare", "welfare"], ["objectives: got ['welfare', 'welfare']; allowed: each output once"]),
    ("inaction", ["objectives: got 'inaction'", "allowed: a list of output names"]),
    ([], ["objectives: got []"]),
])
def test_bad_objectives_are_refused_naming_the_field_the_value_and_what_is_allowed(
        objectives, expected):
    with pytest.raises(ConfigError) as err:
        parse_spec({**BASE, "objectives": objectives})
    for text in expected:
        assert text in str(err.value)


def test_an_objective_the_sweep_does_not_keep_is_refused():
    with pytest.raises(ConfigError, match=r"objectives.1: got 'welfare': the spec's metrics do "
                                          r"not keep it; allowed: .*inaction"):
        parse_spec({**BASE, "metrics": ["inaction"], "objectives": ["inaction", "welfare"]})


# Dominance


def test_dominance_needs_no_loss_beyond_the_smallest_effect_and_a_gain_beyond_it():
    sesoi = np.array([0.01, 0.1])
    assert dominates([0.02, 0.0], sesoi)  # better on one, equal on the other
    assert dominates([0.02, -0.1], sesoi)  # a loss of exactly the smallest effect is no loss
    assert not dominates([0.02, -0.11], sesoi)  # a real loss
    assert not dominates([0.01, 0.1], sesoi)  # no gain beyond the smallest effect
    assert not dominates([0.0, 0.0], np.zeros(2))  # equal is not better
    values = np.array([[1.0, 1.0], [0.0, 2.0], [0.5, 0.5], [1.0, 1.0]])
    assert front(values, np.zeros(2)).tolist() == [True, True, False, True]


#: Planted regimes, on inaction (lower better), real output and welfare (higher), wrongful
#: sanctions (lower): ``dominated`` is ``best`` made worse on every objective; ``tradeoff`` has
#: less inaction than ``best`` but less output; ``twin`` is ``best`` within the smallest effects.
PLANTED = {
    "best": (0.30, 1.00, 0.50, 0.010),
    "tradeoff": (0.20, 0.70, 0.30, 0.010),
    "dominated": (0.40, 0.80, 0.35, 0.020),
    "twin": (0.302, 1.004, 0.497, 0.0105),
}
OBJECTIVES = ["inaction", "real_output", "welfare", "wrongful_sanctions"]


def planted(point, params, rep, rng):
    means = list(PLANTED.values())[point]
    noise = [0.002, 0.005, 0.005, 0.0005]
    return {m: mu + rng.normal(0, s) for m, mu, s in zip(OBJECTIVES, means, noise, strict=True)}


def test_a_planted_dominated_regime_is_off_the_front_and_the_rest_are_on_it(tmp_path):
    folder = write_results(tmp_path / "d", [{"regime": r} for r in PLANTED], planted,
                           replications=10, spec={"regimes": list(PLANTED),
                                                  "common_random_numbers": False})
    analysis = analyze(load_results(folder))
    assert analysis.objectives == OBJECTIVES
    table = analysis.dominance.set_index("regime")
    assert table["on_front"].to_dict() == {"best": True, "tradeoff": True, "dominated": False,
                                           "twin": True}
    assert set(table.at["dominated", "dominated_by"].split("; ")) == {"best", "twin"}
    assert table.at["best", "dominates"] == "dominated"
    assert table.at["tradeoff", "dominates"] == ""  # worse output than dominated's: no dominance
    report = format_report(load_results(folder), analysis)
    assert "Dominance on the objectives" in report and "Dominated is dominated by" in report
    assert "What each regime achieves" in report


def test_objectives_named_by_the_spec_drive_the_dominance_table(tmp_path):
    """On inaction alone, the trade-off regime dominates every other."""
    folder = write_results(tmp_path / "o", [{"regime": r} for r in PLANTED], planted,
                           replications=10, spec={"regimes": list(PLANTED),
                                                  "objectives": ["inaction"]})
    analysis = analyze(load_results(folder))
    table = analysis.dominance.set_index("regime")
    assert analysis.objectives == ["inaction"]
    assert table["on_front"].to_dict() == {"best": False, "tradeoff": True, "dominated": False,
                                           "twin": False}


# Under a posterior: robustness per objective, and the share of draws on the front


def posterior_draws(point, params, rep, rng):
    """In draws 0-4 ``challenger`` beats ``incumbent`` on everything; otherwise they trade off.
    ``laggard`` is always ``incumbent`` made worse."""
    world = rng.normal(0, 0.05)  # what every regime of this draw shares
    base = {"inaction": 0.5 + world, "real_output": 0.8 + world, "welfare": 0.4 + world,
            "wrongful_sanctions": 0.01}
    regime = ["incumbent", "challenger", "laggard"][point]
    if regime == "challenger":
        shift = (-0.05, 0.1) if rep < 5 else (-0.05, -0.1)
        base |= {"inaction": base["inaction"] + shift[0],
                 "real_output": base["real_output"] + shift[1],
                 "welfare": base["welfare"] + shift[1]}
    elif regime == "laggard":
        base |= {"inaction": base["inaction"] + 0.05, "real_output": base["real_output"] - 0.1,
                 "welfare": base["welfare"] - 0.1}
    return base


def with_posterior(folder):
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["posterior"] = {"path": "synthetic", "particles": 20}
    path.write_text(json.dumps(manifest))
    return folder


def test_pareto_share_counts_the_draws_in_which_nobody_dominates_a_regime(tmp_path):
    regimes = ["incumbent", "challenger", "laggard"]

    def shared_world(point, params, rep, rng):  # the same world for every regime of a draw
        return posterior_draws(point, params, rep, np.random.default_rng(rep))

    folder = with_posterior(write_results(tmp_path / "post", [{"regime": r} for r in regimes],
                                          shared_world, replications=20,
                                          spec={"regimes": regimes}))
    analysis = analyze(load_results(folder))
    shares = analysis.pareto.set_index("regime")["share_front"].to_dict()
    assert shares == {"incumbent": pytest.approx(15 / 20), "challenger": 1.0, "laggard": 0.0}
    robust = analysis.robustness.set_index(["metric", "regime"])
    assert set(robust.index.get_level_values("metric")) == set(OBJECTIVES)
    # challenger has less inaction in every draw; more output in a quarter of them only
    assert robust.at[("inaction", "challenger"), "verdict"] == "robustly better"
    assert robust.at[("real_output", "challenger"), "share_better"] == pytest.approx(0.25)
    assert robust.at[("real_output", "laggard"), "verdict"] == "robustly worse"
    report = format_report(load_results(folder), analysis)
    assert "Pareto front across 20 posterior draws" in report and "Laggard: 0%" in report


# The figures


def test_the_two_objective_front_follows_each_axis_direction():
    x = np.array([0.3, 0.6, 0.7, 0.5, 0.2])  # inaction: lower is better
    y = np.array([1.2, 0.8, 0.6, 0.5, 0.1])  # real output: higher is better
    assert pareto_front_2d(x, y, x_lower=True, y_lower=False).tolist() == [
        True, False, False, False, True]
    assert pareto_front_2d(x, y, x_lower=False, y_lower=False).tolist() == [
        True, True, True, False, False]


def test_trade_off_figure_draws_every_regime_against_each_other_objective(tmp_path):
    def with_parts(point, params, rep, rng):
        out = planted(point, params, rep, rng)
        thirds = dict.fromkeys(("lying_flat", "formalism", "avoidance", "unwilling", "unable",
                                "afraid"), out["inaction"] / 3)
        return out | thirds

    folder = write_results(tmp_path / "f", [{"regime": r} for r in PLANTED], with_parts,
                           replications=6, spec={"regimes": list(PLANTED)})
    results = load_results(folder)
    analysis = analyze(results)
    fig = figure_tradeoff(results, analysis)
    panels = [ax for ax in fig.axes if ax.get_xlabel()]
    assert [ax.get_ylabel().split(" [")[0] for ax in panels] == [
        "Real output", "Welfare", "Wrongful sanctions"]
    assert all(ax.get_xlabel().startswith("Inaction [share]") for ax in panels)
    first = figure_inaction_by_form(results, analysis)
    assert [ax.get_ylabel().split("\n")[0] for ax in first.axes[1:]] == ["Real output",
                                                                        "Welfare"]
