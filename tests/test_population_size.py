"""Results do not depend on the population size, under every preset (docs/ODD.md 7.5.2).

Design. For the status quo and every preset in ``configs/regimes`` (``PRESETS``, 11 regimes),
``SMALL_RUNS`` = 48 runs of 1 000 cadres and ``LARGE_RUNS`` = 12 runs of 10 000 cadres, each
``STEPS`` = 20 years, are reduced to their run values of the headline outputs (``OUTPUTS``, 12:
inaction in the mean and in the final year, its three forms and three causes, bold work, and
the default objectives real output, welfare and wrongful sanctions; means over years
``BURN_IN`` + 1 .. 20, as every runner reduces them). Seeds are fixed and disjoint.

Two tests of "no difference beyond sampling error", family-wise alpha 0.01 each:

1. **Each regime and output**: Welch's t-test of the 48 against the 12 run values (unequal
   variances, Welch-Satterthwaite degrees of freedom); Bonferroni over the 11 x 12 = 132 tests,
   so a single test fails at p < 0.01 / 132 = 7.6e-5 (|t| above about 4.0 at large degrees of
   freedom, above 3 standard errors as the issue asks, so that 132 tests at once do not fail by
   chance).
2. **Each output, pooled over the regimes**: the regimes' runs are independent, so the sum over
   the 11 regimes of z^2 (each Welch p-value turned back into a normal deviate) is chi-square
   with 11 degrees of freedom under the null; Bonferroni over the 12 outputs. A drift of the
   same sign in most regimes, each too small to fail (1), fails here.

Horizon and sizes. A 20-year run with 5 years of burn-in keeps the first years (where a
transient's dependence on size would show) and costs 0.05 s of CPU at 1 000 cadres and 0.17 s at
10 000 on the development machine: the whole test is about 45 s of CPU (the 1 000-cadre runs
vary about 3 times as much as the 10 000-cadre ones and cost a quarter: 4 small runs per large
one is close to the allocation that minimises the standard error of the difference per CPU
second). Power: the promotion belief once read a statistic of the whole rank, whose size grows
with the population; that made 1 000-cadre runs differ from 10 000-cadre runs by 4-8 standard
errors of 200 against 50 runs (bold work and lying flat under seniority_baseline and
huzhou_breaking_seniority, the afraid cause under the status quo), and this test failed on it
(measured: pooled test on bold work, real output and lying flat; per-regime test under
seniority_baseline).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from simulation import CadreModel, list_presets, load_config
from simulation.loading import STATUS_QUO
from simulation.outputs import CAUSES, FORMS, in_group, reduce_run

PRESETS: tuple[str, ...] = (STATUS_QUO, *sorted(list_presets()))
#: The headline (mean and final year), its forms and causes, bold work, and the objectives a
#: regime is judged on by default (experiments.engine.spec.DEFAULT_OBJECTIVES).
OUTPUTS: tuple[str, ...] = (
    *in_group("headline"), *FORMS, *CAUSES, "bold", "real_output", "welfare",
    "wrongful_sanctions",
)
SMALL, LARGE = 1_000, 10_000
SMALL_RUNS, LARGE_RUNS = 48, 12
STEPS, BURN_IN = 20, 5
#: Family-wise false-failure rate of each of the two tests.
ALPHA = 0.01
#: Seeds: disjoint sets for the two sizes, the same for every regime.
SMALL_SEEDS = range(1, 1 + SMALL_RUNS)
LARGE_SEEDS = range(50_001, 50_001 + LARGE_RUNS)


def run_values(preset: str, n_cadres: int, seeds: range) -> np.ndarray:
    """Each run's values of ``OUTPUTS``: (runs, outputs)."""
    rows = []
    for seed in seeds:
        config = load_config(preset, {"organisation.n_cadres": n_cadres})
        table = CadreModel(config, seed=seed).run(STEPS)
        values = reduce_run(table, burn_in=BURN_IN, names=OUTPUTS)
        rows.append([values[name] for name in OUTPUTS])
    return np.array(rows)


def welch(small: np.ndarray, large: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Welch's t and two-sided p-value of each column (an output constant in both: t 0, p 1)."""
    t, p = stats.ttest_ind(small, large, axis=0, equal_var=False)
    same = (small.std(axis=0) == 0) & (large.std(axis=0) == 0) & (
        small.mean(axis=0) == large.mean(axis=0))
    return np.where(same, 0.0, t), np.where(same, 1.0, p)


@pytest.fixture(scope="module")
def p_values() -> np.ndarray:
    """Welch p-values of every regime (rows, ``PRESETS`` order) and output (columns)."""
    rows = []
    for preset in PRESETS:
        _, p = welch(run_values(preset, SMALL, SMALL_SEEDS), run_values(preset, LARGE, LARGE_SEEDS))
        rows.append(p)
    return np.array(rows)


def differing(p: np.ndarray, threshold: float) -> dict[str, float]:
    """``regime/output`` of every p-value below ``threshold``, with the p-value."""
    return {f"{PRESETS[i]}/{OUTPUTS[j]}": float(p[i, j])
            for i, j in zip(*np.nonzero(p < threshold), strict=True)}


@pytest.mark.slow
def test_no_regime_and_output_differs_between_1000_and_10000_cadres(p_values):
    threshold = ALPHA / p_values.size
    assert not differing(p_values, threshold), differing(p_values, threshold)


@pytest.mark.slow
def test_no_output_drifts_with_the_population_size_across_the_regimes(p_values):
    z = stats.norm.isf(np.clip(p_values, 1e-300, 1.0) / 2.0)
    pooled = (z**2).sum(axis=0)
    p_pooled = stats.chi2.sf(pooled, df=len(PRESETS))
    drifting = {name: float(p) for name, p in zip(OUTPUTS, p_pooled, strict=True)
                if p < ALPHA / len(OUTPUTS)}
    assert not drifting, drifting
