"""Results do not depend on the population size, under every preset (docs/ODD.md 7.5.2).

Design. For the status quo and every preset in ``configs/regimes`` (``PRESETS``: 12 regimes when
this was written), ``SMALL_RUNS`` = 48 runs of 1 000 cadres and ``LARGE_RUNS`` = 12 runs of 10 000
cadres, each ``STEPS`` = 20 years, are reduced to their run values of the headline outputs
(``OUTPUTS``, 12: inaction in the mean and in the final year, its three forms and three causes, bold
work, and the default objectives real output, welfare and wrongful sanctions; means over years
``BURN_IN`` + 1 .. 20, as every runner reduces them). Seeds are fixed, and disjoint between sizes
and between regimes.

Two tests of "no difference beyond sampling error", family-wise alpha 0.01 each:

1. **Each regime and output**: Welch's t-test of the 48 against the 12 run values (unequal
   variances, Welch-Satterthwaite degrees of freedom); Bonferroni over the 12 x 12 = 144 tests,
   so a single test fails at p < 0.01 / 144 = 6.9e-5 (|t| above about 4.0 at large degrees of
   freedom: above 3 standard errors as the issue asks, so that 144 tests at once do not fail by
   chance).
2. **Each output, pooled over the regimes**: each regime has its own seeds, so the regimes' tests
   are independent and the sum over the regimes of z^2 (each Welch p-value turned back into a normal
   deviate) is chi-square with one degree of freedom per regime under the null; Bonferroni over the
   12 outputs. A drift of the same sign in most regimes, each too small to fail (1), fails here.

Runs of one seed share random numbers: across sizes, the organisation-wide draws (the policy
reversals); across regimes, nearly all (common random numbers). Shared seeds would pair the sizes
and tie the regimes' tests together (with one set of seeds for every regime, the pooled chi-square
came out far below its null mean of one per regime for every output). Compared at one size (1 000
cadres, seeds 1-48 against 201-248, four regimes), the Welch p-values are as they should be under
the null: the mean of z^2 was 1.02 over 48 tests.

Horizon and sizes. A 20-year run with 5 years of burn-in keeps the early years (where a transient's
dependence on size would show) and costs about 0.04 s of CPU at 1 000 cadres and 0.2 s at 10 000:
the whole test is 50-70 s of CPU (72 s measured on a loaded 2-core machine). A 1 000-cadre run value
varies about 3 times as much as a 10 000-cadre one and costs a quarter, so the standard error of the
difference per CPU second is smallest near 6 small runs per large one (s.d. ratio x square root of
the cost ratio); 4 keeps more large runs for Welch's degrees of freedom.

Power, measured: before the promotion belief was learnt in the unit (docs/ODD.md 7.5.2) it read a
statistic of the cadre's whole rank, whose pool grows with the population. On that code (11 regimes
then) this test failed both ways: per regime, seniority_baseline's real output, lying flat and
inaction (p = 1.3e-6, 2.4e-6 and 1.2e-5, below 0.01 / 132 = 7.6e-5); pooled, inaction (p = 3.4e-8),
bold work, the unwilling cause, real output and lying flat (p up to 3.1e-4, below 0.01 / 12 =
8.3e-4). With the unit-level statistic and the perceived regime the smallest p-value was 0.0046 per
regime (comprehensive_package, final-year inaction) and 0.018 pooled (real output).

The mechanism itself is pinned exactly: the statistic a unit sees comes from its own candidates
only, and is the same in an organisation ten times the size.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from simulation import CadreModel, kernels, list_presets, load_config
from simulation.formulas import promotion_gap
from simulation.kernels import promotion as compiled
from simulation.loading import STATUS_QUO
from simulation.outputs import CAUSES, FORMS, in_group, reduce_run
from simulation.promotion import publish
from simulation.records import Pool

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
#: Seeds of each size: disjoint, and each regime its own (``seeds``).
SMALL_FIRST_SEED, LARGE_FIRST_SEED = 1, 500_001


def seeds(first: int, regime: int, runs: int) -> range:
    """The seeds of the ``regime``-th regime: runs of one seed share random numbers across
    regimes (common random numbers), so regimes with their own seeds are independent."""
    return range(first + 1000 * regime, first + 1000 * regime + runs)


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


def p_values() -> np.ndarray:
    """Welch p-values of every regime (rows, ``PRESETS`` order) and output (columns)."""
    rows = []
    for i, preset in enumerate(PRESETS):
        small = run_values(preset, SMALL, seeds(SMALL_FIRST_SEED, i, SMALL_RUNS))
        large = run_values(preset, LARGE, seeds(LARGE_FIRST_SEED, i, LARGE_RUNS))
        rows.append(welch(small, large)[1])
    return np.array(rows)


def pooled_over_regimes(p: np.ndarray) -> np.ndarray:
    """Per output, the p-value of the sum over regimes of z^2 (chi-square, one df a regime)."""
    z = stats.norm.isf(np.clip(p, 1e-300, 1.0) / 2.0)
    return stats.chi2.sf((z**2).sum(axis=0), df=p.shape[0])


@pytest.mark.slow
def test_results_do_not_depend_on_the_population_size():
    """Both tests of the module docstring, on one set of runs (one test, so that parallel
    workers do not run it twice)."""
    p = p_values()
    per_regime = {f"{PRESETS[i]}/{OUTPUTS[j]}": float(p[i, j])
                  for i, j in zip(*np.nonzero(p < ALPHA / p.size), strict=True)}
    pooled = {name: float(q) for name, q in zip(OUTPUTS, pooled_over_regimes(p), strict=True)
              if q < ALPHA / len(OUTPUTS)}
    assert not per_regime and not pooled, {"per regime": per_regime, "pooled": pooled}


def pool_of(members: np.ndarray) -> Pool:
    """A pool of these candidate slots (``publish`` reads only who they are)."""
    none = np.zeros(members.size)
    return Pool(mask=None, self_recommended=None, members=members, starts=None, record=none,
                score=none, front_line=np.zeros(members.size, dtype=np.bool_))


def test_each_unit_sees_its_own_candidates_whatever_the_population():
    """Units of 20: unit 0 has two top-half candidates (one promoted) and two bottom-half ones
    (none), so 1/2 - 0 from 2; unit 1 has one top (not promoted) and two bottom (one), so
    0 - 1/2 from 1; unit 2 has no candidate, so none. The same organisation repeated ten
    times (ten times the cadres) shows every unit the same statistic."""
    members = np.array([0, 1, 2, 3, 20, 21, 22])
    high = np.array([1, 1, 0, 0, 1, 0, 0], dtype=np.bool_)
    won = np.array([1, 0, 0, 0, 0, 0, 1], dtype=np.bool_)
    unit = np.arange(60) // 20
    counts = publish(pool_of(members), high, won, unit, 3)
    np.testing.assert_array_equal(counts, [[2, 1, 0], [2, 2, 0], [1, 0, 0], [0, 1, 0]])
    stat, size = promotion_gap(counts)
    np.testing.assert_array_equal(stat, [0.5, -0.5, np.nan])
    np.testing.assert_array_equal(size, [2, 1, 0])
    copies = np.concatenate([members + 60 * k for k in range(10)])
    big = promotion_gap(publish(pool_of(copies), np.tile(high, 10), np.tile(won, 10),
                                np.arange(600) // 20, 30))
    np.testing.assert_array_equal(big[0], np.tile(stat, 10))
    np.testing.assert_array_equal(big[1], np.tile(size, 10))
    if kernels.compiled():  # the compiled twin counts the same
        np.testing.assert_array_equal(compiled.publish(pool_of(members), high, won, unit, 3),
                                      counts)
