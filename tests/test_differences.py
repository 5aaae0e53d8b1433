"""Regime differences as estimates: intervals that cover a known difference about 95% of the
time (paired, Welch and bootstrap), the method chosen by design rather than by a pretest, the
smallest effect of interest, p-values only on request (statsmodels' adjustment) and never on
outputs no policy can move."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from experiments.analysis import differences
from experiments.analysis.comparisons import regime_comparisons
from experiments.analysis.differences import (
    BOOT,
    BOOT_PAIRED,
    PAIRED,
    WELCH,
    adjust,
    compare_arms,
    difference_interval,
    hedges_g,
    relevance,
    smallest_effect,
)
from experiments.analysis.report import format_report
from experiments.analysis.results import load_results
from experiments.analysis.statistics import analyze
from experiments.cli import main
from tests.synthetic_results import write_results

REGIMES = ["seniority_baseline", "jilin_three_ups_downs", "guangdong_three_distinctions"]
#: Coverage checks: repetitions and the accepted band for a nominal 95% interval. With 1000
#: repetitions the binomial sd of the coverage is 0.0069, so [0.93, 0.97] is about +-3 sd.
REPETITIONS = 1000
COVERAGE_BAND = (0.93, 0.97)
#: The BCa bootstrap is known to undercover a little at small n on skewed data (measured here:
#: 0.928 for two independent arms of 40 gamma(2) values), so its band is one point wider below.
BOOTSTRAP_BAND = (0.92, 0.97)


def _coverage(draw, paired: bool, bootstrap: bool, truth: float, seed: int) -> float:
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(REPETITIONS):
        a, b = draw(rng)
        _, low, high = difference_interval(a, b, paired, bootstrap)
        hits += low <= truth <= high
    return hits / REPETITIONS


def test_welch_interval_covers_a_known_difference_about_95_percent():
    def draw(rng):  # unequal spreads and sizes: Welch's case
        return rng.normal(0.30, 0.02, 12), rng.normal(0.32, 0.04, 17)

    coverage = _coverage(draw, paired=False, bootstrap=False, truth=0.02, seed=101)
    assert COVERAGE_BAND[0] <= coverage <= COVERAGE_BAND[1]


def test_paired_interval_covers_a_known_difference_about_95_percent():
    def draw(rng):  # a shared replicate effect (common random numbers) plus own noise
        shared = rng.normal(0.30, 0.05, 15)
        return shared + rng.normal(0, 0.005, 15), shared + 0.01 + rng.normal(0, 0.005, 15)

    coverage = _coverage(draw, paired=True, bootstrap=False, truth=0.01, seed=202)
    assert COVERAGE_BAND[0] <= coverage <= COVERAGE_BAND[1]


@pytest.mark.slow
def test_bootstrap_intervals_cover_a_known_difference_about_95_percent(monkeypatch):
    monkeypatch.setattr(differences, "RESAMPLES", 999)  # test time; the rule is unchanged

    def independent(rng):  # skewed, rare-event-like values: gamma with shape 2
        return rng.gamma(2.0, 0.005, 40), rng.gamma(2.0, 0.0075, 40)

    def paired(rng):
        shared = rng.gamma(2.0, 0.005, 40)
        return shared, shared + rng.gamma(2.0, 0.0025, 40)

    low, high = BOOTSTRAP_BAND
    assert low <= _coverage(independent, False, True, 0.005, 303) <= high
    assert low <= _coverage(paired, True, True, 0.005, 404) <= high


def test_method_follows_the_design_and_the_registry_not_a_pretest():
    rng = np.random.default_rng(5)
    a = dict(enumerate(rng.normal(0.3, 0.02, 20)))
    b = {r: v + 0.01 + rng.normal(0, 0.005) for r, v in a.items()}
    assert compare_arms(a, b, paired=True, metric="inaction")["method"] == PAIRED
    assert compare_arms(a, b, paired=False, metric="inaction")["method"] == WELCH
    assert compare_arms(a, b, paired=True, metric="wrongful_sanctions")["method"] == BOOT_PAIRED
    assert compare_arms(a, b, paired=False, metric="removals")["method"] == BOOT
    few = {r: v for r, v in a.items() if r < 10}
    assert compare_arms(few, few, paired=False, metric="removals")["method"].startswith(WELCH)


def test_paired_rows_pair_on_replicates_both_arms_finished():
    a = {0: 0.30, 1: 0.40, 2: 0.50, 3: float("nan")}
    b = {0: 0.31, 1: 0.41, 2: 0.52, 4: 0.9}
    out = compare_arms(a, b, paired=True, metric="inaction")
    assert out["n_a"] == out["n_b"] == 3
    assert out["difference"] == pytest.approx(0.04 / 3)
    d = np.array([0.01, 0.01, 0.02])
    half = stats.t.ppf(0.975, 2) * d.std(ddof=1) / np.sqrt(3)
    assert out["diff_ci_low"] == pytest.approx(d.mean() - half)


def test_effect_size_and_smallest_effect_of_interest():
    rng = np.random.default_rng(4)
    a, b = rng.normal(0, 1, 20), rng.normal(1, 1, 20)
    pooled = np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)
    assert hedges_g(a, b) == pytest.approx((b.mean() - a.mean()) / pooled * (1 - 3 / 151))
    assert smallest_effect("inaction") == 0.01  # the default for shares of cadres
    assert smallest_effect("inaction", {"smallest_effect": {"inaction": 0.03}}) == 0.03
    assert smallest_effect("real_output") == 0.01  # a hundredth of an output unit per cadre
    assert np.isnan(smallest_effect("not_an_output"))  # unknown unit: no default
    assert relevance(0.02, 0.05, 0.01) == "beyond"
    assert relevance(-0.05, -0.02, 0.01) == "beyond"
    assert relevance(-0.005, 0.008, 0.01) == "within"
    assert relevance(0.005, 0.02, 0.01) == "inconclusive"


def test_adjustment_is_statsmodels_and_keeps_nans_out_of_the_family():
    adjusted = adjust(np.array([0.01, 0.04, 0.03, np.nan]))
    np.testing.assert_allclose(adjusted[:3], [0.03, 0.06, 0.06])
    assert np.isnan(adjusted[3])
    fdr = adjust(np.array([0.01, 0.04, 0.03]), "fdr_bh")
    np.testing.assert_allclose(fdr, [0.03, 0.04, 0.04])


def three_regimes(folder, replications=12, crn=False):
    """Inaction 0.30, 0.30 and 0.40 under the three regimes; with ``crn`` each replicate adds
    the same large shared term in every regime (as common random numbers do)."""
    shift = {0: 0.0, 1: 0.0, 2: 0.10}

    def values(point, params, rep, rng):
        # The shared luck of replicate ``rep``, the same in every regime.
        shared = np.random.default_rng([99, rep]).normal(0, 0.05) if crn else 0.0
        own = np.random.default_rng([point, rep])
        return {"inaction": 0.30 + shift[point] + shared + own.normal(0, 0.01),
                "formalism": 0.2 + shared + own.normal(0, 0.01),
                "policy_reversal": float(rng.random() < 0.1)}

    spec = {"regimes": REGIMES, "common_random_numbers": crn}
    return write_results(folder, [{"regime": r} for r in REGIMES], values, replications,
                         spec=spec)


def test_regime_differences_report_intervals_not_verdicts(tmp_path):
    results = load_results(three_regimes(tmp_path / "exp"))
    table, reason = regime_comparisons(results)
    assert reason == ""
    assert "policy_reversal" not in set(table["metric"])  # no lever moves it
    assert "p_value" not in table and "significant" not in table
    row = table.set_index(["metric", "regime_a", "regime_b"])
    planted = row.loc[("inaction", REGIMES[0], REGIMES[2])]
    assert planted["diff_ci_low"] < planted["difference"] < planted["diff_ci_high"]
    assert planted["difference"] == pytest.approx(0.10, abs=0.015)
    assert planted["relevance"] == "beyond" and planted["method"] == WELCH
    null = row.loc[("inaction", REGIMES[0], REGIMES[1])]
    assert null["diff_ci_low"] < 0 < null["diff_ci_high"] and null["relevance"] != "beyond"


def test_shared_random_numbers_give_paired_and_narrower_intervals(tmp_path):
    paired = load_results(three_regimes(tmp_path / "crn", crn=True))
    table, _ = regime_comparisons(paired, ["inaction"], reference=REGIMES[0])
    assert list(table["regime_b"]) == REGIMES[1:] and set(table["method"]) == {PAIRED}
    width = (table["diff_ci_high"] - table["diff_ci_low"]).to_numpy()
    runs = paired.runs.set_index("replicate")
    arm = {p: runs.loc[runs["point"] == p, "inaction"].to_dict() for p in range(3)}
    welch = [compare_arms(arm[0], arm[p], paired=False, metric="inaction") for p in (1, 2)]
    assert (width < np.array([w["diff_ci_high"] - w["diff_ci_low"] for w in welch]) / 2).all()


def test_p_values_only_with_tests_and_never_on_non_policy_outputs(tmp_path, capsys):
    folder = three_regimes(tmp_path / "exp")
    results = load_results(folder)
    table = analyze(results, tests=True).comparisons
    assert (table["p_adjusted"] >= table["p_value"]).all()
    np.testing.assert_allclose(table["p_adjusted"], adjust(table["p_value"].to_numpy()))
    assert "policy_reversal" not in set(table["metric"])
    report = format_report(results, analyze(results))
    assert "p (adj.)" not in report and "95% interval" in report
    assert main(["analyze", str(folder), "--tests", "--adjust", "fdr_bh",
                 "--reference", REGIMES[2]]) == 0
    out = capsys.readouterr().out
    assert "p (adj.)" in out and "fdr_bh" in (folder / "analysis" / "comparisons.md").read_text()
    assert main(["analyze", str(folder), "--reference", "nonesuch"]) == 2


def test_fixed_effects_logit_is_statsmodels_and_reports_non_convergence():
    from experiments.validation.tools import LogitConvergenceError, logit_fixed_effects

    rng = np.random.default_rng(11)
    n, groups = 6000, rng.integers(0, 20, 6000)
    x = rng.normal(size=(n, 2))
    eta = 1.2 * x[:, 0] - 0.5 * x[:, 1] + np.linspace(-1, 1, 20)[groups]
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    slopes, se = logit_fixed_effects(y, x, groups)
    assert np.all(np.abs(slopes - [1.2, -0.5]) < 3 * se)
    assert np.all((se > 0) & (se < 0.1))
    separated = (x[:, 0] > 0).astype(float)  # x predicts y perfectly: no finite maximum
    with pytest.raises(LogitConvergenceError):
        logit_fixed_effects(separated, x, groups)
