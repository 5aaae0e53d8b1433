"""``calibrate``: fit the behavioural priors to the targets by ABC-SMC, check and report.

The output folder holds:

- ``manifest.json``: targets, priors, seed, budget, package and code versions, status;
- ``abc.db``: pyABC's SQLite history, one population per finished generation;
- ``evaluations/``: every finished simulation of the sampler (Parquet parts), read back on a
  rerun so that a killed calibration repeats no finished simulation;
- ``posterior.parquet``: the last generation's particles (one column per parameter, ``weight``);
- ``generations.parquet``: tolerance, simulations and particles per generation;
- ``ppc/``: fresh simulations at posterior draws of every target, held-out ones included;
  ``predictive_check.csv`` (a ``fitted`` column) and ``out_of_sample.csv`` (the held-out
  targets' rows, when some are held out);
- ``identification.csv`` (with the effective sample size); ``pairs.png``/``.pdf``;
  ``predictive_check.png``/``.pdf``;
- ``report.md``: effective sample size, which parameters are pinned down, the generations, the
  predictive check and the out-of-sample result.

Rerunning with the same arguments resumes (nothing finished is simulated again); with more
generations it continues the same fit; with other targets, priors, seed or population size it
refuses, so a folder never mixes two calibrations.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import time
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.calibration import report
from experiments.calibration.abc import config_path, make_abc, natural
from experiments.calibration.errors import CalibrationError
from experiments.calibration.priors import PriorSet, load_priors
from experiments.calibration.simulate import Draw, draw_seeds, simulate_draws
from experiments.calibration.store import (
    read_json,
    read_parts,
    write_json,
    write_parquet,
    write_text,
)
from experiments.calibration.targets import TargetSet, load_targets
from experiments.engine.executors import as_executor, local_executor
from experiments.engine.manifest import code_version, package_versions
from simulation.digest import model_digest

MANIFEST = "manifest.json"
#: Packages whose versions go into the manifest.
VERSIONED = ("cadresim", "mesa", "numpy", "pandas", "scipy", "pyabc", "pydantic", "pyarrow")


@dataclass(frozen=True)
class Budget:
    """How much simulation a calibration may spend.

    Attributes:
        population_size: particles per ABC-SMC generation.
        generations: generations in all (a rerun with more continues the fit).
        max_simulations: stop after this many simulations in all (None: no limit).
        ppc_draws: posterior draws simulated afresh for the predictive check.
        min_ess: after ``generations``, add generations one at a time while the last one has
            fewer effective particles than this (None: never).
        max_generations: the most generations ``min_ess`` may lead to (None: ``generations``
            + 4).
    """

    population_size: int = 100
    generations: int = 5
    max_simulations: int | None = None
    ppc_draws: int = 40
    min_ess: float | None = None
    max_generations: int | None = None

    def __post_init__(self) -> None:
        for name in ("population_size", "generations", "ppc_draws"):
            if getattr(self, name) < 1:
                raise CalibrationError(f"budget {name} must be at least 1, got "
                                       f"{getattr(self, name)}")
        if self.min_ess is not None and not 0 < self.min_ess <= self.population_size:
            raise CalibrationError(f"budget min_ess must lie in (0, population_size = "
                                   f"{self.population_size}], got {self.min_ess}")
        if self.max_generations is not None and self.max_generations < self.generations:
            raise CalibrationError(f"budget max_generations ({self.max_generations}) must be at "
                                   f"least generations ({self.generations})")

    @property
    def generation_cap(self) -> int:
        """The most generations the fit may run (``min_ess`` may add some)."""
        if self.min_ess is None:
            return self.generations
        return self.max_generations if self.max_generations is not None else (
            self.generations + 4)


@dataclass
class CalibrationResult:
    """What ``calibrate`` returns; everything in it is also stored in ``out``."""

    out: Path
    targets: TargetSet
    priors: PriorSet
    posterior: pd.DataFrame
    generations: pd.DataFrame
    ppc: pd.DataFrame
    predictive_check: pd.DataFrame
    identification: pd.DataFrame
    simulated: int
    manifest: dict[str, Any] = field(repr=False)

    def draws(self, n: int, seed: int = 0) -> pd.DataFrame:
        """``n`` parameter vectors resampled by weight (one per replicate of a comparison)."""
        return posterior_draws(self.posterior, n, seed)


def posterior_draws(posterior: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """``n`` rows of ``posterior`` drawn with replacement by ``weight``; parameter columns only."""
    w = report.weights_of(posterior)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7]))
    rows = rng.choice(len(posterior), size=n, replace=True, p=w)
    params = [c for c in posterior.columns if c not in ("weight", "generation")]
    return posterior.iloc[rows][params].reset_index(drop=True)


def fingerprint(targets: TargetSet, priors: PriorSet, seed: int, population_size: int,
                held_out: tuple[str, ...] = (), model: str | None = None) -> str:
    """What identifies a calibration: a rerun into the same folder must match it.

    ``model`` names the model simulated (default ``simulation.digest.model_digest``): a fit's
    kept simulations are not continued under another model's code.
    """
    data = {
        "targets": targets.model_dump(mode="json"), "priors": priors.model_dump(mode="json"),
        "seed": seed, "population_size": population_size,
        "model": model or model_digest(),
    }
    if held_out:  # absent when nothing is held out: earlier folders keep their fingerprint
        data["held_out"] = sorted(held_out)
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def _check_folder(out: Path, key: str) -> dict[str, Any]:
    manifest = read_json(out / MANIFEST)
    if manifest is not None and not isinstance(manifest, dict):
        raise CalibrationError(
            f"{out / MANIFEST} does not hold a calibration manifest (a JSON object); choose "
            "another output folder or delete it"
        )
    if manifest is not None and manifest.get("fingerprint") != key:
        raise CalibrationError(
            f"{out} holds another calibration (fingerprint {manifest.get('fingerprint')}, this "
            f"one {key}: targets, priors, seed, population size or the model's code differ); "
            "choose another output folder or delete it"
        )
    return manifest or {}


def _open_history(abc: Any, db: Path, observed: dict[str, float]) -> Any:
    """Continue the history in ``db`` if it holds a run; else start one.

    A broken file from a kill before the first commit is replaced.
    """
    url = f"sqlite:///{db}"
    if db.exists():
        try:
            history = abc.load(url, 1)
            _ = history.max_t
            return history
        except Exception as exc:  # an empty or half-created database: start again
            number = database_fault(exc)
            if number is not None:  # not when the disk or the folder is at fault
                raise OSError(number, os.strerror(number), str(db)) from exc
            db.unlink()
    return abc.new(url, observed)


#: Words of SQLite's errors for faults of the machine, and their error numbers.
_DATABASE_FAULTS = {
    "database or disk is full": errno.ENOSPC,
    "readonly database": errno.EROFS,
    "read-only": errno.EROFS,
    "unable to open database file": errno.EACCES,
    "disk i/o error": errno.EIO,
}


def database_fault(exc: BaseException) -> int | None:
    """The error number of a fault of the machine behind a history database error, else None.

    SQLite (through SQLAlchemy) reports a full disk or a read-only folder in words only.
    """
    text = str(exc).lower()
    for words, number in _DATABASE_FAULTS.items():
        if words in text:
            return number
    return None


def run_abc(targets: TargetSet, priors: PriorSet, out: Path, budget: Budget, seed: int,
            executor: Executor, progress: bool,
            run_timeout: float | None = None) -> tuple[Any, int]:
    """Run (or continue) the ABC-SMC fit in ``out``; the history and the simulations done now."""
    abc = make_abc(targets, priors, budget.population_size, executor, seed, progress=progress,
                   cache_dir=out / "evaluations", run_timeout=run_timeout)
    db = out / "abc.db"
    history = _open_history(abc, db, targets.observed())
    # The history keeps each population's parameters, weights and distances, not its summary
    # statistics: the evaluation cache holds those for every particle, and writing them a
    # second time through pyABC's ORM was half the history's cost. A continued fit reads its
    # tolerance from the stored distances (ResumableQuantileEpsilon).
    history.stores_sum_stats = False
    abc.eps.history = history
    remaining = budget.generations - (history.max_t + 1)
    if remaining > 0:
        limit = budget.max_simulations if budget.max_simulations is not None else np.inf
        try:
            abc.run(max_nr_populations=remaining, max_total_nr_simulations=limit)
        except Exception as exc:  # a full disk under the history: the clean OSError
            number = database_fault(exc) if not isinstance(exc, OSError) else None
            if number is None:
                raise
            raise OSError(number, os.strerror(number), str(db)) from exc
    return history, abc.sampler.simulated


def last_ess(history: Any) -> float:
    """Effective particles of the history's last generation."""
    return report.effective_sample_size(history.get_distribution(m=0, t=history.max_t)[1])


