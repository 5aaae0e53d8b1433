"""Pattern-oriented defaults: the typical posterior draw that also shows the incentive patterns.

A calibration fits the survey figures; every particle of its posterior fits them about as well.
The validation checks on the size of a response to an incentive (a higher performance weight, a
larger prize, an age ceiling, a harsher sanction ladder) are patterns from the literature the fit
does not see. Pattern-oriented modelling keeps the parameter sets that reproduce every pattern at
once (Grimm et al. 2005, docs/calibration.md). ``cadresim validate-posterior`` measures each
pattern at draws from a posterior and writes the criteria beside the effects; :func:`kept_draws`
keeps the draws meeting every criterion (read from the screen's folder: this module does not
import the validation code).
``cadresim ship --patterns`` keeps of those the ones that also reproduce every survey figure
within 2 tolerances at their own values (:func:`figures_at`; an accepted particle need not: ABC
accepts it on its distance over all figures at once), and ships their :func:`medoid` (the one
nearest all the others, in posterior standard deviations): a particle that fits the figures and
shows the patterns, typical of those that do, not an extreme one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.analysis.differences import meets_criterion
from experiments.calibration.simulate import Draw, simulate_draws
from experiments.calibration.targets import TargetSet

#: Files of a ``validate-posterior`` folder that the choice reads.
DRAWS, SUMMARY = "draws.parquet", "summary.json"


class NoDrawShowsThePatterns(ValueError):
    """No screened draw meets every criterion: no pattern-oriented point to ship."""


@dataclass(frozen=True)
class PatternPoint:
    """The chosen draw's parameter values and what the choice rests on."""

    values: dict[str, float]
    particle: int
    effects: dict[str, float]
    kept: int  # distinct particles meeting every criterion
    screened: int  # distinct particles screened

    def record(self, screen: str, fitting: int, figures: Mapping[str, float]) -> dict[str, Any]:
        """What the shipped posterior's provenance says of the choice."""
        return {"rule": "medoid of the draws meeting every incentive criterion and every survey "
                        "figure within 2 tolerances",
                "screen": screen, "kept": self.kept, "screened": self.screened,
                "fitting": fitting, "particle": self.particle,
                "effects": dict(self.effects),
                "figures_z": {k: round(v, 3) for k, v in figures.items()}}


def kept_draws(table: pd.DataFrame, criteria: Mapping[str, float], parameters: Sequence[str]
               ) -> tuple[list[PatternPoint], pd.Series]:
    """The particles whose effects (mean over seeds) meet every criterion screened, and a scale.

    ``table`` is a ``validate-posterior`` draws table: one row per draw and seed, the draw's
    ``particle``, its parameter values and one column per effect; ``criteria`` maps each
    effect to its signed minimum (the screen's summary: :func:`criteria_of`). The scale is each
    parameter's standard deviation over all screened draws, the unit that distances between
    draws are read in.

    Raises:
        NoDrawShowsThePatterns: no draw meets every criterion.
    """
    names = [name for name in criteria if name in table.columns]
    if not names:
        raise NoDrawShowsThePatterns("the screen measured none of the incentive effects")
    draws = table.groupby("draw")[[*parameters, *names]].mean()
    particles = table.groupby("draw")["particle"].first()
    met = np.logical_and.reduce([meets_criterion(draws[n].to_numpy(), criteria[n])
                                 for n in names])
    if not met.any():
        raise NoDrawShowsThePatterns(
            f"none of the {len(draws)} screened draws meets every criterion "
            f"({', '.join(names)})")
    # Draws are by weight, with replacement: a particle drawn twice is one candidate.
    first = ~particles.duplicated().to_numpy()
    chosen = draws[met & first]
    kept = [PatternPoint(values={p: float(row[p]) for p in parameters},
                         particle=int(particles.loc[draw]),
                         effects={n: float(row[n]) for n in names},
                         kept=len(chosen), screened=int(first.sum()))
            for draw, row in chosen.iterrows()]
    return kept, draws[list(parameters)].std().replace(0.0, 1.0)


def criteria_of(summary: Mapping[str, Any]) -> dict[str, float]:
    """Each screened effect's signed minimum, as the screen's summary reports it."""
    return {row["effect"]: float(row["criterion"]) for row in summary.get("effects", [])}


def medoid(points: Sequence[PatternPoint], scale: pd.Series) -> PatternPoint:
    """The point whose summed distance to the others, in units of ``scale``, is smallest."""
    z = np.array([[p.values[name] / scale[name] for name in scale.index] for p in points])
    spread = np.sqrt(((z[:, None, :] - z[None, :, :]) ** 2).sum(axis=2)).sum(axis=1)
    return points[int(np.argmin(spread))]


def pattern_point(table: pd.DataFrame, criteria: Mapping[str, float],
                  parameters: Sequence[str]) -> PatternPoint:
    """The medoid of the draws meeting every criterion."""
    return medoid(*kept_draws(table, criteria, parameters))


#: Seeds of the runs that check a candidate point against the survey figures: three times the
#: 12 of ``tests/test_calibrated_defaults.py`` (other seeds, so that test checks the shipped
#: defaults independently), since a candidate is chosen by this check (a point chosen on 12
#: seeds at z 1.66 measured z 2.11 on the test's 12).
FIGURE_SEEDS = range(5000, 5036)


def figures_at(values: Mapping[str, float], targets: TargetSet,
               seeds: Sequence[int] = FIGURE_SEEDS) -> dict[str, float]:
    """Each target's z at ``values``: its statistic's mean over ``seeds``, less the figure.

    In tolerances (``Target.z``), as the bar a shipped fit and its defaults must meet
    (``targets.MET_WITHIN``).
    """
    stats = simulate_draws([Draw(dict(values), seed) for seed in seeds], targets)
    return {t.name: t.z(float(np.mean([s[t.name] for s in stats]))) for t in targets.targets}


def load_screen(folder: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A ``validate-posterior`` folder's draws table and summary."""
    return (pd.read_parquet(folder / DRAWS),
            json.loads((folder / SUMMARY).read_text(encoding="utf-8")))


def screened_this_fit(summary: dict[str, Any], fit_folder: Path) -> bool:
    """Whether the screen drew from the posterior of the fit in ``fit_folder``."""
    screened = Path(summary.get("posterior", "")).resolve()
    own = fit_folder.resolve()
    return screened in (own, own / "posterior.parquet")
