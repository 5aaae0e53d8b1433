"""Pattern-oriented defaults: the typical posterior draw that also shows the incentive patterns.

A calibration fits the survey figures; every particle of its posterior fits them about as well.
The validation checks on the size of a response to an incentive (a higher performance weight, a
larger prize, an age ceiling, a harsher sanction ladder) are patterns from the literature the fit
does not see. Pattern-oriented modelling keeps the parameter sets that reproduce every pattern at
once (Grimm et al. 2005, docs/calibration.md). ``cadresim validate-posterior`` measures each
pattern at draws from a posterior; :func:`pattern_point` keeps the draws meeting every criterion
and returns the medoid among them (the kept draw nearest all the others, in posterior standard
deviations): a particle that fits the figures and shows the patterns, and typical of those that
do, not an extreme one. ``cadresim ship --patterns`` ships it as the defaults.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.validation import across_posterior as ap

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
    kept: int
    screened: int

    def record(self, screen: str) -> dict[str, Any]:
        """What the shipped posterior's provenance says of the choice."""
        return {"rule": "medoid of the draws meeting every incentive criterion",
                "screen": screen, "kept": self.kept, "screened": self.screened,
                "particle": self.particle, "effects": dict(self.effects)}


def pattern_point(table: pd.DataFrame, parameters: Sequence[str]) -> PatternPoint:
    """The medoid of the draws whose effects (mean over seeds) meet every criterion screened.

    ``table`` is a ``validate-posterior`` draws table: one row per draw and seed, the draw's
    ``particle``, its parameter values and one column per effect.

    Raises:
        NoDrawShowsThePatterns: no draw meets every criterion.
    """
    names = [e.name for e in ap.EFFECTS if e.name in table.columns]
    if not names:
        raise NoDrawShowsThePatterns("the screen measured none of the incentive effects")
    draws = table.groupby("draw")[[*parameters, *names]].mean()
    particles = table.groupby("draw")["particle"].first()
    met = np.logical_and.reduce([ap.BY_NAME[n].met(draws[n].to_numpy()) for n in names])
    if not met.any():
        raise NoDrawShowsThePatterns(
            f"none of the {len(draws)} screened draws meets every criterion "
            f"({', '.join(names)})")
    kept = draws[met]
    scale = draws[list(parameters)].std().replace(0.0, 1.0)
    z = (kept[list(parameters)] / scale).to_numpy()
    spread = np.sqrt(((z[:, None, :] - z[None, :, :]) ** 2).sum(axis=2)).sum(axis=1)
    best = kept.iloc[int(np.argmin(spread))]
    return PatternPoint(values={p: float(best[p]) for p in parameters},
                        particle=int(particles.loc[best.name]),
                        effects={n: float(best[n]) for n in names},
                        kept=int(met.sum()), screened=len(draws))


def load_screen(folder: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A ``validate-posterior`` folder's draws table and summary."""
    return (pd.read_parquet(folder / DRAWS),
            json.loads((folder / SUMMARY).read_text(encoding="utf-8")))


def screened_this_fit(summary: dict[str, Any], fit_folder: Path) -> bool:
    """Whether the screen drew from the posterior of the fit in ``fit_folder``."""
    screened = Path(summary.get("posterior", "")).resolve()
    own = fit_folder.resolve()
    return screened in (own, own / "posterior.parquet")