def run_until_ess(targets: TargetSet, priors: PriorSet, out: Path, budget: Budget, seed: int,
                  executor: Executor, progress: bool,
                  run_timeout: float | None = None) -> tuple[Any, int]:
    """:func:`run_abc`, then one more generation at a time while the last has too few ESS.

    Each added generation is a resume with one more generation (the same fit, continued), so
    a rerun of the same command reaches the same posterior.
    """
    history, simulated = run_abc(targets, priors, out, budget, seed, executor, progress,
                                 run_timeout)
    generations = max(budget.generations, history.max_t + 1)
    while (budget.min_ess is not None and generations < budget.generation_cap
           and last_ess(history) < budget.min_ess):
        generations += 1
        history, more = run_abc(targets, priors, out, replace(budget, generations=generations),
                                seed, executor, progress, run_timeout)
        simulated += more
    return history, simulated


def posterior_table(history: Any) -> pd.DataFrame:
    """The last generation's particles: one column per parameter (dotted path), ``weight``.

    Values are on the model's scale (a parameter pyABC sampled on the log scale exponentiated).
    """
    frame, w = history.get_distribution(m=0, t=history.max_t)
    frame = pd.DataFrame({name: [natural(name, v) for v in frame[name]] for name in frame})
    frame = frame.rename(columns=config_path).reset_index(drop=True)
    frame.columns.name = None
    return frame.assign(weight=np.asarray(w, float), generation=int(history.max_t))


