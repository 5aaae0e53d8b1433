"""The robustness figure draws each regime's shares of posterior draws, per objective."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest

from experiments.analysis.robustness_plots import figure_robustness
from experiments.analysis.statistics import Analysis
from experiments.analysis.style import STYLE, Skip
from tests.figure_layout import layout_problems

#: Known shares: (better, worse) per regime and objective; the reference is `default`.
SHARES = {
    "inaction": {"jilin_three_ups_downs": (1.0, 0.0), "strict_accountability": (0.06, 0.74),
                 "zhaotong_front_line": (0.3, 0.2)},
    "welfare": {"jilin_three_ups_downs": (0.95, 0.0), "strict_accountability": (0.95, 0.04),
                "zhaotong_front_line": (0.1, 0.5)},
}


def table() -> pd.DataFrame:
    rows = []
    for metric, by_regime in SHARES.items():
        rows.append({"regime": "default", "metric": metric, "median_improvement": 0.0,
                     "share_better": 0.0, "share_worse": 0.0, "draws": 100,
                     "verdict": "baseline", "setting": "", "reference": "default"})
        for regime, (better, worse) in by_regime.items():
            rows.append({"regime": regime, "metric": metric, "median_improvement": better - worse,
                         "share_better": better, "share_worse": worse, "draws": 100,
                         "verdict": "depends on the parameters", "setting": "",
                         "reference": "default"})
    return pd.DataFrame(rows)


def analysis(robustness: pd.DataFrame) -> Analysis:
    empty = pd.DataFrame()
    return Analysis(means=empty, comparisons=empty, sobol=empty, morris=empty,
                    robustness=robustness)


def test_each_panel_stacks_better_tied_and_worse_in_the_first_objectives_order():
    with mpl.rc_context(STYLE):
        fig = figure_robustness(analysis(table()))
    axes = [ax for ax in fig.axes if ax.patches]
    assert len(axes) == 2
    # Ordered by the share better on inaction, the reference left out; top row first.
    order = ["jilin_three_ups_downs", "zhaotong_front_line", "strict_accountability"]
    for ax, metric in zip(axes, SHARES, strict=True):
        n = len(order)
        better, tied, worse = (ax.patches[k * n:(k + 1) * n] for k in range(3))
        for i, regime in enumerate(order):
            b, w = SHARES[metric][regime]
            assert better[i].get_width() == pytest.approx(b)
            assert tied[i].get_width() == pytest.approx(1 - b - w)
            assert worse[i].get_width() == pytest.approx(w)
            assert worse[i].get_x() + worse[i].get_width() == pytest.approx(1.0)
            assert better[i].get_y() > (better[i + 1].get_y() if i + 1 < n else -np.inf)
    assert layout_problems(fig) == []


def test_without_a_posterior_there_is_no_robustness_figure():
    with pytest.raises(Skip, match="posterior"):
        figure_robustness(analysis(pd.DataFrame()))
