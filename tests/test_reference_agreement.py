"""The per-agent reference (benchmarks/reference) and the vectorised model agree statistically.

``benchmarks.reference.ReferenceModel`` runs the same annual step the per-agent Mesa way
(``shuffle_do`` per phase, AgentSet select/sort in the tournament, remove-and-create on
departure). Both draw from their own generator in a different order, so runs are not
bit-identical; they must agree in distribution.

Design. For each regime in ``REGIMES`` (the defaults, ``comprehensive_package``, which switches
on nearly every lever: fast track, self-recommendation, front-line quota, probation, dual
investigation, commendation, reuse, training, care; and ``strict_accountability``, the harsh
ladder), both models run ``len(SEEDS)`` = 20 seeds x ``N_CADRES`` = 300 cadres x ``STEPS`` = 12
years. Each run is reduced to its mean over years 3..12 of the metrics in ``TOLERANCE``
(the action shares; inaction and its three forms, lying flat, formalism and avoidance; its
split into unwilling / unable / afraid; and promotions): 20 independent values per model and
metric. Per metric, the test fails if

1. **equality** is rejected: Welch's two-sample t-test (unequal variances) of the two sets of
   run means, Holm-Bonferroni over the 10 metrics of a regime at family-wise alpha 0.01 / 3
   (Bonferroni over the 3 regimes: family-wise alpha 0.01 over all 30 tests); or
2. the **equivalence bound** is exceeded: |mean(model) - mean(reference)| > ``TOLERANCE``:
   0.03 for inaction, routine work and the unwilling cause, 0.025 for lying flat, formalism
   and bold work, 0.02 for avoidance, 0.01 for the unable and afraid causes, 0.005 for the
   share promoted per year.

Why both: where run means vary little (promotions; the split and the minor actions under the
two presets), Welch's test detects differences far below the tolerance; where they vary a lot
(the action shares, inaction and the unwilling cause under the defaults: s.d. of a run mean
0.024-0.033 at this size, from the belief dynamics), the bound caps the difference the test
lets through. The bounds are set from those s.d.s: at 0.02 for every share and 0.01 for every
cause (the bounds before inaction was split into forms and causes by taste draws) the
procedure failed spuriously in 26 % of resampled draws under the defaults, almost all on the
unwilling cause (run-mean s.d. 0.029, so the s.d. of a difference of two means of 20 is 0.009),
and 2 % under comprehensive_package (bold and routine work, run-mean s.d. 0.028).

Size: resampling 300 model runs per regime (seeds 20000-20299) into two independent groups of
20 (no pairing, so conservative: for one seed the reference starts from the model's own year-0
population), the whole procedure with these bounds fails spuriously in 0.25 % (defaults),
0.5 % (comprehensive_package) and 0 % (strict_accountability) of 400 draws (measured after the
inaction forms, causes and Gumbel taste choices came in). The seeds are fixed, so the test is
deterministic; these rates matter when either implementation changes its draw order. Power:
``test_the_check_detects_a_small_change`` runs the same procedure model against model: it
passes on independent seeds and fails once the effort cost is 20 % higher (inaction moves by
0.16, the action shares by 0.03-0.15; at these seeds a 10 % change, moving inaction by 0.07 and
bold work by 0.02, is flagged too, by Welch's test on seven of the ten metrics).

Runtime: the reference does ~1 000 (defaults) to ~2 000 (comprehensive_package) agent-steps/s
on an otherwise idle core, most of it in ``decision.account_inaction`` called for each inactive
cadre (seven counterfactual choices, the reason's utility parts and the scipy Beta quantile of
``decision.reference_levels``, recomputed on every call), so a regime takes ~35-75 s alone (one
test per regime, so pytest-xdist can spread them over workers; on a shared 2-core machine with
``-n 2`` they took 54-197 s, the file 4.5 min).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simulation import CadreModel, load_config
from simulation.step import STEP_COLUMNS

try:
    importlib.import_module("benchmarks.reference")
except ModuleNotFoundError:  # plain `pytest` puts tests/ on the path, not the project root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.reference import ReferenceCadre, ReferenceModel, run_reference

REGIMES = ("default", "comprehensive_package", "strict_accountability")
SEEDS = tuple(range(7100, 7120))
N_CADRES = 300
STEPS = 12
FIRST_STEP = 3  # years 1-2 are left out of the run mean: beliefs move fast from their priors
FAMILY_ALPHA = 0.01
TOLERANCE = {
    "inaction": 0.03,
    "lying_flat": 0.025,
    "formalism": 0.025,
    "avoidance": 0.02,
    "routine": 0.03,
    "bold": 0.025,
    "unwilling": 0.03,
    "unable": 0.01,
    "afraid": 0.01,
    "promotions": 0.005,
}


def regime_config(regime: str, overrides: dict | None = None):
    source = None if regime == "default" else regime
    return load_config(source, overrides={"organisation.n_cadres": N_CADRES, **(overrides or {})})


def run_means(model_class, config, seeds) -> pd.DataFrame:
    """One row per seed: the mean over years FIRST_STEP..STEPS of each metric."""
    rows = []
    for seed in seeds:
        table = model_class(config, seed=seed).run(STEPS)
        rows.append(table.loc[table["step"] >= FIRST_STEP, list(TOLERANCE)].mean())
    return pd.DataFrame(rows, index=list(seeds))


def holm(p_values: pd.Series) -> pd.Series:
    """Holm-Bonferroni adjusted p-values (step-down, monotone)."""
    order = p_values.sort_values()
    m = len(order)
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * order.to_numpy()))
    return pd.Series(adjusted, index=order.index).reindex(p_values.index)


def agreement(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Per metric: the two means, their difference, Welch's p, Holm's p and the tolerance."""
    p = pd.Series(
        {m: stats.ttest_ind(a[m], b[m], equal_var=False).pvalue for m in TOLERANCE}
    ).fillna(1.0)  # NaN only if both samples are constant and equal
    table = pd.DataFrame(
        {
            "a": a.mean(),
            "b": b.mean(),
            "diff": a.mean() - b.mean(),
            "tolerance": pd.Series(TOLERANCE),
            "welch_p": p,
            "holm_p": holm(p),
        }
    )
    return table


