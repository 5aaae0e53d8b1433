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
)
from experiments.analysis.intervals import LEVEL, point_means, precision_table
from experiments.analysis.objectives import (
    dominance_table,
    objectives_of,
    pareto_shares,
    sesoi_of,
)
from experiments.analysis.results import Results
from experiments.analysis.robustness import robustness_table
from experiments.analysis.sensitivity import morris_indices, sobol_indices
from experiments.analysis.transitions import transition_table
from experiments.analysis.welfare import welfare_band

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
    #: Under a posterior: each regime's share of draws better than the reference, per objective
    #: (robustness.py).
    robustness: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: The outputs regimes are judged on (the spec's ``objectives``, else the default ones kept).
    objectives: list[str] = field(default_factory=list)
    #: Per point: welfare at the config's weights and its band over the weights (welfare.py).
    welfare: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Per design row and regime: which regimes it dominates on the objectives (objectives.py).
    dominance: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Under a posterior: each regime's share of draws on the Pareto front (objectives.py).
    pareto: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: With a switch: per changing arm, change and kept series output, its size and the years
    #: it takes; and each arm's path per year (transitions.py).
    transitions: pd.DataFrame = field(default_factory=pd.DataFrame)
    transition_paths: pd.DataFrame = field(default_factory=pd.DataFrame)


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
    analysis = Analysis(means, comparisons, sobol_table, morris_table, notes,
                        precision_table(results, level), reference)
    judge_objectives(results, analysis, level)
    analysis.transitions, analysis.transition_paths, why = transition_table(results)
    if why and isinstance(results.spec.get("switch"), dict):
        analysis.notes.append(f"no transition analysis: {why}")
    return analysis


def judge_objectives(results: Results, analysis: Analysis, level: float = LEVEL) -> None:
    """Fill in the objectives' tables: the welfare band, dominance, robustness, Pareto shares."""
    analysis.objectives = objectives_of(results)
    analysis.welfare, why = welfare_band(results, level)
    if why:
        analysis.notes.append(f"no welfare band: {why}")
    if not analysis.comparisons.empty:
        every_pair = analysis.comparisons if analysis.reference is None else None
        analysis.dominance, why = dominance_table(results, analysis.objectives, level,
                                                  every_pair)
        if why:
            analysis.notes.append(f"no dominance table: {why}")
    analysis.robustness = posterior_robustness(results, analysis.reference, analysis.objectives)
    analysis.pareto = pareto_shares(results, analysis.objectives)


def posterior_robustness(results: Results, reference: str | None,
                         objectives: list[str] | None = None) -> pd.DataFrame:
    """The robustness of the regime ranking across posterior draws, per objective.

    Empty without a posterior; ``objectives`` default to the results folder's.
    """
    if "posterior" not in results.manifest:
        return pd.DataFrame()
    sets, _ = comparison_sets(results)
    frames = [robustness_table(results, sets, reference, float(sesoi_of([m], results.spec)[0]),
                               m)
              for m in (objectives_of(results) if objectives is None else objectives)]
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

