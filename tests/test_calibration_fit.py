"""The fit: reproducible from its seed on any executor, resumable after a kill with no finished
simulation repeated, and recovering known parameters from synthetic targets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.calibration.__main__ import main
from experiments.calibration.errors import CalibrationError
from experiments.calibration.fit import Budget, calibrate
from experiments.calibration.priors import validate_priors
from experiments.calibration.report import weighted_quantile
from experiments.calibration.simulate import simulate_targets
from experiments.calibration.targets import load_targets, validate_targets
from experiments.engine.executors import SerialExecutor, local_executor
from tests.helpers import KilledAfter

ROOT = Path(__file__).resolve().parents[1]

SOURCE = {"authors": "synthetic", "venue": "test", "year": 2026, "firmness": "known answer"}
#: Target statistic -> looseness; the mapping_sd covers the run-to-run noise at this size.
STATISTICS = {"afraid": ("reason_afraid / inaction", 0.06), "motivation": ("mean_motivation", 0.02)}
PRIORS = validate_priors({"name": "two", "parameters": {
    "population.risk_aversion_mean": {"distribution": "uniform", "low": 0.0, "high": 4.0,
                                      "why": "fear's driver"},
    "population.motivation_mean": {"distribution": "uniform", "low": 0.3, "high": 0.9,
                                   "why": "drive's driver"},
}})


def synthetic_targets(values=None, n_cadres=80, steps=10, burn_in=3):
    values = values or {"afraid": 0.5, "motivation": 0.6}
    return validate_targets({
        "name": "synthetic", "simulation": {"n_cadres": n_cadres, "steps": steps,
                                            "burn_in": burn_in},
        "targets": [{"name": k, "figure": "simulated", "value": round(values[k], 6),
                     "statistic": s, "mapping_sd": sd, "looseness": "run-to-run noise",
                     "source": SOURCE} for k, (s, sd) in STATISTICS.items()],
    })


TINY = Budget(population_size=8, generations=2, ppc_draws=3)


def tiny_fit(out, executor=None, seed=5, budget=TINY):
    targets = synthetic_targets(n_cadres=40, steps=6, burn_in=2)
    return calibrate(targets, PRIORS, out, budget, seed=seed,
                     executor=executor or SerialExecutor(), progress=False, plots=False)


@pytest.mark.slow
def test_fit_is_a_function_of_the_seed_on_any_executor(tmp_path):
    inline = tiny_fit(tmp_path / "inline")
    pool = local_executor(2)
    try:
        pooled = tiny_fit(tmp_path / "pool", executor=pool)
    finally:
        pool.shutdown()
    pd.testing.assert_frame_equal(inline.posterior, pooled.posterior)
    pd.testing.assert_frame_equal(inline.ppc, pooled.ppc)
    other = tiny_fit(tmp_path / "other", seed=6)
    assert not np.allclose(other.posterior["weight"], inline.posterior["weight"])


@pytest.mark.slow
def test_fit_resumes_after_a_kill_without_repeating_simulations(tmp_path):
    whole = tiny_fit(tmp_path / "whole")
    with pytest.raises(KeyboardInterrupt):
        tiny_fit(tmp_path / "killed", executor=KilledAfter(3))  # of its 6 tasks
    stored = sum(len(pd.read_parquet(p)) for p in (tmp_path / "killed" / "evaluations").glob(
        "*.parquet"))
    assert 0 < stored < whole.simulated
    resumed = tiny_fit(tmp_path / "killed")
    assert resumed.simulated == whole.simulated - stored  # nothing finished is run again
    pd.testing.assert_frame_equal(whole.posterior, resumed.posterior)
    pd.testing.assert_frame_equal(whole.ppc, resumed.ppc)
    again = tiny_fit(tmp_path / "killed")
    assert again.simulated == 0


@pytest.mark.slow
def test_more_generations_continue_the_same_fit(tmp_path):
    longer = Budget(population_size=8, generations=3, ppc_draws=3)
    straight = tiny_fit(tmp_path / "straight", budget=longer)
    tiny_fit(tmp_path / "stepwise")
    continued = tiny_fit(tmp_path / "stepwise", budget=longer)
    pd.testing.assert_frame_equal(straight.posterior, continued.posterior, check_exact=True)
    assert len(continued.generations) == 3


def test_a_folder_never_mixes_two_calibrations(tmp_path):
    tiny_fit(tmp_path / "a")
    with pytest.raises(CalibrationError, match="holds another calibration"):
        tiny_fit(tmp_path / "a", seed=99)


@pytest.mark.slow
def test_synthetic_targets_recover_known_parameters(tmp_path):
    """Known answer: targets simulated at risk aversion 1.0 and motivation 0.6 (another seed)
    lie in the posterior's central 95% interval. Motivation (the drive target's driver) is
    pinned down: its interval is under half the prior's, and the predictive check meets its
    target. Risk aversion is only weakly identified by the fear share at this size (80 cadres,
    7 years kept: run-to-run s.d. up to 0.1), so only coverage is asserted for it, and not the
    predictive check of the fear target (since issue 22 the observed run sits at the 5th
    percentile of its distribution, z = 2.9 against the posterior predictive median)."""
    truth = {"population.risk_aversion_mean": 1.0, "population.motivation_mean": 0.6}
    observed = simulate_targets(truth, synthetic_targets(), seed=12345)
    targets = synthetic_targets(observed)
    result = calibrate(targets, PRIORS, tmp_path / "syn",
                       Budget(population_size=30, generations=3, ppc_draws=6), seed=3,
                       executor=SerialExecutor(), progress=False, plots=False)
    w = result.posterior["weight"].to_numpy()
    for name, value in truth.items():
        lo, hi = weighted_quantile(result.posterior[name].to_numpy(), w, [0.025, 0.975])
        assert lo <= value <= hi, (name, lo, hi)
    ident = result.identification.set_index("parameter")["width_ratio"]
    assert ident["population.motivation_mean"] < 0.5, ident
    check = result.predictive_check.set_index("target")
    assert check.loc["motivation", "within_tolerance"], check


def test_command_line_writes_the_outputs(tmp_path, capsys):
    targets = tmp_path / "t.yaml"
    import yaml

    targets.write_text(yaml.safe_dump(synthetic_targets(n_cadres=40, steps=6, burn_in=2)
                                      .model_dump(mode="json")))
    priors = tmp_path / "p.yaml"
    priors.write_text(yaml.safe_dump(PRIORS.model_dump(mode="json")))
    out = tmp_path / "out"
    code = main([str(targets), "--priors", str(priors), "--out", str(out), "--population", "8",
                 "--generations", "1", "--ppc-draws", "3", "--workers", "1", "--quiet"])
    assert code == 0
    for name in ("manifest.json", "posterior.parquet", "ppc.parquet", "report.md", "pairs.png",
                 "pairs.pdf", "predictive_check.png", "identification.csv"):
        assert (out / name).is_file(), name
    assert "pinned down" in capsys.readouterr().out
    assert main([str(tmp_path / "missing.yaml"), "--quiet"]) == 2


@pytest.mark.slow
def test_the_shipped_targets_recover_known_parameters_at_a_small_budget(tmp_path, monkeypatch):
    """Known answer on the shipped targets (all eight statistics, both periods, the switch),
    run small: 100 cadres, burn-in 6 (the same calendar of kept years), 40 particles x 3
    generations, two parameters free. Synthetic figures have no mapping error, so each
    target's looseness is the run-to-run noise at this size (0.04) instead of its mapping_sd.
    Stated tolerance: each known value lies in its central 95% posterior interval, and the
    posterior median of motivation lies within a quarter of the prior's width of it. Risk
    aversion moves the fear and held-back answers by only about two of these tolerances from
    0.8 to 2.0 at this size (measured: 0.48 to 0.56 and 0.10 to 0.14), which 3 generations do
    not resolve, so only its coverage is asserted. The known world has the hand-set choice
    noise and effort cost (temperature 0.05, effort cost 0.5) rather than the calibrated ones:
    at the calibrated temperature six times the noise hides motivation from 100-cadre runs
    (the shipped fit leaves it near its prior too), and this test is of the machinery, which
    must recover what the figures do carry."""
    import experiments.calibration.simulate as simulate

    world = {"behaviour.temperature": 0.05, "behaviour.effort_cost": 0.5}
    configured = simulate.regime_config
    monkeypatch.setattr(simulate, "regime_config", lambda regime, params, settings: configured(
        regime, {**world, **params}, settings))
    shipped = load_targets(ROOT / "configs" / "targets" / "peoples_tribune_2015_2018.yaml")
    small = shipped.model_copy(update={
        "simulation": shipped.simulation.resized(n_cadres=100, burn_in=6)})
    # Motivation over a quarter of the prior width from its centre (0.6): a fit that learnt
    # nothing fails.
    truth = {"population.risk_aversion_mean": 0.8, "population.motivation_mean": 0.8}
    observed = simulate_targets(truth, small, seed=777)
    targets = small.model_copy(update={"targets": [
        t.model_copy(update={"value": float(np.clip(observed[t.name], 0, 1)), "n": None,
                             "mapping_sd": 0.04})
        for t in small.targets]})
    result = calibrate(targets, PRIORS, tmp_path / "recover", Budget(40, 3, ppc_draws=4),
                       seed=4, executor=SerialExecutor(), progress=False, plots=False)
    w = result.posterior["weight"].to_numpy()
    for name, value in truth.items():
        x = result.posterior[name].to_numpy()
        lo, med, hi = weighted_quantile(x, w, [0.025, 0.5, 0.975])
        assert lo <= value <= hi, (name, lo, hi)
        if name == "population.motivation_mean":
            prior = PRIORS.parameters[name]
            assert abs(med - value) <= 0.25 * (prior.high - prior.low), (name, med)


def test_a_narrow_interval_on_few_effective_particles_is_not_called_pinned_down():
    from experiments.calibration.report import MIN_ESS, identification

    rng = np.random.default_rng(0)
    narrow = rng.normal(0.6, 0.01, 400)  # a tenth of the prior's width
    spread = pd.DataFrame({"population.risk_aversion_mean": rng.uniform(0, 4, 400),
                           "population.motivation_mean": narrow})
    even = identification(PRIORS, spread.assign(weight=1.0)).set_index("parameter")
    assert even.loc["population.motivation_mean", "verdict"] == "pinned down"
    assert even["ess"].iloc[0] == pytest.approx(400)
    weights = np.full(400, 1e-4)
    weights[:2] = 1.0  # two particles carry nearly all the weight
    lumpy = identification(PRIORS, spread.assign(weight=weights)).set_index("parameter")
    assert lumpy["ess"].iloc[0] < MIN_ESS
    assert lumpy.loc["population.motivation_mean", "verdict"].startswith("unsettled (ESS 2")
    assert lumpy.loc["population.motivation_mean", "width_ratio"] < 0.5


def test_a_posterior_piled_at_a_prior_bound_is_flagged_and_a_spread_one_is_not():
    from experiments.calibration.report import identification

    rng = np.random.default_rng(1)
    # Risk aversion's prior is uniform on 0-4: its outer 5% at the top is above 3.8.
    piled = pd.DataFrame({"population.risk_aversion_mean": rng.uniform(3.6, 4.0, 400),
                          "population.motivation_mean": rng.uniform(0.3, 0.9, 400),
                          "weight": 1.0})
    bounds = identification(PRIORS, piled).set_index("parameter")["bound"]
    # Half the weight above 3.8 (ten times the prior's 5%): pressed against the upper bound.
    assert bounds["population.risk_aversion_mean"] == "upper"
    assert bounds["population.motivation_mean"] == ""
    low = piled.assign(**{"population.risk_aversion_mean": rng.uniform(0.0, 0.4, 400)})
    assert identification(PRIORS, low).set_index("parameter")["bound"][
        "population.risk_aversion_mean"] == "lower"


def test_a_held_out_target_is_predicted_and_fitted_as_if_absent(tmp_path):
    targets = synthetic_targets(n_cadres=40, steps=6, burn_in=2)
    kept = targets.model_copy(update={"targets": targets.targets[1:]})
    held = calibrate(targets, PRIORS, tmp_path / "held", TINY, seed=5,
                     executor=SerialExecutor(), progress=False, plots=False,
                     held_out=["afraid"])
    absent = calibrate(kept, PRIORS, tmp_path / "absent", TINY, seed=5,
                       executor=SerialExecutor(), progress=False, plots=False)
    pd.testing.assert_frame_equal(held.posterior, absent.posterior)
    rows = pd.read_csv(tmp_path / "held" / "out_of_sample.csv")
    assert rows["target"].tolist() == ["afraid"] and not rows["fitted"].any()
    assert held.predictive_check.set_index("target")["fitted"].to_dict() == {
        "afraid": False, "motivation": True}
    assert "Out of sample" in (tmp_path / "held" / "report.md").read_text()
    with pytest.raises(CalibrationError, match="matches no target"):
        calibrate(targets, PRIORS, tmp_path / "x", TINY, executor=SerialExecutor(),
                  progress=False, plots=False, held_out=["nothing"])


def test_generations_are_added_until_the_last_has_enough_effective_particles(tmp_path):
    plain = tiny_fit(tmp_path / "plain", budget=Budget(8, 2, ppc_draws=2))
    assert plain.posterior["weight"].pipe(lambda w: w.sum() ** 2 / (w ** 2).sum()) < 8
    grown = tiny_fit(tmp_path / "grown", budget=Budget(8, 2, ppc_draws=2, min_ess=8,
                                                       max_generations=4))
    assert len(grown.generations) == 4  # never 8 effective of 8 after t = 0: up to the cap
    # The added generations are the same fit continued: its first two are the plain fit's.
    pd.testing.assert_frame_equal(grown.generations.iloc[:2], plain.generations)
    with pytest.raises(CalibrationError, match="max_generations"):
        Budget(8, 3, min_ess=4, max_generations=2)