def failures(table: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Metrics whose equality is rejected or whose difference exceeds the tolerance."""
    return table[(table["holm_p"] < alpha) | (table["diff"].abs() > table["tolerance"])]


@pytest.mark.slow
@pytest.mark.parametrize("regime", REGIMES)
def test_reference_and_model_agree(regime):
    config = regime_config(regime)
    model = run_means(CadreModel, config, SEEDS)
    reference = run_means(ReferenceModel, config, SEEDS)
    table = agreement(model, reference)
    bad = failures(table, FAMILY_ALPHA / len(REGIMES))
    assert bad.empty, f"{regime}: model (a) and reference (b) disagree\n{table.to_string()}"


@pytest.mark.slow
def test_independent_seeds_of_one_model_agree():
    """Model against model: independent seeds pass the agreement check."""
    config = regime_config("default")
    base = run_means(CadreModel, config, SEEDS)
    same = run_means(CadreModel, config, tuple(s + 1000 for s in SEEDS))
    assert failures(agreement(base, same), FAMILY_ALPHA / len(REGIMES)).empty


def test_the_check_detects_a_small_change():
    """Model against model: effort cost 20 % higher fails the agreement check."""
    config = regime_config("default")
    base = run_means(CadreModel, config, SEEDS)
    costly = regime_config("default",
                           {"behaviour.effort_cost": 1.2 * config.behaviour.effort_cost})
    changed = run_means(CadreModel, costly, tuple(s + 1000 for s in SEEDS))
    assert not failures(agreement(base, changed), FAMILY_ALPHA / len(REGIMES)).empty


def test_reference_runs_and_its_split_sums_to_inaction():
    config = load_config(overrides={"organisation.n_cadres": 60, "organisation.unit_size": 10})
    model = ReferenceModel(config, seed=5)
    table = model.run(6)
    assert list(table.columns) == ["step", "regime", *STEP_COLUMNS]
    assert table["step"].tolist() == [1, 2, 3, 4, 5, 6]
    split = table["unwilling"] + table["unable"] + table["afraid"]
    np.testing.assert_allclose(split, table["inaction"], atol=1e-12)
    reasons = table["reason_unwilling"] + table["reason_unable"] + table["reason_afraid"]
    np.testing.assert_allclose(reasons, table["inaction"], atol=1e-12)
    forms = table["lying_flat"] + table["formalism"] + table["avoidance"]
    np.testing.assert_allclose(forms, table["inaction"], atol=1e-12)
    assert (table["avoidance"] <= table["routine"]).all()
    shares = table[["lying_flat", "formalism", "routine", "bold"]].sum(axis=1)
    np.testing.assert_allclose(shares, 1.0)
    # Departures are replaced by new agents in the same posts: the population stays whole.
    assert len(model.agents) == 60
    assert all(isinstance(a, ReferenceCadre) for a in model.agents)
    assert [a.slot for a in model.posts] == list(range(60))
    assert set(model.posts) == set(model.agents)
    assert table["turnover"].sum() > 0
    # A run is a pure function of (config, seed).
    pd.testing.assert_frame_equal(run_reference(config, seed=5, steps=6), table)


def test_reference_starts_from_the_models_population():
    config = load_config(overrides={"organisation.n_cadres": 80})
    reference = ReferenceModel(config, seed=9)
    snapshot = CadreModel(config, seed=9).snapshot()
    for agent in reference.posts[::7]:
        row = snapshot.loc[agent.slot]
        for name in ("ability", "motivation", "rank", "age", "record", "violation_prone"):
            assert getattr(agent, name) == row[name]


def test_reference_switches_regime_like_the_model():
    overrides = ["organisation.n_cadres=60", "switch.step=3", "switch.preset=strict_accountability"]
    config = load_config(None, overrides)
    reference = ReferenceModel(config, seed=2)
    table = reference.run(4)
    expected = CadreModel(config, seed=2).run(4)["regime"]
    assert table["regime"].tolist() == expected.tolist()
    assert table["regime"].iloc[1] != table["regime"].iloc[2]
    assert reference.regime == config.switch.regime
