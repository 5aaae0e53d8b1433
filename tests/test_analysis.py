"""Analysis of a results folder: loading by the contract, confidence intervals that cover,
regime tests that find a planted difference and not a null one, Sobol indices that rank a known
function's inputs, and clean errors for folders that are not results."""

from __future__ import annotations

import itertools
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from experiments.analysis.comparisons import regime_comparisons
from experiments.analysis.intervals import point_means, ratio_interval, t_interval
from experiments.analysis.labels import (
    METRICS,
    axis_label,
    metric_label,
    parameter_label,
)
from experiments.analysis.results import load_results
from experiments.analysis.sensitivity import second_order_layout, sobol_indices
from experiments.analysis.statistics import analyze
from experiments.analysis.summary import format_summary, shown_values, summarise
from experiments.cli import main
from simulation import ConfigError
from simulation.outputs import OUTPUTS, STEP_COLUMNS
from tests.synthetic_results import write_results

TOL = "regime.fault_tolerance.tolerance"
DET = "regime.accountability.annual_evaluation"
TRAIN = "regime.support.training"
REGIMES = ["seniority_baseline", "jilin_three_ups_downs", "guangdong_three_distinctions"]


def three_regimes(folder: Path, replications: int = 12) -> Path:
    """Three regimes: inaction 0.30 under the first two and 0.40 under the third (sd 0.02);
    formalism the same everywhere (0.2, sd 0.02)."""
    shift = {0: 0.0, 1: 0.0, 2: 0.10}

    def values(point, params, rep, rng):
        unwilling = rng.normal(0.15 + shift[point], 0.01)
        unable = rng.normal(0.05, 0.01)
        afraid = rng.normal(0.10, 0.01)
        return {"inaction": unwilling + unable + afraid, "unwilling": unwilling,
                "unable": unable, "afraid": afraid, "formalism": rng.normal(0.2, 0.02)}

    return write_results(folder, [{"regime": r} for r in REGIMES], values, replications,
                         spec={"regimes": REGIMES})


# --------------------------------------------------------------------------------------------
# Labels
# --------------------------------------------------------------------------------------------


def test_every_model_output_has_a_readable_name_and_unit():
    assert set(METRICS) == set(OUTPUTS)  # every output has a label
    assert metric_label("inaction").name == "Inaction (lying flat + false action + avoidance)"
    assert metric_label("inaction").unit == "share"
    assert all(lab.name and lab.unit for lab in METRICS.values())


def test_parameter_labels_come_from_the_config_schema():
    assert parameter_label(TOL).name == "Fault tolerance"
    assert parameter_label(TOL).unit == "probability"
    assert axis_label(TOL) == "Fault tolerance [probability]"
    assert axis_label("organisation.n_cadres") == "Number of cadres [cadres]"


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def test_loader_keeps_ok_runs_and_the_newest_row_of_a_rerun(tmp_path):
    folder = three_regimes(tmp_path / "exp", replications=4)
    runs = pd.concat([pd.read_parquet(p) for p in sorted((folder / "runs").glob("part-*"))])
    # an earlier session's part holds a stale row of p00000-r0000; a later session's part a
    # failed rerun of p00001-r0002 (the row written last wins: that run counts as failed)
    stale = runs[runs["run_id"] == "p00000-r0000"].assign(inaction=99.0)
    stale.to_parquet(folder / "runs" / "part-0000-000001.parquet", index=False)
    failed = runs[runs["run_id"] == "p00001-r0002"].assign(status="failed", inaction=np.nan)
    failed.to_parquet(folder / "runs" / "part-0002-000001.parquet", index=False)
    (folder / "runs" / ".part-0002-000002.parquet.tmp").write_bytes(b"half a file")

    results = load_results(folder)
    assert results.runs["run_id"].is_unique
    assert results.n_failed == 1
    assert "p00001-r0002" not in set(results.runs["run_id"])
    assert len(results.runs) == 3 * 4 - 1
    assert results.runs.loc[results.runs["run_id"] == "p00000-r0000", "inaction"].item() < 1
    assert results.regimes == REGIMES
    assert results.metrics[:5] == ["inaction", "unwilling", "unable", "afraid",
                                   "final_inaction"]
    everything = load_results(folder, include_failed=True)
    assert len(everything.runs) == 3 * 4


@pytest.mark.parametrize("make, message", [
    (lambda p: p / "nope", "does not exist"),
    (lambda p: p, "no manifest.json"),
    (lambda p: (p / "manifest.json").write_text("{not json") and p, "cannot be read as JSON"),
    (lambda p: (p / "manifest.json").write_text("{}") and p, "no runs/ folder"),
])
def test_a_folder_that_is_not_results_is_a_config_error(tmp_path, make, message):
    with pytest.raises(ConfigError, match=message):
        load_results(make(tmp_path))


