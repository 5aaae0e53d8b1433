"""Figures of estimates: the regime differences from a reference with their intervals, and the
running mean against replications, agree with the analysis tables they draw."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pytest

from experiments.analysis.estimate_plots import (
    figure_differences,
    figure_running_mean,
    reference_differences,
    running_means,
)
from experiments.analysis.intervals import t_interval
from experiments.analysis.results import load_results
from experiments.analysis.statistics import analyze
from experiments.analysis.style import STYLE, Skip
from tests.synthetic_results import write_results

REGIMES = ["seniority_baseline", "jilin_three_ups_downs", "guangdong_three_distinctions"]


def _folder(tmp_path, replications=8, spec=None):
    def values(point, params, rep, rng):
        own = np.random.default_rng([point, rep])
        return {"inaction": 0.3 + 0.05 * point + own.normal(0, 0.01)}

    return write_results(tmp_path / "f", [{"regime": r} for r in REGIMES], values, replications,
                         spec={"regimes": REGIMES, **(spec or {})})


def test_running_means_match_the_t_interval_of_the_first_k_values():
    x = np.random.default_rng(1).normal(0.3, 0.05, 12)
    table = running_means(x)
    for k in (2, 5, 12):
        _, mean, _, low, high = t_interval(x[:k])
        row = table.iloc[k - 1]
        assert row["mean"] == pytest.approx(mean) and row["ci_low"] == pytest.approx(low)
        assert row["ci_high"] == pytest.approx(high)
    assert np.isnan(table["half_width"].iloc[0])


def test_differences_figure_draws_each_regime_minus_the_reference_with_intervals(tmp_path):
    results = load_results(_folder(tmp_path))
    analysis = analyze(results, reference=REGIMES[1])
    ref, rows = reference_differences(results, analysis, "inaction")
    assert ref == REGIMES[1] and set(rows["regime_b"]) == {REGIMES[0], REGIMES[2]}
    assert rows["diff_ci_low"].notna().all()
    with mpl.rc_context(STYLE):
        fig = figure_differences(results, analysis, "inaction")
        ax = fig.axes[0]
        labels = [t.get_text() for t in ax.get_yticklabels()]
        assert len(labels) == 2 and "Jilin" in fig._suptitle.get_text()
        assert any("95% interval" in t.get_text() for t in fig.legends[0].get_texts())
        other = figure_differences(results, analyze(results), "inaction", REGIMES[2])
        assert len(other.axes[0].get_yticklabels()) == 2


def test_running_mean_figure_shows_the_precision_target(tmp_path):
    spec = {"replications": {"precision": {"inaction": 0.01}, "min": 4, "max": 50}}
    results = load_results(_folder(tmp_path, replications=10, spec=spec))
    with mpl.rc_context(STYLE):
        fig = figure_running_mean(results)
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "Precision target" in texts and "95% t-interval of the running mean" in texts
    few = load_results(write_results(tmp_path / "few", [{"regime": "default"}],
                                     lambda p, q, r, g: {"inaction": 0.3}, 2))
    with pytest.raises(Skip):
        figure_running_mean(few)
