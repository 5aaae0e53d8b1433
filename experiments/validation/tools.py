"""Shared machinery of the validation checks: seeded model runs, arm comparisons, statistics.

Conventions (the same as ``tests/test_directions.py``, with more seeds and cadres): a model-level
comparison runs each arm for ``SEEDS`` independent seeds (arm ``k`` of a check uses seeds
``base + 100 k + i``), ``N_CADRES`` cadres for ``STEPS`` years, through the sweep engine
(``run_arm``); a run's outcome is its mean over years ``BURN_IN + 1 .. STEPS`` (the burn-in
convention of ``simulation.outputs``: the first years are a burn-in while beliefs leave their
priors and the seniority-ordered initial hierarchy turns over). Two arms differ "significantly"
when a one-sided Mann-Whitney U test rejects "no difference" at ``ALPHA``, and the gap of arm
means must also reach a stated minimum effect, so that a detectable but negligible shift does
not count.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from experiments.engine.batch import run_arm
from experiments.engine.run import simulate_run
from experiments.validation.progress import run_finished
from simulation import STEP_COLUMNS, CadreModel, ModelConfig, load_config

N_CADRES = 1000
STEPS = 30
BURN_IN = 10  # years 1..BURN_IN are left out of run means
SEEDS = 20
ALPHA = 0.01


#: Parameter values the checks start from instead of the defaults (set by :func:`at`).
_AT: dict[str, Any] = {}


@contextmanager
def at(values: Mapping[str, Any]) -> Iterator[None]:
    """Run the checks at ``values`` (dotted config paths) instead of the defaults.

    Each check's own arms still set what they vary (a check of the prize sets the prize); the
    rest of every run starts from ``values`` (``cadresim validate --set``).
    """
    previous = dict(_AT)
    _AT.clear()
    _AT.update(values)
    try:
        yield
    finally:
        _AT.clear()
        _AT.update(previous)


def config(overrides: Mapping[str, Any] | None = None, n_cadres: int = N_CADRES) -> ModelConfig:
    """The checks' config: ``n_cadres`` cadres and dotted overrides (validated).

    It starts from the defaults, or from :func:`at`'s values while they are set.
    """
    return load_config(overrides={**_AT, "organisation.n_cadres": n_cadres,
                                  **(overrides or {})})


def seeds(base: int, arm: int = 0, count: int = SEEDS) -> list[int]:
    """Seeds of arm ``arm`` of a check whose seeds start at ``base``."""
    return [base + 100 * arm + i for i in range(count)]


def table_mean(table, column: str | Callable) -> float:
    """Mean of a per-step column (or of a function of the table) over the kept years."""
    kept = table[table["step"] > BURN_IN]
    values = column(kept) if callable(column) else kept[column]
    return float(np.mean(values))


def arm_table_means(
    overrides: Mapping[str, Any], seed_list: Sequence[int], columns: Mapping[str, str | Callable]
) -> dict[str, NDArray[np.float64]]:
    """Per-run means of several per-step outputs (or functions of the table), one per seed.

    The runs go through the sweep engine (``run_arm``, results in memory); a function of the
    table is applied to each run's per-step series.
    """
    named = {name: column for name, column in columns.items() if not callable(column)}
    derived = {name: column for name, column in columns.items() if callable(column)}
    arm = run_arm(config(overrides), seed_list, STEPS, BURN_IN,
                  metrics=dict.fromkeys(named.values()), series=STEP_COLUMNS if derived else (),
                  simulate=_announced_run)
    runs = arm.runs_table()
    out = {name: runs[column].to_numpy(np.float64) for name, column in named.items()}
    if derived:
        tables = arm.series_table().pivot(
            index=["run_id", "step"], columns="metric", values="value"
        ).reset_index()
        for name, function in derived.items():
            out[name] = np.array([table_mean(tables[tables["run_id"] == run], function)
                                  for run in runs["run_id"]])
    return {name: out[name] for name in columns}


def arm_paths(overrides: Mapping[str, Any], seed_list: Sequence[int], columns: Sequence[str]
              ) -> dict[str, NDArray[np.float64]]:
    """Each per-step output's path, (seeds, STEPS): year ``y`` in column ``y - 1``.

    The runs go through the sweep engine (``run_arm``, series kept in memory).
    """
    arm = run_arm(config(overrides), seed_list, STEPS, BURN_IN, series=tuple(columns),
                  simulate=_announced_run)
    table = arm.series_table()
    runs = arm.runs_table()["run_id"]
    return {name: table[table["metric"] == name].pivot(index="run_id", columns="step",
                                                       values="value").loc[runs].to_numpy()
            for name in columns}


def _announced_run(model_config: ModelConfig, seed: int, steps: int):
    """One run of an arm, as the sweep engine makes it, announced when it ends (progress)."""
    table = simulate_run(model_config, seed, steps)
    run_finished()
    return table


def greater(high: NDArray, low: NDArray, min_effect: float) -> tuple[bool, float, float]:
    """``high`` exceeds ``low``: (passed, gap of means, one-sided Mann-Whitney p)."""
    p = float(stats.mannwhitneyu(high, low, alternative="greater").pvalue)
    gap = float(np.mean(high) - np.mean(low))
    return (p < ALPHA and gap >= min_effect), gap, p


def fmt(x: float, digits: int = 3, signed: bool = False) -> str:
    """A figure for the report: fixed decimals, no negative zero; ``signed``: + before a gain."""
    text = f"{x:.{digits}f}"
    text = text[1:] if text.startswith("-") and float(text) == 0 else text
    return f"+{text}" if signed and not text.startswith("-") and float(text) != 0 else text


def fmt_p(p: float) -> str:
    """A p-value, to two significant digits (or a bound when tiny)."""
    if p < 1e-6:
        return "p < 1e-6"
    return f"p = {p:.2g}"


def z_within(x: NDArray, groups: NDArray) -> NDArray[np.float64]:
    """z-scores within each group (population s.d.; 0 where a group is constant)."""
    x = np.asarray(x, dtype=np.float64)
    out = np.zeros_like(x)
    for g in np.unique(groups):
        i = groups == g
        sd = x[i].std()
        if sd > 0:
            out[i] = (x[i] - x[i].mean()) / sd
    return out


class LogitConvergenceError(RuntimeError):
    """A fixed-effects logit that did not converge: its slopes would be meaningless."""


def logit_fixed_effects(
    y: NDArray, x: NDArray, groups: NDArray, iterations: int = 100
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Logistic regression of 0/1 ``y`` on columns ``x`` with one intercept per group.

    ``statsmodels`` ``Logit`` (Newton-Raphson on the full likelihood, one dummy per group and no
    common constant); returns the slopes of ``x`` and their standard errors. Groups where ``y``
    does not vary should be dropped first (their intercepts diverge).

    Raises:
        LogitConvergenceError: the fit did not converge within ``iterations`` Newton steps, or
            the data separate perfectly (the message gives statsmodels' diagnostics).
    """
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

    y = np.asarray(y, dtype=np.float64)
    x = np.atleast_2d(np.asarray(x, dtype=np.float64).T).T
    _, index = np.unique(groups, return_inverse=True)
    dummies = np.zeros((y.size, index.max() + 1))
    dummies[np.arange(y.size), index] = 1.0
    design = np.column_stack([x, dummies])
    with warnings.catch_warnings(), np.errstate(over="ignore"):  # exp overflow: p rounds to 0/1
        warnings.simplefilter("error", PerfectSeparationWarning)
        try:
            fit = sm.Logit(y, design).fit(method="newton", maxiter=iterations, disp=False,
                                          warn_convergence=False)
        except PerfectSeparationWarning as exc:
            raise LogitConvergenceError(f"fixed-effects logit: {exc}") from None
    retvals = fit.mle_retvals
    if not retvals.get("converged", False):
        raise LogitConvergenceError(
            f"fixed-effects logit did not converge in {retvals.get('iterations')} Newton "
            f"iterations (log-likelihood {fit.llf:.6g}, {y.size} rows, "
            f"{dummies.shape[1]} groups)"
        )
    k = x.shape[1]
    return np.asarray(fit.params[:k], dtype=float), np.asarray(fit.bse[:k], dtype=float)


