"""The whole analysis of a saved results folder: what ``cadresim analyze`` computes.

Means with confidence intervals (:mod:`~experiments.analysis.intervals`), regime comparisons
(:mod:`~experiments.analysis.comparisons`), Sobol and Morris indices
(:mod:`~experiments.analysis.sensitivity`) and, under a posterior, the robustness of the regime
ranking (:mod:`~experiments.analysis.robustness`). Takes
:class:`experiments.analysis.results.Results`, never the model; the tables are written and
printed by :mod:`~experiments.analysis.report`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from experiments.analysis.comparisons import comparison_sets, regime_comparisons
from experiments.analysis.differences import (
    is_policy,
    smallest_effect,
)
from experiments.analysis.intervals import LEVEL, point_means, precision_table
from experiments.analysis.results import Results
from experiments.analysis.robustness import RANKED, robustness_table
from experiments.analysis.sensitivity import morris_indices, sobol_indices

ALPHA = 0.05


@dataclass
class Analysis:
    """Everything ``cadresim analyze`` computes for one results folder."""

    means: pd.DataFrame
    comparisons: pd.DataFrame
    sobol: pd.DataFrame
    morris: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    precision: pd.DataFrame = field(default_factory=pd.DataFrame)
    reference: str | None = None
    #: Under a posterior: each regime's share of draws better than the reference (robustness.py).
    robustness: pd.DataFrame = field(default_factory=pd.DataFrame)


def analyze(results: Results, alpha: float = ALPHA, level: float = LEVEL, *,
            reference: str | None = None, tests: bool = False,
            adjust_method: str = "holm") -> Analysis:
    """The whole analysis of a results folder.

    Means for every point and metric, plus regime differences and sensitivity indices where the
    design supports them; ``notes`` say what was left out and why. ``alpha`` is kept for
    callers of the earlier signature; the intervals' level is ``level``.
    """
    del alpha
    notes = list(results.notes)
    means = point_means(results, level=level)
    comparisons, reason = regime_comparisons(results, reference=reference, tests=tests,
                                             adjust_method=adjust_method, level=level)
    if reason:
        notes.append(f"no regime comparisons: {reason}")
    skipped = [m for m in results.metrics if not is_policy(m)]
    if skipped and not comparisons.empty:
        notes.append(f"not compared (no policy lever moves them): {', '.join(skipped)}")
    sobol_table = morris_table = pd.DataFrame()
    kind = results.design_kind
    for wanted, fn in (("sobol", sobol_indices), ("morris", morris_indices)):
        if kind != wanted:
            continue
        try:
            table, more = fn(results, level=level)
        except ValueError as exc:
            notes.append(f"no {wanted.capitalize()} indices: {exc}")
            continue
        notes += more
        if wanted == "sobol":
            sobol_table = table
        else:
            morris_table = table
    if kind not in ("sobol", "morris"):
        notes.append("sensitivity indices need a sobol (or morris) design; this one is "
                     + (f"'{kind}'" if kind else "absent"))
    return Analysis(means, comparisons, sobol_table, morris_table, notes,
                    precision_table(results, level), reference, posterior_robustness(
                        results, reference))


def posterior_robustness(results: Results, reference: str | None) -> pd.DataFrame:
    """The robustness of the regime ranking across posterior draws (empty without a posterior)."""
    if "posterior" not in results.manifest:
        return pd.DataFrame()

    sets, _ = comparison_sets(results)
    return robustness_table(results, sets, reference, smallest_effect(RANKED, results.spec))

