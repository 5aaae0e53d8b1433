"""Differences between two arms with 95% intervals: estimates, not verdicts.

In a simulation the null of "no difference" is known to be false, and a p-value measures mainly
how many replications were run (White et al. 2014, Oikos 123:385). A comparison therefore
reports the difference of means (arm B minus arm A) in the metric's own units, its 95% interval,
a standardised effect size beside it, and where the interval lies relative to the smallest
effect of interest. Rules (one place; docs/results-format.md, "Analysis"):

- **Interval method**, chosen from how the runs were made, never from a normality pretest:

  * *paired*: the arms share random numbers (the manifest's spec has
    ``common_random_numbers: true``) so replicate r of A and replicate r of B form a pair; the
    interval is a one-sample t-interval of the per-replicate differences, on the replicates
    both arms finished;
  * *Welch*: otherwise, the Welch t-interval (unequal variances);
  * *BCa bootstrap*: for outputs the registry flags ``rare`` (rare-event shares whose run values
    pile up near 0, far from normal) when each arm has at least :data:`MIN_BOOTSTRAP` runs:
    ``scipy.stats.bootstrap`` with the BCa method on the mean difference (paired: of the
    per-replicate differences), :data:`RESAMPLES` resamples, a fixed seed. With fewer runs such
    outputs fall back to the t-interval and the method column says so.

- **Effect size**: Hedges' g, the difference over the pooled between-run sd of the two arms
  (with the small-sample correction), for every method. It is standardised by the spread of
  single runs, not by the sd of paired differences, so it does not grow when common random
  numbers shrink that sd.
- **Smallest effect of interest** (SESOI), per metric: the spec's ``smallest_effect`` entry,
  else :data:`DEFAULT_SMALLEST_EFFECT` for the metric's unit (0.01 for shares of cadres and for
  output or utility per cadre); none for other unbounded units. ``relevance`` says where the
  interval lies: ``beyond`` (entirely beyond +-SESOI: a difference that matters), ``within``
  (entirely inside +-SESOI: any difference is negligible), ``inconclusive`` (it straddles a
  bound: more replications are needed).
- **Tests**, only when asked: the p-value of the t-test that matches the interval's design
  (paired or Welch; the bootstrap rows too), adjusted over every tested row with
  ``statsmodels.stats.multitest.multipletests`` (Holm by default, or Benjamini-Hochberg FDR);
  never for outputs no policy can move (``policy=False`` in the registry).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from scipy import stats

from simulation.outputs import OUTPUTS

LEVEL = 0.95
#: Fewest runs per arm for a bootstrap interval (BCa needs a sample to resample).
MIN_BOOTSTRAP = 20
#: Bootstrap resamples, and the seed that keeps the written intervals fixed between calls.
RESAMPLES = 4999
BOOTSTRAP_SEED = 20261202
#: Smallest effect of interest per unit of a metric, when the spec sets none: one percentage
#: point for shares and probabilities (bounded 0-1); a hundredth of a unit of output or utility
#: per cadre (about 2% of the status quo's real output); none for other unbounded units.
DEFAULT_SMALLEST_EFFECT: dict[str, float] = {
    "output units per cadre": 0.01,
    "utility per cadre": 0.01,
    "share": 0.01,
    "share of inaction": 0.02,
    "share of senior positions": 0.01,
    "share of years": 0.01,
    "probability": 0.01,
    "0-1": 0.01,
    "[-1, 1]": 0.02,
}
PAIRED = "paired t"
WELCH = "Welch t"
BOOT_PAIRED = "BCa bootstrap (paired)"
BOOT = "BCa bootstrap"
#: Adjustment methods accepted by ``--adjust`` (statsmodels' names).
ADJUSTMENTS = ("holm", "fdr_bh")


def smallest_effect(metric: str, spec: dict[str, Any] | None = None) -> float:
    """The smallest effect of interest of ``metric``.

    The spec's, else the unit's default (NaN when neither gives one).
    """
    chosen = ((spec or {}).get("smallest_effect") or {}).get(metric)
    if chosen is not None:
        return float(chosen)
    out = OUTPUTS.get(metric)
    return DEFAULT_SMALLEST_EFFECT.get(out.unit, math.nan) if out is not None else math.nan


def is_rare(metric: str) -> bool:
    """Whether the registry flags ``metric`` as a rare-event output (bootstrapped)."""
    out = OUTPUTS.get(metric)
    return bool(out is not None and out.rare)


def is_policy(metric: str) -> bool:
    """Whether a policy lever can move ``metric`` (unknown metrics count as policy outputs)."""
    out = OUTPUTS.get(metric)
    return out is None or out.policy


def hedges_g(a: np.ndarray, b: np.ndarray) -> float:
    """Standardised mean difference (b - a) / pooled sd, with the small-sample correction."""
    na, nb = len(a), len(b)
    if na < 2 or nb < 2:
        return math.nan
    pooled = math.sqrt(((na - 1) * np.var(a, ddof=1) + (nb - 1) * np.var(b, ddof=1))
                       / (na + nb - 2))
    if pooled == 0:
        return math.nan
    correction = 1 - 3 / (4 * (na + nb) - 9)
    return float((np.mean(b) - np.mean(a)) / pooled * correction)


def meets_criterion(effect: np.ndarray | float, threshold: float) -> np.ndarray:
    """Whether an effect meets a signed minimum: at least a positive ``threshold`` (a rise).

    A negative threshold asks for a fall: the effect must be at most it.
    """
    e = np.asarray(effect)
    return e >= threshold if threshold > 0 else e <= threshold


def relevance(low: float, high: float, sesoi: float) -> str:
    """Where the interval [low, high] lies relative to +-sesoi.

    Beyond, within, inconclusive (empty without an interval or a SESOI).
    """
    if not (math.isfinite(low) and math.isfinite(high) and math.isfinite(sesoi)):
        return ""
    if low > sesoi or high < -sesoi:
        return "beyond"
    if -sesoi <= low and high <= sesoi:
        return "within"
    return "inconclusive"


def _t_interval(d: np.ndarray, level: float) -> tuple[float, float]:
    """t-interval of the mean of ``d`` (paired differences)."""
    n = len(d)
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * float(d.std(ddof=1)) / math.sqrt(n)
    mean = float(d.mean())
    return mean - half, mean + half


def _welch_interval(a: np.ndarray, b: np.ndarray, level: float) -> tuple[float, float]:
    """Welch t-interval of mean(b) - mean(a)."""
    va, vb = np.var(a, ddof=1) / len(a), np.var(b, ddof=1) / len(b)
    se = math.sqrt(va + vb)
    diff = float(np.mean(b) - np.mean(a))
    if se == 0:
        return diff, diff
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = float(stats.t.ppf(0.5 + level / 2, df)) * se
    return diff - half, diff + half


def _mean_diff(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(b, axis=axis) - np.mean(a, axis=axis)


def _bootstrap(samples: tuple[np.ndarray, ...], statistic: Any, level: float) -> tuple[float,
                                                                                       float]:
    """BCa bootstrap interval (NaN bounds when the resamples are degenerate)."""
    with warnings.catch_warnings():  # degenerate resamples: scipy warns and returns NaN
        warnings.simplefilter("ignore")
        res = stats.bootstrap(samples, statistic, confidence_level=level, method="BCa",
                              n_resamples=RESAMPLES, vectorized=True,
                              rng=np.random.default_rng(BOOTSTRAP_SEED))
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def difference_interval(a: np.ndarray, b: np.ndarray, paired: bool, bootstrap: bool,
                        level: float = LEVEL) -> tuple[str, float, float]:
    """(method, low, high): the interval of mean(b) - mean(a) by the rules above.

    ``a`` and ``b`` are finite run values; when ``paired`` they are aligned by replicate and of
    equal length.
    """
    if paired:
        d = b - a
        if np.ptp(d) == 0:
            return PAIRED, float(d[0]), float(d[0])
        if bootstrap:
            return (BOOT_PAIRED, *_bootstrap((d,), lambda x, axis=-1: np.mean(x, axis=axis),
                                             level))
        return (PAIRED, *_t_interval(d, level))
    if np.ptp(a) == 0 and np.ptp(b) == 0:
        diff = float(b[0] - a[0])
        return WELCH, diff, diff
    if bootstrap:
        return (BOOT, *_bootstrap((a, b), _mean_diff, level))
    return (WELCH, *_welch_interval(a, b, level))


def compare_arms(a_values: dict[int, float], b_values: dict[int, float], *, paired: bool,
                 metric: str, sesoi: float = math.nan, level: float = LEVEL) -> dict[str, Any]:
    """Arm B minus arm A on one metric: difference, interval, method, effect size, relevance.

    Args:
        a_values: run values of arm A by replicate (NaNs are dropped).
        b_values: the same for arm B.
        paired: the arms share random numbers (pairs on the replicates both finished).
        metric: the output's name (decides the bootstrap rule).
        sesoi: the smallest effect of interest (NaN: none).
        level: the interval's confidence level.
    """
    a_all = {r: v for r, v in a_values.items() if math.isfinite(v)}
    b_all = {r: v for r, v in b_values.items() if math.isfinite(v)}
    if paired:
        common = sorted(set(a_all) & set(b_all))
        a = np.array([a_all[r] for r in common], dtype=float)
        b = np.array([b_all[r] for r in common], dtype=float)
    else:
        a = np.array(list(a_all.values()), dtype=float)
        b = np.array(list(b_all.values()), dtype=float)
    out: dict[str, Any] = {
        "n_a": len(a), "n_b": len(b),
        "mean_a": float(a.mean()) if len(a) else math.nan,
        "mean_b": float(b.mean()) if len(b) else math.nan,
        "method": "none", "diff_ci_low": math.nan, "diff_ci_high": math.nan,
        "effect_size": math.nan, "smallest_effect": sesoi, "relevance": "",
    }
    out["difference"] = out["mean_b"] - out["mean_a"]
    if len(a) < 2 or len(b) < 2:
        out["method"] = "none (fewer than 2 runs" + (" paired)" if paired else ")")
        return out
    bootstrap = is_rare(metric) and min(len(a), len(b)) >= MIN_BOOTSTRAP
    method, low, high = difference_interval(a, b, paired, bootstrap, level)
    if is_rare(metric) and not bootstrap:
        method += f" (bootstrap needs n >= {MIN_BOOTSTRAP})"
    out.update(method=method, diff_ci_low=low, diff_ci_high=high, effect_size=hedges_g(a, b),
               relevance=relevance(low, high, sesoi))
    return out


def test_p_value(a_values: dict[int, float], b_values: dict[int, float], paired: bool) -> float:
    """Two-sided p of the t-test matching the design: paired (on common replicates) or Welch."""
    if paired:
        common = sorted(r for r in set(a_values) & set(b_values)
                        if math.isfinite(a_values[r]) and math.isfinite(b_values[r]))
        a = np.array([a_values[r] for r in common], dtype=float)
        b = np.array([b_values[r] for r in common], dtype=float)
        if len(a) < 2 or np.ptp(b - a) == 0:
            return math.nan
        return float(stats.ttest_rel(b, a).pvalue)
    a = np.array([v for v in a_values.values() if math.isfinite(v)], dtype=float)
    b = np.array([v for v in b_values.values() if math.isfinite(v)], dtype=float)
    if len(a) < 2 or len(b) < 2 or (np.ptp(a) == 0 and np.ptp(b) == 0):
        return math.nan
    return float(stats.ttest_ind(b, a, equal_var=False).pvalue)


def adjust(pvalues: np.ndarray, method: str = "holm") -> np.ndarray:
    """p-values adjusted with statsmodels' ``multipletests``; NaNs stay NaN, outside the family."""
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(pvalues, dtype=float)
    adjusted = np.full_like(p, np.nan)
    finite = np.isfinite(p)
    if finite.any():
        adjusted[finite] = multipletests(p[finite], method=method)[1]
    return adjusted
