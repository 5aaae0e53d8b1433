"""Targets and priors are validated data: bad inputs give errors naming field, value and range."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.calibration.errors import CalibrationError
from experiments.calibration.priors import load_priors, validate_priors
from experiments.calibration.targets import (
    load_targets,
    parse_statistic,
    statistic_value,
    target_statistics,
    validate_targets,
)
from simulation import ConfigError

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ROOT / "configs" / "targets" / "peoples_tribune_2015_2018.yaml"
PRIORS = ROOT / "configs" / "priors" / "behaviour.yaml"

SOURCE = {"authors": "A", "venue": "V", "year": 2015, "firmness": "secondary"}


def target(**changes):
    base = {
        "name": "fear", "figure": "51.8% fear", "value": 0.518,
        "statistic": "reason_afraid / inaction", "mapping_sd": 0.1, "looseness": "loose",
        "source": dict(SOURCE),
    }
    return {**base, **changes}


def targets(*items):
    return {"name": "t", "targets": list(items) or [target()]}


def priors(**params):
    return {"name": "p", "parameters": params or {
        "behaviour.temperature": {"distribution": "loguniform", "low": 0.01, "high": 0.5,
                                  "why": "noise"}}}


def test_shipped_targets_and_priors_load():
    t = load_targets(TARGETS)
    by_name = {x.name: x for x in t.targets}
    assert by_name["fear_real_cause"].statistic == "names_afraid / inaction"  # multi-response
    assert by_name["unable_bottleneck"].statistic == "reason_unable / inaction"  # single
    assert by_name["unable_bottleneck"].sampling_se == pytest.approx(
        np.sqrt(0.438 * 0.562 / 3201))
    assert by_name["drive_2018_not_sufficient"].statistic == "inaction"  # the level anchor
    for x in t.targets:  # each says who was asked, how, and when it is read
        assert (x.asked and x.response != "unknown") or x.name == "fear_real_cause", x.name
        assert x.years, x.name
    assert t.simulation.switch is not None and t.simulation.switch.preset == "status_quo_2018"
    assert t.unmapped, "figures left out are listed with the reason"
    p = load_priors(PRIORS)
    assert all(name.split(".")[0] in ("behaviour", "population", "learning") for name in p.names)


def test_targets_errors_name_field_value_and_range():
    with pytest.raises(CalibrationError) as err:
        validate_targets(targets(target(value=1.5)), origin="x.yaml")
    msg = str(err.value)
    assert "targets.0.value" in msg and "1.5" in msg and "less than or equal to 1" in msg


def test_unknown_target_key_is_rejected():
    with pytest.raises(CalibrationError, match=r"targets\.0\.colour: unknown key"):
        validate_targets(targets(target(colour="red")))


def test_statistic_must_name_model_outputs():
    with pytest.raises(CalibrationError, match=r"'fear_share' is not a model output; allowed: "
                                               r"inaction, lying_flat"):
        validate_targets(targets(target(statistic="fear_share / inaction")))
    with pytest.raises(ValueError, match="ratio of two"):
        parse_statistic("a / b / c")


def test_unknown_regime_is_rejected_with_the_allowed_names():
    with pytest.raises(CalibrationError, match=r"regime 'utopia' is unknown; allowed: default, "):
        validate_targets(targets(target(regime="utopia")))


def test_target_needs_an_error_scale_and_unique_names():
    with pytest.raises(CalibrationError, match="give n, se or a positive mapping_sd"):
        validate_targets(targets(target(mapping_sd=0.0)))
    with pytest.raises(CalibrationError, match="repeated: fear"):
        validate_targets(targets(target(), target()))


def test_targets_file_errors_are_config_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: t\ntargets: [\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_targets(bad)


def test_priors_reject_policy_levers():
    bad = priors(**{"regime.fault_tolerance.tolerance": {
        "distribution": "uniform", "low": 0.0, "high": 1.0, "why": "x"}})
    with pytest.raises(CalibrationError, match="is a policy lever"):
        validate_priors(bad)


def test_priors_bounds_must_lie_inside_the_schema_range():
    bad = priors(**{"population.motivation_mean": {
        "distribution": "uniform", "low": 0.0, "high": 0.9, "why": "x"}})
    with pytest.raises(CalibrationError, match=r"population.motivation_mean: prior bounds "
                                               r"\[0, 0.9\] leave the range the config allows, "
                                               r"\[0.01, 0.99\]"):
        validate_priors(bad)


def test_priors_unknown_parameter_suggests_close_names():
    bad = priors(**{"behaviour.temprature": {
        "distribution": "uniform", "low": 0.01, "high": 0.5, "why": "x"}})
    with pytest.raises(CalibrationError, match=r"did you mean 'behaviour\.temperature'"):
        validate_priors(bad)


@pytest.mark.parametrize("spec, message", [
    ({"distribution": "loguniform", "low": 0.0, "high": 0.5}, "loguniform needs low > 0"),
    ({"distribution": "uniform", "low": 0.5, "high": 0.1}, "need low < high"),
    ({"distribution": "truncnormal", "low": 0.01, "high": 0.5}, "truncnormal needs mean and sd"),
    ({"distribution": "uniform", "low": 0.01, "high": 0.5, "sd": 1.0}, "apply to truncnormal"),
    ({"distribution": "beta", "low": 0.01, "high": 0.5}, "distribution: got 'beta'"),
])
def test_prior_shapes_are_checked(spec, message):
    with pytest.raises(CalibrationError, match=message):
        validate_priors(priors(**{"behaviour.temperature": {**spec, "why": "x"}}))


def test_integer_fields_cannot_be_fitted():
    bad = priors(**{"population.retirement_age": {
        "distribution": "uniform", "low": 55.0, "high": 65.0, "why": "x"}})
    with pytest.raises(CalibrationError, match="not a real-valued parameter"):
        validate_priors(bad)


def test_prior_draws_stay_in_bounds_and_unbounded_map_inverts():
    p = load_priors(PRIORS)
    theta = p.sample(np.random.default_rng(1), 200)
    lows = np.array([x.low for x in p.parameters.values()])
    highs = np.array([x.high for x in p.parameters.values()])
    assert ((theta >= lows) & (theta <= highs)).all()
    assert np.allclose(p.from_unbounded(p.to_unbounded(theta)), theta)
    assert np.isfinite(p.logpdf(theta)).all()


def test_ratio_statistic_is_a_ratio_of_run_means():
    import pandas as pd

    table = pd.DataFrame({"step": [1, 2, 3], "reason_afraid": [0.9, 0.1, 0.3],
                          "inaction": [1.0, 0.2, 0.6]})
    assert statistic_value(table, "reason_afraid / inaction", burn_in=1) == pytest.approx(0.5)
    assert statistic_value(table, "inaction", burn_in=1) == pytest.approx(0.4)
    zero = table.assign(inaction=0.0)
    assert np.isnan(statistic_value(zero, "reason_afraid / inaction", burn_in=0))


def test_validation_does_not_mutate_input():
    data = targets()
    before = copy.deepcopy(data)
    validate_targets(data)
    assert data == before


def calendar(**changes):
    sim = {"n_cadres": 40, "steps": 10, "burn_in": 4, "start_year": 2010,
           "switch": {"preset": "guangdong_three_distinctions", "year": 2016, "phase_in": 2}}
    return {**sim, **changes}


def test_targets_read_years_of_a_calendar_and_the_switch_lands_on_its_year():
    data = {"name": "t", "simulation": calendar(), "targets": [
        target(name="before", years=[2014, 2015]), target(name="after", years=[2018])]}
    t = validate_targets(data)
    assert t.kept_rows(t.targets[0]).tolist() == [0, 1]
    assert t.kept_rows(t.targets[1]).tolist() == [4]
    assert t.simulation.switch_overrides() == {
        "switch.preset": "guangdong_three_distinctions", "switch.step": 7,
        "switch.phase_in": 2}
    small = t.simulation.resized(n_cadres=30, burn_in=2)
    assert (small.first_kept_year, small.last_year, small.steps) == (2014, 2019, 8)


@pytest.mark.parametrize("changes, message", [
    ({"targets": [target(years=[2012])]}, "outside the kept years"),
    ({"simulation": calendar(start_year=None, switch=None),
      "targets": [target(years=[2015])]}, "start_year"),
    ({"simulation": calendar(start_year=None)}, "needs start_year"),
    ({"simulation": calendar(switch={"preset": "nowhere", "year": 2016})}, "nowhere"),
    ({"simulation": calendar(switch={"preset": "guangdong_three_distinctions",
                                     "year": 2030})}, "switch.year"),
])
def test_years_and_switches_are_checked(changes, message):
    data = {"name": "t", "simulation": calendar(), "targets": [target()]} | changes
    with pytest.raises(CalibrationError, match=message):
        validate_targets(data)


def test_hold_out_by_name_or_survey_year():
    t = validate_targets({"name": "t", "simulation": calendar(), "targets": [
        target(name="a", years=[2014]), target(name="b", years=[2018]),
        target(name="c", years=[2017, 2018])]})
    fitted, held = t.split(["2018"])
    assert fitted.names == ["a"] and [h.name for h in held] == ["b", "c"]
    fitted, held = t.split(["b"])
    assert fitted.names == ["a", "c"]
    with pytest.raises(ValueError, match="matches no target"):
        t.split(["2016"])
    with pytest.raises(ValueError, match="nothing is left"):
        t.split(["2014", "2018"])


def test_a_switched_statistic_reads_only_its_years():
    table = pd.DataFrame({"step": np.arange(1, 11), "inaction": np.r_[np.zeros(6), np.ones(4)]})
    t = validate_targets({"name": "t", "simulation": calendar(), "targets": [
        target(name="before", statistic="inaction", years=[2014, 2015]),
        target(name="after", statistic="inaction", years=[2018, 2019])]})
    assert target_statistics({"default": table}, t) == {"before": 0.0, "after": 1.0}