def test_analyze_of_a_missing_folder_exits_2_with_one_line(tmp_path, capsys):
    assert main(["analyze", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err.strip()
    assert "does not exist" in err and "\n" not in err


# --------------------------------------------------------------------------------------------
# Means and confidence intervals
# --------------------------------------------------------------------------------------------


def test_t_interval_is_the_textbook_formula():
    x = np.array([0.2, 0.25, 0.31, 0.22, 0.27])
    n, mean, sd, low, high = t_interval(x)
    half = stats.t.ppf(0.975, 4) * x.std(ddof=1) / np.sqrt(5)
    assert (n, mean, sd) == (5, pytest.approx(x.mean()), pytest.approx(x.std(ddof=1)))
    assert (low, high) == (pytest.approx(x.mean() - half), pytest.approx(x.mean() + half))
    assert np.isnan(t_interval(np.array([0.3]))[3])


def test_95_percent_intervals_cover_the_true_mean_about_95_percent_of_the_time(tmp_path):
    truth = np.linspace(0.1, 0.5, 300)

    def values(point, params, rep, rng):
        own = np.random.default_rng([point, rep])  # independent points (the run seed is shared)
        return {"inaction": own.normal(truth[point], 0.05)}

    points = [{"regime": "default", "parameters": {TOL: float(t)}} for t in truth]
    folder = write_results(tmp_path / "cover", points, values, replications=6,
                           design={"kind": "points"})
    means = point_means(load_results(folder), ["inaction"])
    covered = (means["ci_low"] <= truth) & (truth <= means["ci_high"])
    assert 0.91 <= covered.mean() <= 0.985


def test_ratio_interval_is_the_linearised_ratio_estimator():
    # Two seeds: 1 of 4 and 3 of 4. Pooled rate 4 / 8; residuals (1 - 2) / 4 and (3 - 2) / 4,
    # s.d. 0.25 sqrt(2), standard error 0.25, t with one degree of freedom.
    rate, low, high = ratio_interval(np.array([[1.0], [3.0]]), np.array([[4.0], [4.0]]))
    half = stats.t.ppf(0.975, 1) * 0.25
    assert (rate[0], low[0], high[0]) == (0.5, pytest.approx(0.5 - half),
                                          pytest.approx(0.5 + half))


def test_95_percent_ratio_intervals_cover_the_rate_about_95_percent_of_the_time():
    rng = np.random.default_rng(11)
    seeds, trials, truth = 20, 4000, 0.2
    exposures = rng.integers(50, 400, size=(seeds, trials))
    rates = np.clip(rng.normal(truth, 0.05, size=(seeds, trials)), 0, 1)  # seeds differ
    events = rng.binomial(exposures, rates)
    _, low, high = ratio_interval(events, exposures)
    covered = np.mean((low <= truth) & (truth <= high))
    assert 0.935 <= covered <= 0.965


# --------------------------------------------------------------------------------------------
# Regime comparisons
# --------------------------------------------------------------------------------------------


def test_planted_regime_difference_is_found_and_a_null_one_is_not(tmp_path):
    results = load_results(three_regimes(tmp_path / "exp"))
    table, reason = regime_comparisons(results)
    assert reason == ""
    assert len(table) == 3 * len(results.metrics)  # three pairs per metric
    row = table.set_index(["metric", "regime_a", "regime_b"])
    planted = row.loc[("inaction", REGIMES[0], REGIMES[2])]
    assert planted["relevance"] == "beyond"
    assert planted["difference"] == pytest.approx(0.10, abs=0.02)  # B minus A
    assert planted["diff_ci_low"] < planted["difference"] < planted["diff_ci_high"]
    assert planted["effect_size"] > 2
    assert row.loc[("inaction", REGIMES[0], REGIMES[1]), "relevance"] != "beyond"
    assert (table.loc[table["metric"] == "formalism", "relevance"] != "beyond").all()
    assert set(table["method"]) == {"Welch t"}  # synthetic runs do not share random numbers


def test_regimes_crossed_with_a_grid_are_compared_within_each_grid_row(tmp_path):
    points = [{"regime": r, "parameters": {TOL: t}} for r in REGIMES[:2] for t in (0.0, 1.0)]

    def values(point, params, rep, rng):
        return {"inaction": rng.normal(0.3 + 0.1 * params[TOL] * (point >= 2), 0.01)}

    folder = write_results(tmp_path / "x", points, values, replications=8,
                           design={"kind": "grid", "parameters": {TOL: [0.0, 1.0]}})
    table, _ = regime_comparisons(load_results(folder), ["inaction"])
    assert list(table["setting"]) == ["Fault tolerance = 0", "Fault tolerance = 1"]
    assert list(table["relevance"] == "beyond") == [False, True]


def test_analyze_writes_csv_and_markdown_with_readable_labels(tmp_path, capsys):
    folder = three_regimes(tmp_path / "exp")
    assert main(["analyze", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "Jilin three ups downs" in out and "Welch t" in out
    files = {p.name for p in (folder / "analysis").iterdir()}
    assert files == {"means.csv", "means.md", "comparisons.csv", "comparisons.md",
                     "dominance.csv", "dominance.md"}  # inaction is an objective: dominance
    means = pd.read_csv(folder / "analysis" / "means.csv")
    assert set(means["metric"]) == set(load_results(folder).metrics)
    text = (folder / "analysis" / "means.md").read_text()
    assert "## Inaction (lying flat + false action + avoidance) [share]" in text
    compare = (folder / "analysis" / "comparisons.md").read_text()
    assert "Hedges g" in compare and "SESOI" in compare and "Holm" not in compare


def markdown_rows(text: str, heading: str) -> list[dict[str, str]]:
    """The rows of the first Markdown table under ``heading``, as header -> cell."""
    lines = text[text.index(heading):].splitlines()[1:]
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    table = list(itertools.takewhile(lambda line: line.startswith("|"), lines[start:]))
    header = [c.strip() for c in table[0].strip("|").split("|")]
    return [dict(zip(header, (c.strip() for c in row.strip("|").split("|")), strict=True))
            for row in table[2:]]


def test_tables_for_people_show_event_rates_per_1000_cadres_as_the_figures_do(tmp_path, capsys):
    """One unit per output: the Markdown tables scale event rates as the registry says (as the
    figures do); the CSVs keep the stored shares and say so."""
    regimes = REGIMES[:2]

    def values(point, params, rep, rng):
        return {"inaction": rng.normal(0.3, 0.01),
                "sanctions": rng.normal(0.0589 + 0.01 * point, 0.0005)}

    folder = write_results(tmp_path / "events", [{"regime": r} for r in regimes], values, 10,
                           spec={"regimes": regimes})
    assert main(["analyze", str(folder)]) == 0
    capsys.readouterr()
    analysis = folder / "analysis"
    csv = pd.read_csv(analysis / "means.csv").set_index(["metric", "point"])
    assert csv.loc[("sanctions", 0), "unit"] == "share"
    assert csv.loc[("sanctions", 0), "mean"] == pytest.approx(0.0589, abs=0.0005)
    assert csv.loc[("inaction", 0), "unit"] == "share"
    heading = "## Sanctions (any ground) [per 1 000 cadres a year]"
    means = markdown_rows((analysis / "means.md").read_text(), heading)
    assert [float(r["Mean"]) for r in means] == [pytest.approx(58.9, abs=0.5),
                                                 pytest.approx(68.9, abs=0.5)]
    low, high = (float(x) for x in means[0]["95% CI"].strip("[]").split(","))
    assert low < float(means[0]["Mean"]) < high and high - low < 1.0
    shares = markdown_rows((analysis / "means.md").read_text(), "## Inaction")
    assert float(shares[0]["Mean"]) == pytest.approx(0.3, abs=0.01)  # a share stays a share
    diff = markdown_rows((analysis / "comparisons.md").read_text(), heading)[0]
    assert float(diff["Difference [95% CI]"].split()[0]) == pytest.approx(10.0, abs=0.5)
    assert float(diff["Mean A"]) == pytest.approx(58.9, abs=0.5)
    assert float(diff["SESOI"]) == pytest.approx(10.0)  # the default 0.01 share, per 1 000


def test_the_run_summary_scales_event_rates_as_the_registry_says():
    table = pd.DataFrame({c: np.full(4, 0.5) for c in STEP_COLUMNS})
    table["wrongful_sanctions"] = [0.9, 0.002, 0.004, 0.006]  # the first year is burn-in
    table["bold"] = [0.9, 0.1, 0.2, 0.3]
    summary = summarise(table, burn_in=1)
    assert summary["wrongful_sanctions"] == pytest.approx(0.004)  # stored: a share
    assert shown_values(summary)["wrongful_sanctions"] == pytest.approx(4.0)  # shown: per 1 000
    assert shown_values(summary)["bold"] == pytest.approx(0.2)  # a share stays a share
    text = format_summary(summary)
    assert "Wrongful sanctions per 1 000 cadres a year" in text
    assert re.search(r"Wrongful sanctions per 1 000 cadres a year\s+4\.0$", text, re.M)


# --------------------------------------------------------------------------------------------
# Sobol
# --------------------------------------------------------------------------------------------


def sobol_folder(folder: Path, function, samples: int = 256, second_order: bool = False,
                 regimes=("default",), replications: int = 2, noise: float = 0.01,
                 bounds=((0, 1), (0, 1), (0, 1))) -> Path:
    """A Saltelli sample (SALib) per regime, values ``function(regime_index, x) + noise``."""
    from SALib.sample import sobol as saltelli

    names = [DET, TOL, TRAIN]
    problem = {"num_vars": 3, "names": names, "bounds": [list(b) for b in bounds]}
    x = saltelli.sample(problem, samples, calc_second_order=second_order, seed=5)
    points = [{"regime": r, "parameters": dict(zip(names, row.tolist(), strict=True))}
              for r in regimes for row in x]

    def values(point, params, rep, rng):
        row = np.array([params[n] for n in names])
        return {"inaction": function(point // len(x), row) + rng.normal(0, noise)}

    design = {"kind": "sobol", "parameters": dict(zip(names, problem["bounds"], strict=True)),
              "samples": samples, "problem": problem}
    return write_results(folder, points, values, replications, design=design)


def test_sobol_indices_rank_the_inputs_of_a_linear_model_per_regime(tmp_path):
    coef = {0: np.array([4.0, 2.0, 0.5]), 1: np.array([0.5, 2.0, 4.0])}
    folder = sobol_folder(tmp_path / "lin", lambda r, x: coef[r] @ x,
                          regimes=("seniority_baseline", "jilin_three_ups_downs"))
    table, notes = sobol_indices(load_results(folder), ["inaction"])
    assert notes == []
    for regime, expected in (("seniority_baseline", [DET, TOL, TRAIN]),
                             ("jilin_three_ups_downs", [TRAIN, TOL, DET])):
        part = table[table["regime"] == regime].set_index("parameter")
        assert list(part["S1"].sort_values(ascending=False).index) == expected
        assert list(part["ST"].sort_values(ascending=False).index) == expected
        share = coef[0 if regime == "seniority_baseline" else 1] ** 2 / 21.25
        np.testing.assert_allclose(part.loc[expected, "ST"], np.sort(share)[::-1], atol=0.06)
        assert (part["S1_conf"] > 0).all() and (part["ST_conf"] > 0).all()


def test_sobol_indices_of_ishigami_find_the_interaction_only_input(tmp_path):
    def ishigami(_regime, x):
        a, b, c = x
        return np.sin(a) + 7 * np.sin(b) ** 2 + 0.1 * c**4 * np.sin(a)

    pi = float(np.pi)
    folder = sobol_folder(tmp_path / "ish", ishigami, samples=512, second_order=True,
                          replications=1, noise=0.0, bounds=[(-pi, pi)] * 3)
    results = load_results(folder)
    analysis = analyze(results)
    part = analysis.sobol[analysis.sobol["metric"] == "inaction"].set_index("parameter")
    # known values: S1 = 0.31, 0.44, 0.00; ST = 0.56, 0.44, 0.24
    assert abs(part.at[TRAIN, "S1"]) < 0.06
    assert part.at[TRAIN, "ST"] > 0.15
    assert part.at[TOL, "S1"] > part.at[DET, "S1"] > part.at[TRAIN, "S1"]
    assert part.at[DET, "ST"] > part.at[TRAIN, "ST"]
    assert analysis.comparisons.empty


def test_sobol_with_a_missing_point_is_skipped_with_a_note(tmp_path):
    folder = sobol_folder(tmp_path / "gap", lambda r, x: x.sum(), samples=32, replications=1)
    manifest = json.loads((folder / "manifest.json").read_text())
    runs = pd.concat([pd.read_parquet(p) for p in (folder / "runs").glob("part-*")])
    for p in (folder / "runs").glob("part-*"):
        p.unlink()
    runs[runs["point"] != 7].to_parquet(folder / "runs" / "part-00000.parquet", index=False)
    assert manifest["design"]["kind"] == "sobol"
    table, notes = sobol_indices(load_results(folder), ["inaction"])
    assert table.empty
    assert any("1 point(s) without a finished run" in n for n in notes)


@pytest.mark.filterwarnings("ignore:The balance properties")  # 10 is not a power of 2
@pytest.mark.parametrize("second_order", [False, True])
def test_saltelli_layout_is_read_from_the_points_even_when_counts_fit_both(tmp_path,
                                                                         second_order):
    # 10 samples: 50 points (D + 2 = 5) or 80 points (2D + 2 = 8); 80 is a multiple of 5 too
    folder = sobol_folder(tmp_path / "s", lambda r, x: x.sum(), samples=10,
                          second_order=second_order, replications=1)
    results = load_results(folder)
    x = results.points[[DET, TOL, TRAIN]].to_numpy(dtype=float)
    assert second_order_layout(results, x, 3) is second_order


def test_morris_indices_rank_the_inputs_of_a_linear_model(tmp_path):
    from SALib.sample import morris as morris_sample

    names = [DET, TOL, TRAIN]
    problem = {"num_vars": 3, "names": names, "bounds": [[0, 1]] * 3}
    x = morris_sample.sample(problem, 20, num_levels=4, seed=3)
    points = [{"regime": "default", "parameters": dict(zip(names, row.tolist(), strict=True))}
              for row in x]

    def values(point, params, rep, rng):
        return {"inaction": 4 * params[DET] + 2 * params[TOL] + 0.5 * params[TRAIN]}

    design = {"kind": "morris", "parameters": {n: [0, 1] for n in names}, "num_levels": 4,
              "problem": problem}
    folder = write_results(tmp_path / "m", points, values, 1, design=design)
    analysis = analyze(load_results(folder))
    part = analysis.morris[analysis.morris["metric"] == "inaction"].set_index("parameter")
    np.testing.assert_allclose(part.loc[names, "mu_star"], [4, 2, 0.5], rtol=1e-6)


@pytest.mark.sweep
def test_a_morris_spec_runs_and_gets_its_indices_and_figure_end_to_end(tmp_path, capsys):
    spec = {
        "name": "morris", "set": {"organisation.n_cadres": 100}, "steps": 4,
        "design": {"kind": "morris", "parameters": {TOL: [0.0, 0.8], DET: [0.05, 0.5]},
                   "trajectories": 3, "num_levels": 4},
        "metrics": ["inaction", "bold"], "output": str(tmp_path / "morris"),
    }
    path = tmp_path / "morris.yaml"
    path.write_text(json.dumps(spec), encoding="utf-8")  # JSON is YAML
    assert main(["sweep", str(path), "--quiet"]) == 0
    results = load_results(tmp_path / "morris")
    assert results.design_kind == "morris"
    assert len(results.points) == 3 * (2 + 1)  # trajectories x (D + 1)
    analysis = analyze(results)
    assert set(analysis.morris["parameter"]) == {TOL, DET}
    assert set(analysis.morris["metric"]) == {"inaction", "bold", "final_inaction"}
    assert (analysis.morris["mu_star"] >= 0).all()
    assert main(["plot", str(tmp_path / "morris")]) == 0
    assert (tmp_path / "morris" / "figures" / "morris_inaction.png").is_file()


def test_a_version_2_folder_loads_says_its_version_and_warns_avoidance_counted_fear_only(
        tmp_path):
    old = write_results(tmp_path / "v2", [{"regime": "default"}],
                        lambda point, params, rep, rng: {"inaction": 0.2, "avoidance": 0.05},
                        3, outputs_version=2)
    with pytest.warns(UserWarning, match="outputs version 2.*avoidance_fear") as caught:
        results = load_results(old)
    assert "idle share" not in str(caught[0].message)  # version 1's change is not repeated
    assert results.outputs_version == 2
    assert results.runs["avoidance"].tolist() == [0.05] * 3  # read as stored, not rescaled


def test_a_folder_whose_runs_all_failed_says_so(tmp_path):
    folder = write_results(tmp_path / "bad", [{"regime": "default"}],
                           lambda *a: {"inaction": 0.1}, replications=2,
                           failed={(0, 0), (0, 1)})
    with pytest.raises(ConfigError, match="no successful runs \\(2 failed"):
        load_results(folder)


def test_a_folder_from_before_the_three_forms_warns_that_its_inaction_is_the_idle_share(tmp_path):
    old = write_results(tmp_path / "old", [{"regime": "default"}],
                        lambda point, params, rep, rng: {"inaction": 0.2}, 3,
                        outputs_version=None)
    with pytest.warns(UserWarning, match="idle share"):
        load_results(old)
    new = write_results(tmp_path / "new", [{"regime": "default"}],
                        lambda point, params, rep, rng: {"inaction": 0.2}, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_results(new)