def generations_table(history: Any) -> pd.DataFrame:
    """Per generation: tolerance, simulations (samples), particles, acceptance and ESS."""
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0]
    table = pops[["t", "epsilon", "samples", "particles"]].reset_index(drop=True)
    ess = [report.effective_sample_size(history.get_distribution(m=0, t=int(t))[1])
           for t in table["t"]]
    return table.assign(acceptance=table["particles"] / table["samples"], ess=ess)


def predictive_draws(targets: TargetSet, posterior: pd.DataFrame, draws: int, seed: int,
                     folder: Path, executor: Executor, progress: bool,
                     run_timeout: float | None = None) -> pd.DataFrame:
    """Fresh simulations of every target at ``draws`` posterior draws (stored, resumable).

    Each finished batch of draws is a part ``ppc-<first draw>.parquet`` in ``folder`` (a row per
    draw, its position as ``item``); a rerun simulates only the draws not stored yet.
    """
    params = posterior_draws(posterior, draws, seed)
    seeds = draw_seeds([seed, 11], draws)
    folder.mkdir(parents=True, exist_ok=True)
    done = read_parts(folder, "ppc")
    have = set(done["item"].tolist()) if len(done) else set()
    todo = [i for i in range(draws) if i not in have]
    rows = params.to_dict("records")

    def store(finished: list[tuple[int, dict[str, float]]]) -> None:
        items = [todo[j] for j, _ in finished]
        part = pd.DataFrame([stats for _, stats in finished]).assign(item=items)
        write_parquet(part, folder / f"ppc-{min(items):08d}.parquet")

    simulate_draws([Draw(rows[i], seeds[i]) for i in todo], targets, executor, on_draws=store,
                   run_timeout=run_timeout, progress=progress, desc="predictive check")
    table = read_parts(folder, "ppc").sort_values("item", ignore_index=True)
    return pd.concat([params, table.drop(columns="item")], axis=1)


