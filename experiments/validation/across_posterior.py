"""The incentive checks across a posterior: which share of a calibrated posterior meets each.

The slow checks run at one parameter set, the defaults (a posterior's median). Every particle
of the posterior fits the survey figures about as well, so a check that fails at the median may
pass elsewhere in the posterior, or nowhere. Here each check's effect is measured at draws from
the posterior (particles drawn by weight), on common seeds across a check's arms, with the
check's own arms, years and population; the report gives the share of draws whose effect meets
the criterion and which parameters move the effect (docs/validation.md, "Across the posterior").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from experiments.analysis.differences import meets_criterion
from experiments.validation import patterns as pt
from experiments.validation.tools import arm_table_means

Theta = Mapping[str, float]


def _formal(theta: Theta, arm: Mapping[str, Any], seed: int) -> float:
    means = arm_table_means({**theta, **arm}, [seed], {"formal": "formalism"})
    return float(means["formal"][0])


def _formal_change(measurement: Mapping[str, Any]) -> Callable[[Theta, int], float]:
    def measure(theta: Theta, seed: int) -> float:
        return (_formal(theta, {**measurement, pt.WEIGHT: 0.9}, seed)
                - _formal(theta, {**measurement, pt.WEIGHT: 0.1}, seed))
    return measure


def _effort_change(key: str, low: float, high: float) -> Callable[[Theta, int], float]:
    def measure(theta: Theta, seed: int) -> float:
        return (pt.eligible_effort({**theta, key: high}, seed)
                - pt.eligible_effort({**theta, key: low}, seed))
    return measure


def _ceiling_jump(theta: Theta, seed: int) -> float:
    capped = pt.age_run({**theta, "regime.promotion.age_ceiling": pt.CEILING}, seed)[0]
    return capped - pt.age_run(theta, seed)[0]


def _shares(theta: Theta, arm: Mapping[str, Any], seed: int) -> dict[str, float]:
    """The action shares (``patterns.SHARES``) of one run of an arm at a draw and seed.

    Remembered while the worker measures the same draw and seed, so that the effects sharing an
    arm (the tightening's four, the deterrence pair) run it once.
    """
    draw = (tuple(sorted(theta.items())), seed)
    if _SHARES_SEEN.get("draw") != draw:
        _SHARES_SEEN.clear()
        _SHARES_SEEN["draw"] = draw
    key = tuple(sorted(arm.items()))
    if key not in _SHARES_SEEN:
        means = arm_table_means({**theta, **arm}, [seed], pt.SHARES)
        _SHARES_SEEN[key] = {name: float(v[0]) for name, v in means.items()}
    return _SHARES_SEEN[key]


#: The current draw and seed (key "draw"), and each arm's shares measured at them.
_SHARES_SEEN: dict[Any, Any] = {}


def _share_change(share: str, low: Mapping[str, Any], high: Mapping[str, Any]
                  ) -> Callable[[Theta, int], float]:
    def measure(theta: Theta, seed: int) -> float:
        return _shares(theta, high, seed)[share] - _shares(theta, low, seed)[share]
    return measure


def _chilling_rise(theta: Theta, seed: int) -> float:
    harsh = pt.chilling_arm({**theta, **pt.HARSHER}, [seed])["chilled"][0]
    return float(harsh - pt.chilling_arm(theta, [seed])["chilled"][0])


@dataclass(frozen=True)
class Effect:
    """One check's main effect: the change between two of its arms, and its criterion.

    Attributes:
        name: the column the effect is reported in.
        check: the validation check it comes from (docs/validation.md).
        label: what is measured, for tables and figures.
        threshold: the criterion's minimum effect, signed (a fall is negative).
        measure: the effect at parameter values and one seed (the seed shared by both arms).
    """

    name: str
    check: str
    label: str
    threshold: float
    measure: Callable[[Theta, int], float]

    def met(self, effect: np.ndarray | float) -> np.ndarray:
        """Whether an effect meets the criterion (at least as large, in its direction)."""
        return meets_criterion(effect, self.threshold)


#: The slow checks on a response to an incentive, each by its main criterion.
EFFECTS: tuple[Effect, ...] = (
    Effect("formal_rise_poor", "holmstrom_milgrom_promotion",
           "formal share, performance weight 0.1 -> 0.9, poor measurement", 0.05,
           _formal_change(pt.POOR)),
    Effect("formal_fall_good", "holmstrom_milgrom_promotion",
           "formal share, performance weight 0.1 -> 0.9, good measurement", -0.03,
           _formal_change(pt.GOOD)),
    Effect("effort_rise_prize", "lazear_rosen_prize",
           "effort of cadres with a career stake, prize 2 -> 8", 0.03,
           _effort_change("behaviour.promotion_prize", pt.PRIZES[0], pt.PRIZES[-1])),
    Effect("effort_fall_noise", "lazear_rosen_noise",
           "effort of cadres with a career stake, score noise 0.1 -> 2", -0.03,
           _effort_change("regime.promotion.score_noise", pt.NOISES[0], pt.NOISES[-1])),
    Effect("idle_jump_ceiling", "career_concerns_age_ceiling",
           "idle jump at 50, no ceiling -> ceiling at 50", 0.05, _ceiling_jump),
    Effect("chilled_rise", "wang_chilling_effect",
           "share of active cadres chilled, sanctions x 2", 0.01, _chilling_rise),
    Effect("idle_fall_intensified", "tu_gong_accountability_shift",
           "idle share, detection x 4 and sanctions x 2", -0.05,
           _share_change("idle", {}, pt.INTENSIFIED)),
    Effect("routine_rise_intensified", "tu_gong_accountability_shift",
           "routine share, detection x 4 and sanctions x 2", 0.05,
           _share_change("routine", {}, pt.INTENSIFIED)),
    Effect("bold_active_fall_intensified", "tu_gong_accountability_shift",
           "bold share of the active, detection x 4 and sanctions x 2", -0.005,
           _share_change("bold_active", {}, pt.INTENSIFIED)),
    Effect("formal_rise_unexamined", "tu_gong_accountability_shift",
           "formal share where formal work is not examined, the same tightening", 0.03,
           _share_change("formal", pt.NO_FORMAL_CHECK, {**pt.NO_FORMAL_CHECK, **pt.INTENSIFIED})),
    Effect("idle_fall_certainty", "nagin_certainty_vs_severity",
           "idle share, detection doubled", -0.03, _share_change("idle", {}, pt.CERTAINTY)),
    Effect("certainty_over_severity", "nagin_certainty_vs_severity",
           "idle share, sanctions doubled -> detection doubled instead", -0.03,
           _share_change("idle", pt.HARSHER, pt.CERTAINTY)),
)
BY_NAME = {e.name: e for e in EFFECTS}
#: Draws beyond the number of parameters before the drivers' regression is fitted.
MIN_SPARE_DRAWS = 10


def measure_draw(task: tuple[int, Theta, int, tuple[str, ...]]) -> dict[str, float]:
    """Every selected effect at one draw and seed (one row of the table; runs in a worker)."""
    draw, theta, seed, names = task
    row: dict[str, float] = {"draw": draw, "seed": seed, **theta}
    for name in names:
        row[name] = BY_NAME[name].measure(theta, seed)
    return row


def tasks(
    values: np.ndarray, parameters: Sequence[str], particles: Sequence[int], seeds: Sequence[int],
    names: Sequence[str],
) -> list[tuple[int, dict[str, float], int, tuple[str, ...]]]:
    """One task per (draw, seed): draw k runs with the values of ``particles[k]``."""
    return [(k, dict(zip(parameters, values[p].tolist(), strict=True)), s, tuple(names))
            for k, p in enumerate(particles) for s in seeds]


@dataclass(frozen=True)
class Summary:
    """What a screen found: per effect, and for every effect at once."""

    per_effect: pd.DataFrame
    all_met: tuple[int, int, float, float]
    drivers: pd.DataFrame


def summarise(table: pd.DataFrame, parameters: Sequence[str], names: Sequence[str]) -> Summary:
    """Shares of draws meeting each criterion (seeds averaged per draw) and what drives them.

    ``all_met`` is (draws meeting every criterion, draws, and the 95% Clopper-Pearson interval
    of the share). ``drivers`` holds each effect's least-squares slope on each parameter in
    posterior standard deviations (all parameters jointly), with its t statistic: the
    parameters that move an effect within the posterior (empty with fewer draws than the
    parameters plus ``MIN_SPARE_DRAWS``).
    """
    draws = table.groupby("draw")[[*parameters, *names]].mean()
    rows, met_all = [], np.ones(len(draws), dtype=bool)
    for name in names:
        effect = BY_NAME[name]
        met = effect.met(draws[name].to_numpy())
        met_all &= met
        lo, hi = proportion_confint(int(met.sum()), len(met), alpha=0.05, method="beta")
        rows.append({"effect": name, "check": effect.check, "criterion": effect.threshold,
                     "median": float(draws[name].median()),
                     "q05": float(draws[name].quantile(0.05)),
                     "q95": float(draws[name].quantile(0.95)),
                     "share_met": float(met.mean()), "share_low": lo, "share_high": hi})
    k = int(met_all.sum())
    lo, hi = proportion_confint(k, len(draws), alpha=0.05, method="beta")
    return Summary(pd.DataFrame(rows), (k, len(draws), float(lo), float(hi)),
                   _drivers(draws, parameters, names))


def _drivers(draws: pd.DataFrame, parameters: Sequence[str], names: Sequence[str]) -> pd.DataFrame:
    import statsmodels.api as sm

    x = draws[list(parameters)]
    varied = [p for p in parameters if x[p].std() > 0]
    if len(draws) < len(varied) + MIN_SPARE_DRAWS:
        return pd.DataFrame(columns=["effect", "parameter", "slope_per_sd", "t", "r2"])
    z = sm.add_constant((x[varied] - x[varied].mean()) / x[varied].std())
    rows = []
    for name in names:
        fit = sm.OLS(draws[name], z).fit()
        rows += [{"effect": name, "parameter": p, "slope_per_sd": float(fit.params[p]),
                  "t": float(fit.tvalues[p]), "r2": float(fit.rsquared)} for p in varied]
    return pd.DataFrame(rows)
