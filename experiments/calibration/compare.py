"""Regime comparisons that carry the parameter uncertainty of a calibration.

Replicate ``i`` draws one parameter vector from the posterior and one seed; every regime runs
with that same draw and seed (common random numbers), so regime differences within a replicate
are paired. Across replicates the intervals include both the parameter uncertainty and the
run-to-run noise. The robustness summary, in the spirit of robust decision-making, gives for each
regime the share of posterior draws in which it beats the status quo by more than the smallest
effect of interest.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.calibration.errors import CalibrationError
from experiments.calibration.fit import posterior_draws
from experiments.calibration.simulate import default_executor, draw_seeds, simulate_regime
from experiments.calibration.store import read_json, resumable_map, write_json, write_parquet
from experiments.calibration.targets import DEFAULT_REGIME, SimulationSettings, known_regimes

#: Outputs reported per regime: the headline, its forms, its causes and the reasons given.
METRICS: tuple[str, ...] = (
    "inaction", "lying_flat", "formalism", "avoidance", "unwilling", "unable", "afraid",
    "reason_unwilling", "reason_unable", "reason_afraid", "bold", "real_output",
)


@dataclass
class Comparison:
    """Runs, per-regime summary and robustness of a posterior-driven comparison."""

    runs: pd.DataFrame
    summary: pd.DataFrame
    robustness: pd.DataFrame


def _run_pair(item: tuple[int, str, dict[str, float], int, SimulationSettings]) -> dict[str, Any]:
    replicate, regime, params, seed, settings = item
    table = simulate_regime(regime, params, settings, seed)
    kept = table[table["step"] > settings.burn_in]
    return {"replicate": replicate, "regime": regime, "seed": seed,
            **{m: float(kept[m].mean()) for m in METRICS}}


def replicate_parameters(posterior: pd.DataFrame | None, draws: int, seed: int) -> list[dict]:
    """One parameter vector per replicate: posterior draws by weight, or {} (the defaults)."""
    if posterior is None:
        return [{} for _ in range(draws)]
    return posterior_draws(posterior, draws, seed).to_dict("records")


def summarise(runs: pd.DataFrame, metrics: Sequence[str] = METRICS) -> pd.DataFrame:
    """Per regime and metric: mean, median and 90% interval across replicates."""
    long = runs.melt(id_vars=["replicate", "regime"], value_vars=list(metrics), var_name="metric")
    grouped = long.groupby(["regime", "metric"], sort=False)["value"]
    out = grouped.agg(mean="mean", median="median",
                      low=lambda v: v.quantile(0.05), high=lambda v: v.quantile(0.95))
    return out.reset_index()


def robustness(runs: pd.DataFrame, baseline: str = DEFAULT_REGIME, metric: str = "inaction",
               smallest_effect: float = 0.01) -> pd.DataFrame:
    """For each regime, paired differences from the baseline across posterior draws.

    ``improvement = baseline - regime`` (lower inaction is better), per replicate. Columns: the
    median improvement and its 90% interval, ``share_better`` (improvement > smallest_effect),
    ``share_worse`` (< -smallest_effect), ``share_best`` (lowest of all regimes in that draw)
    and a verdict: ``robustly better``/``robustly worse`` when that share is at least 0.9.
    """
    wide = runs.pivot(index="replicate", columns="regime", values=metric)
    if baseline not in wide:
        raise CalibrationError(f"baseline {baseline!r} is not among the compared regimes")
    best = wide.idxmin(axis=1)
    rows = []
    for regime in wide.columns:
        gain = (wide[baseline] - wide[regime]).to_numpy(float)
        better = float(np.mean(gain > smallest_effect))
        worse = float(np.mean(gain < -smallest_effect))
        verdict = ("baseline" if regime == baseline else "robustly better" if better >= 0.9
                   else "robustly worse" if worse >= 0.9 else "depends on the parameters")
        rows.append({
            "regime": regime, "metric": metric, "median_improvement": float(np.median(gain)),
            "improvement_low": float(np.quantile(gain, 0.05)),
            "improvement_high": float(np.quantile(gain, 0.95)),
            "share_better": better, "share_worse": worse,
            "share_best": float(np.mean(best == regime)), "verdict": verdict,
        })
    table = pd.DataFrame(rows)
    return table.sort_values("median_improvement", ascending=False, ignore_index=True)


def _identity(posterior: pd.DataFrame | None, regimes: Sequence[str], draws: int, seed: int,
              settings: SimulationSettings) -> str:
    h = hashlib.sha256()
    if posterior is not None:
        h.update(pd.util.hash_pandas_object(posterior, index=False).to_numpy().tobytes())
    h.update(repr((list(regimes), draws, seed, settings.model_dump())).encode())
    return h.hexdigest()[:16]


def compare_regimes(
    posterior: pd.DataFrame | None,
    regimes: Sequence[str],
    out: str | os.PathLike[str] | None = None,
    *,
    draws: int = 20,
    settings: SimulationSettings | None = None,
    seed: int = 0,
    baseline: str = DEFAULT_REGIME,
    smallest_effect: float = 0.01,
    metric: str = "inaction",
    executor: Executor | None = None,
    workers: int = 2,
    progress: bool = True,
) -> Comparison:
    """Run every regime at ``draws`` posterior draws with common random numbers; summarise.

    Args:
        posterior: a posterior table (``posterior.parquet``: parameter columns and ``weight``),
            or None for an uncalibrated comparison at the defaults (seeds vary only).
        regimes: presets (or ``default``) to compare; the baseline is added if missing.
        out: folder for the runs (resumable: a rerun runs only what is missing) and tables.
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
    params = replicate_parameters(posterior, draws, seed)
    seeds = draw_seeds([seed, 13], draws)
    items = [(i, r, params[i], seeds[i], settings) for i in range(draws) for r in regimes]
    own = executor is None
    executor = default_executor(workers) if own else executor
    try:
        if out is None:
            from experiments.calibration.simulate import map_ordered

            rows = map_ordered(_run_pair, items, executor, desc="regimes", progress=progress)
            runs = pd.DataFrame(rows)
        else:
            out = Path(out)
            key = _identity(posterior, regimes, draws, seed, settings)
            manifest = read_json(out / "manifest.json")
            if manifest is not None and manifest.get("identity") != key:
                raise CalibrationError(f"{out} holds another comparison; choose another folder")
            out.mkdir(parents=True, exist_ok=True)
            write_json({"kind": "cadresim-calibrated-comparison", "identity": key,
                        "regimes": regimes, "draws": draws, "seed": seed,
                        "settings": settings.model_dump(), "baseline": baseline,
                        "smallest_effect": smallest_effect, "metric": metric,
                        "calibrated": posterior is not None}, out / "manifest.json")
            runs = resumable_map(_run_pair, items, out / "parts", "runs", executor,
                                 desc="regimes", progress=progress).drop(columns="item")
    finally:
        if own:
            executor.shutdown(wait=True, cancel_futures=True)
    params_table = pd.DataFrame(params).add_prefix("param:")
    runs = runs.merge(params_table.assign(replicate=range(draws)), on="replicate", how="left")
    result = Comparison(runs, summarise(runs), robustness(runs, baseline, metric,
                                                          smallest_effect))
    if out is not None:
        write_parquet(result.runs, Path(out) / "runs.parquet")
        write_parquet(result.summary, Path(out) / "summary.parquet")
        write_parquet(result.robustness, Path(out) / "robustness.parquet")
    return result