def calibrate(
    targets_path: str | os.PathLike[str] | TargetSet,
    priors_path: str | os.PathLike[str] | PriorSet,
    out: str | os.PathLike[str],
    budget: Budget | None = None,
    *,
    seed: int = 0,
    executor: Executor | None = None,
    workers: int = 2,
    progress: bool = True,
    plots: bool = True,
    run_timeout: float | None = None,
    held_out: tuple[str, ...] | list[str] = (),
    command: str | None = None,
) -> CalibrationResult:
    """Fit the priors' parameters to the targets by ABC-SMC (pyABC), then check and report.

    Held-out targets are not fitted: the predictive draws simulate them too, and the report
    judges them out of sample (``out_of_sample.csv``).

    Args:
        targets_path: a targets YAML file (``configs/targets/``) or a validated TargetSet.
        priors_path: a priors YAML file (``configs/priors/``) or a validated PriorSet.
        out: output folder (created); rerunning into it resumes.
        budget: population size, generations, simulation cap, predictive draws.
        seed: the result is a pure function of the inputs and this seed, whatever the executor.
        executor: any ``concurrent.futures.Executor`` (a Dask ``client.get_executor()`` works);
            default the engine's warm pool of ``workers`` processes, shut down at the end.
        workers: processes of the default pool (1: run in this process).
        progress: show progress bars.
        plots: draw the pair plot and the predictive-check figure.
        run_timeout: seconds a model run may take; a run past it (or one that kills its worker
            on each of its tries) stops the calibration with its error (None: no limit).
        held_out: target names or survey years (``"2018"``) predicted but not fitted.
        command: the command line that ran the fit, for the manifest's provenance.

    Returns:
        The posterior, the checks and the tables, also stored in ``out``.

    Raises:
        CalibrationError: invalid targets or priors, or ``out`` holds another calibration.
    """
    targets = targets_path if isinstance(targets_path, TargetSet) else load_targets(targets_path)
    priors = priors_path if isinstance(priors_path, PriorSet) else load_priors(priors_path)
    budget = budget or Budget()
    out = Path(out)
    try:
        fitted, held = targets.split(tuple(held_out))
    except ValueError as exc:
        raise CalibrationError(str(exc)) from None
    held_names = tuple(t.name for t in held)
    out.mkdir(parents=True, exist_ok=True)
    key = fingerprint(targets, priors, seed, budget.population_size, held_names)
    previous = _check_folder(out, key)
    manifest: dict[str, Any] = {
        "kind": "cadresim-calibration", "format": 1, "fingerprint": key, "seed": seed,
        "held_out": list(held_names), "command": command,
        "budget": budget.__dict__, "targets": targets.model_dump(mode="json"),
        "priors": priors.model_dump(mode="json"), "versions": package_versions(VERSIONED),
        "code_version": code_version(), "method": "ABC-SMC (pyabc), seeded executor sampler",
        "started": previous.get("started") or datetime.now(UTC).isoformat(timespec="seconds"),
        "status": "running",
    }
    write_json(manifest, out / MANIFEST)
    own = executor is None
    executor = local_executor(workers) if own else as_executor(executor)
    started = time.perf_counter()
    try:
        history, simulated = run_until_ess(fitted, priors, out, budget, seed, executor,
                                           progress, run_timeout)
        posterior = posterior_table(history)
        generations = generations_table(history)
        ppc = predictive_draws(targets, posterior, budget.ppc_draws, seed,
                               out / "ppc" / f"t{history.max_t:03d}", executor, progress,
                               run_timeout)
    finally:
        if own:
            executor.shutdown(wait=True, cancel_futures=True)
    check = report.predictive_check(targets, ppc, held_names)
    ident = report.identification(priors, posterior)
    total = int(history.total_nr_simulations)
    manifest |= {
        "status": "done", "generations_done": int(history.max_t + 1), "simulations": total,
        "effective_sample_size": round(report.effective_sample_size(posterior["weight"]), 2),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds_this_session": round(time.perf_counter() - started, 2),
        "simulated_this_session": simulated,
    }
    write_parquet(posterior, out / "posterior.parquet")
    write_parquet(generations, out / "generations.parquet")
    write_parquet(ppc, out / "ppc.parquet")
    write_text(check.to_csv(index=False), out / "predictive_check.csv")
    if held_names:
        write_text(check[~check["fitted"]].to_csv(index=False), out / "out_of_sample.csv")
    write_text(ident.to_csv(index=False), out / "identification.csv")
    meta = {"seed": seed, "population_size": budget.population_size, "simulations": total}
    write_text(report.markdown_report(targets, priors, generations, ident, check, meta),
               out / "report.md")
    if plots:
        report.pair_plot(priors, posterior, out / "pairs")
        report.predictive_plot(targets, ppc, out / "predictive_check", held_names)
    write_json(manifest, out / MANIFEST)
    return CalibrationResult(out, targets, priors, posterior, generations, ppc, check, ident,
                             simulated, manifest)