def interaction(
    a_high: NDArray, a_low: NDArray, b_high: NDArray, b_low: NDArray
) -> tuple[float, float]:
    """Difference in differences of arm means, with its p-value.

    Difference in differences of arm means, (a_high - a_low) - (b_high - b_low), and its one-sided
    p-value (normal approximation; four independent arms).
    """
    arms = (a_high, a_low, b_high, b_low)
    diff = float((np.mean(a_high) - np.mean(a_low)) - (np.mean(b_high) - np.mean(b_low)))
    se = float(np.sqrt(sum(np.var(a, ddof=1) / a.size for a in arms)))
    p = float(stats.norm.sf(diff / se)) if se > 0 else (0.0 if diff > 0 else 1.0)
    return diff, p


def run_stepwise(
    overrides: Mapping[str, Any],
    seed: int,
    before: Callable[[CadreModel], Any],
    after: Callable[[CadreModel, Any], None],
) -> CadreModel:
    """Run one model year by year, observing each kept year.

    Run one model year by year: ``before(model)`` reads the start-of-year state, and ``after(model,
    state)`` records the year, for the kept years (after the burn-in).
    """
    model = CadreModel(config(overrides), seed=seed)
    for year in range(1, STEPS + 1):
        state = before(model)
        model.step()
        if year > BURN_IN:
            after(model, state)
    run_finished()
    return model
