"""The coverage benchmark checks the shipped fit's own targets and priors, scaled, and judges
coverage against nominal minus two binomial standard errors."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

try:
    importlib.import_module("benchmarks.calibration_coverage")
except ModuleNotFoundError:  # plain `pytest` puts tests/ on the path, not the project root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.calibration_coverage import PRIORS, TARGETS, scaled, summarise, with_values
from experiments.calibration.priors import load_priors
from experiments.calibration.targets import load_targets


def row(index: int, covered: dict[str, bool], rank: float = 0.5) -> dict:
    return {"index": index, "skipped": False, "ess": 50.0, **{
        name: {"truth": 0.0, "rank": rank, "in50": hit, "in90": hit, "in95": hit}
        for name, hit in covered.items()}}


def test_scaled_targets_keep_every_statistic_year_and_the_switch():
    shipped = load_targets(TARGETS)
    small = scaled(shipped, 200, 8, ())
    assert small.names == shipped.names
    assert small.simulation.n_cadres == 200 and small.simulation.burn_in == 8
    assert small.simulation.first_kept_year == shipped.simulation.first_kept_year
    assert small.simulation.switch == shipped.simulation.switch
    held = scaled(shipped, None, None, ("2018",))
    assert all(2018 not in t.years for t in held.targets)
    values = with_values(small, dict.fromkeys(small.names, 1.7))
    assert {t.value for t in values.targets} == {1.0}  # clipped to a share
    assert load_priors(PRIORS).names  # every parameter of the shipped priors is checked


def test_coverage_below_nominal_by_more_than_two_standard_errors_fails():
    names = ["a", "b"]
    # 40 replicates: a covered in 38 (0.95), b in 24 (0.60, far below 0.90 - 2 s.e. = 0.81).
    rows = [row(i, {"a": i >= 2, "b": i >= 16}) for i in range(40)]
    summary = summarise(rows, names)
    a, b = summary["parameters"]["a"], summary["parameters"]["b"]
    assert a["coverage_90"] == pytest.approx(0.95) and a["ok_90"]
    assert b["coverage_90"] == pytest.approx(0.60) and not b["ok_90"]
    assert b["floor_90"] == pytest.approx(0.9 - 2 * (0.9 * 0.1 / 40) ** 0.5)
    assert not summary["ok"]
    assert summarise([row(i, {"a": True, "b": True}) for i in range(40)], names)["ok"]


def test_replicates_of_another_model_are_not_reused():
    """The key of kept replicates names the model (``simulation.digest``): the same settings
    under another model get another key, so a rerun after a model change does not read the
    previous model's fits as its own."""
    from benchmarks.calibration_coverage import replicate_key
    work = (0, 1, 300, 4, load_targets(TARGETS), load_priors(PRIORS), 100.0)
    assert replicate_key(work, "model-a") == replicate_key(work, "model-a")
    assert replicate_key(work, "model-a") != replicate_key(work, "model-b")
    assert replicate_key(work) == replicate_key(work)  # this model's own digest
