"""Regime comparisons that carry the parameter uncertainty of a calibration.

A comparison is a sweep (``experiments.engine``) whose spec draws the behavioural parameters from
the posterior (the spec's ``posterior`` field, ``experiments.engine.posterior``): replicate ``i``
of every regime runs with the same posterior particle and the same seed (common random numbers),
so regime differences within a replicate are paired. Across replicates the intervals include
both the parameter uncertainty and the run-to-run noise. The robustness summary, in the spirit of
robust decision-making, gives for each regime the share of posterior draws in which it beats the
status quo by more than the smallest effect of interest.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from experiments.analysis.results import load_results
from experiments.analysis.robustness import robustness
from experiments.calibration.errors import CalibrationError
from experiments.calibration.store import write_parquet
from experiments.calibration.targets import SimulationSettings, known_regimes
from experiments.engine.executors import as_executor, local_executor
from experiments.engine.posterior import load_posterior
from experiments.engine.spec import Spec, parse_spec
from experiments.engine.sweep import run_sweep
from simulation.loading import STATUS_QUO
from simulation.outputs import CAUSES, FORMS, REASONS, in_group

#: Outputs reported per regime: the headline, its forms, its causes and the reasons given.
METRICS: tuple[str, ...] = (
    *in_group("headline", per_step=True), *FORMS, *CAUSES, *REASONS, "bold", "real_output",
)
#: Prefix of the runs table's columns holding a run's drawn parameter values.
PARAM = "param:"


@dataclass
class Comparison:
    """Runs, per-regime summary and robustness of a posterior-driven comparison."""

    runs: pd.DataFrame
    summary: pd.DataFrame
    robustness: pd.DataFrame


def comparison_spec(
    posterior: str | os.PathLike[str] | None,
    regimes: Sequence[str],
    out: str | os.PathLike[str],
    *,
    draws: int,
    settings: SimulationSettings,
    seed: int,
    metric: str = "inaction",
    smallest_effect: float = 0.01,
) -> Spec:
    """The sweep spec of a comparison: each regime at ``draws`` replicates, one particle each.

    The same spec as a file in ``configs/experiments/`` runs with ``cadresim sweep``. Runs
    simulate ``settings.n_cadres`` cadres for ``settings.steps`` years, the first
    ``settings.burn_in`` left out; one seed per draw (``settings.replications``, the seeds a
    calibration averages per draw, does not apply).
    """
    data = {
        "name": "calibrated_comparison" if posterior is not None else "uncalibrated_comparison",
        "description": "Regimes compared under the posterior of a calibration, one draw per "
                       "replicate" if posterior is not None else "Regimes compared at the "
                       "defaults",
        "regimes": list(regimes),
        "set": {"organisation.n_cadres": settings.n_cadres},
        "steps": settings.steps,
        "burn_in": settings.burn_in,
        "replications": draws,
        "metrics": list(METRICS),
        "seed": seed,
        "smallest_effect": {metric: smallest_effect},
        "output": str(out),
    }
    if posterior is not None:
        data["posterior"] = str(posterior)
    return parse_spec(data, origin="compare_regimes")


@contextlib.contextmanager
def _results_folder(out: str | os.PathLike[str] | None) -> Iterator[Path]:
    """``out`` (created), or a temporary folder removed afterwards."""
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        yield Path(out)
        return
    with tempfile.TemporaryDirectory(prefix="comparison-") as folder:
        yield Path(folder)


def drawn_values(posterior: str | os.PathLike[str], particles: pd.Series) -> pd.DataFrame:
    """Each run's drawn parameter values (``param:<path>`` columns), from its particle."""
    sample = load_posterior(str(posterior))
    rows = [sample.draw(int(k)) for k in particles]
    return pd.DataFrame(rows, index=particles.index).add_prefix(PARAM)


def summarise(runs: pd.DataFrame, metrics: Sequence[str] = METRICS) -> pd.DataFrame:
    """Per regime and metric: mean, median and 95% interval across replicates."""
    long = runs.melt(id_vars=["replicate", "regime"], value_vars=list(metrics), var_name="metric")
    grouped = long.groupby(["regime", "metric"], sort=False)["value"]
    out = grouped.agg(mean="mean", median="median",
                      low=lambda v: v.quantile(0.025), high=lambda v: v.quantile(0.975))
    return out.reset_index()


def compare_regimes(
    posterior: str | os.PathLike[str] | None,
    regimes: Sequence[str],
    out: str | os.PathLike[str] | None = None,
    *,
    draws: int = 20,
    settings: SimulationSettings | None = None,
    seed: int = 0,
    baseline: str = STATUS_QUO,
    smallest_effect: float = 0.01,
    metric: str = "inaction",
    executor: Executor | None = None,
    workers: int = 2,
    progress: bool = True,
) -> Comparison:
    """Run every regime at ``draws`` posterior draws with common random numbers; summarise.

    The runs are a sweep of :func:`comparison_spec` into ``out``: a results folder that
    ``cadresim analyze`` reads too, with ``analysis/summary.parquet`` and
    ``analysis/robustness.parquet`` beside it.

    Args:
        posterior: a calibration folder (its ``posterior.parquet``) or a Parquet file of
            particles (parameter columns, ``weight``), or None for an uncalibrated comparison
            at the defaults (seeds vary only).
        regimes: presets (or ``default``) to compare; the baseline is added if missing.
        out: the results folder (resumable: a rerun runs only what is missing; one that holds
            another comparison is refused), or None for a temporary one.
        draws: replicates, one posterior draw and one seed each.
        settings: population size, years and burn-in of each run.
        seed: the comparison is a pure function of its inputs and this seed.
        baseline: the status quo the robustness summary compares with.
        smallest_effect: smallest improvement in ``metric`` worth having (share of cadres).
        metric: the output ranked (lower is better).
        executor: any ``concurrent.futures.Executor``; default a process pool of ``workers``.
        workers: processes of the default pool (1: run here).
        progress: show a progress bar.
    """
    settings = settings or SimulationSettings()
    regimes = list(dict.fromkeys([baseline, *regimes]))
    unknown = [r for r in regimes if r not in known_regimes()]
    if unknown:
        raise CalibrationError(f"unknown regimes {unknown}; allowed: {', '.join(known_regimes())}")
    own = executor is None
    executor = local_executor(workers) if own else as_executor(executor)
    try:
        with _results_folder(out) as folder:
            spec = comparison_spec(posterior, regimes, folder, draws=draws, settings=settings,
                                   seed=seed, metric=metric, smallest_effect=smallest_effect)
            report = run_sweep(spec, executor, progress=progress)
            if report.failed or report.pending:
                raise CalibrationError(f"{report.failed} of {report.total} comparison runs "
                                       f"failed; see the error column of {folder}/runs")
            runs = load_results(folder).runs
    finally:
        if own:
            executor.shutdown(wait=True, cancel_futures=True)
    kept = ["replicate", "regime", "seed", *(["particle"] if posterior is not None else []),
            *METRICS]
    runs = runs[kept]
    if posterior is not None:
        runs = runs.join(drawn_values(posterior, runs["particle"]))
    result = Comparison(runs, summarise(runs), robustness(runs, baseline, metric,
                                                          smallest_effect))
    if out is not None:
        analysis = Path(out) / "analysis"
        write_parquet(result.summary, analysis / "summary.parquet")
        write_parquet(result.robustness, analysis / "robustness.parquet")
    return result
