"""Results folders built by hand in the format of docs/results-format.md, for the analysis and
plotting tests: synthetic values with known means, or real model runs written the same way."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation import CadreModel, load_config
from simulation.outputs import OUTPUTS_VERSION

Values = Callable[[int, Mapping[str, Any], int, np.random.Generator], dict[str, float]]
Series = Callable[[int, Mapping[str, Any], int, np.random.Generator], dict[str, np.ndarray]]


def run_seed(seed: int, point: int, replicate: int) -> int:
    """The contract's per-run seed (common random numbers: the replicate decides it)."""
    del point  # every point's replicate r shares its seed
    return int(np.random.SeedSequence(seed, spawn_key=(replicate,)).generate_state(1)[0])


def write_results(
    folder: Path,
    points: Sequence[Mapping[str, Any]],
    values: Values,
    replications: int = 5,
    design: Mapping[str, Any] | None = None,
    spec: Mapping[str, Any] | None = None,
    series: Series | None = None,
    failed: set[tuple[int, int]] = frozenset(),
    n_parts: int = 2,
    seed: int = 7,
    outputs_version: int | None = OUTPUTS_VERSION,
) -> Path:
    """Write a results folder: ``points`` are ``{"regime": ..., "parameters": {...}}`` in point
    order; ``values(point, parameters, replicate, rng)`` gives the run's metrics; ``series``
    (optional) gives per-step arrays per metric; ``failed`` runs get status failed."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "runs").mkdir(exist_ok=True)
    rows, series_rows, manifest_runs = [], [], {}
    param_names = list(dict.fromkeys(k for p in points for k in p.get("parameters", {})))
    for point, entry in enumerate(points):
        params = dict(entry.get("parameters", {}))
        for rep in range(replications):
            run_id = f"p{point:05d}-r{rep:04d}"
            s = run_seed(seed, point, rep)
            # The synthetic values get their own noise per (point, replicate), independent
            # across points, as a fake model without common random numbers would.
            rng = np.random.default_rng([seed, point, rep])
            metrics = dict(values(point, params, rep, rng))
            metrics.setdefault("final_inaction", metrics.get("inaction", np.nan))
            bad = (point, rep) in failed
            rows.append({
                "run_id": run_id, "point": point, "replicate": rep, "seed": s,
                "regime": entry["regime"], "status": "failed" if bad else "ok",
                "error": "Traceback: synthetic failure" if bad else "", "seconds": 0.01,
                **{k: params.get(k) for k in param_names},
                **{k: (np.nan if bad else float(v)) for k, v in metrics.items()},
            })
            manifest_runs[run_id] = {"point": point, "replicate": rep, "seed": s,
                                     "config_hash": "x"}
            if series is not None and not bad:
                for metric, arr in series(point, params, rep, rng).items():
                    for step, value in enumerate(arr, start=1):
                        series_rows.append({"run_id": run_id, "point": point, "replicate": rep,
                                            "regime": entry["regime"], "step": step,
                                            "metric": metric, "value": float(value)})
    runs = pd.DataFrame(rows)
    runs = runs.astype({"point": "int64", "replicate": "int64", "seed": "int64"})
    for i, part in enumerate(np.array_split(np.arange(len(runs)), n_parts)):
        runs.iloc[part].to_parquet(folder / "runs" / f"part-0001-{i + 1:06d}.parquet",
                                   index=False)
    if series_rows:
        (folder / "series").mkdir(exist_ok=True)
        table = pd.DataFrame(series_rows).astype({"step": "int64", "point": "int64",
                                                  "replicate": "int64"})
        table.to_parquet(folder / "series" / "part-0001-000001.parquet", index=False)
    full_spec = {"name": folder.name, "description": "synthetic", "replications": replications,
                 "steps": 20, "burn_in": 5, "seed": seed, **(spec or {})}
    if design is not None:
        full_spec.setdefault("design", {k: v for k, v in design.items() if k != "problem"})
    n_failed = len(failed)
    manifest = {
        "spec": full_spec,
        "spec_hash": hashlib.sha256(json.dumps(full_spec, sort_keys=True).encode()).hexdigest(),
        **({"outputs_version": outputs_version} if outputs_version is not None else {}),
        "design": dict(design) if design is not None else None,
        "points": [{"point": i, "regime": p["regime"], "parameters": dict(p.get("parameters", {}))}
                   for i, p in enumerate(points)],
        "runs": manifest_runs,
        "versions": {"python": "3.12"},
        "code_version": None,
        "started": "2026-11-22T00:00:00+00:00",
        "finished": "2026-11-22T00:01:00+00:00",
        "status": {"ok": len(runs) - n_failed, "failed": n_failed, "pending": 0},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return folder


def model_results(
    folder: Path,
    regimes: Sequence[str],
    replications: int = 3,
    n_cadres: int = 120,
    steps: int = 8,
    burn_in: int = 2,
    series_metrics: Sequence[str] = ("inaction", "unwilling", "unable", "afraid"),
    switch: Mapping[str, Any] | None = None,
    seed: int = 11,
) -> Path:
    """Run the real model for each regime and replicate and write the runs as a sweep would."""
    tables: dict[tuple[int, int], pd.DataFrame] = {}
    for point, regime in enumerate(regimes):
        overrides: dict[str, Any] = {"organisation.n_cadres": n_cadres}
        overrides |= {f"switch.{k}": v for k, v in (switch or {}).items()}
        config = load_config(regime, overrides)
        for rep in range(replications):
            model = CadreModel(config, seed=run_seed(seed, point, rep))
            tables[point, rep] = model.run(steps)

    def values(point: int, params: Mapping[str, Any], rep: int,
               rng: np.random.Generator) -> dict[str, float]:
        table = tables[point, rep]
        kept = table.iloc[burn_in:].mean(numeric_only=True)
        out = {k: float(v) for k, v in kept.items() if k != "step"}
        out["final_inaction"] = float(table["inaction"].iloc[-1])
        return out

    def series(point: int, params: Mapping[str, Any], rep: int,
               rng: np.random.Generator) -> dict[str, np.ndarray]:
        table = tables[point, rep]
        return {m: table[m].to_numpy() for m in series_metrics}

    spec = {"regimes": list(regimes), "steps": steps, "burn_in": burn_in,
            "series": list(series_metrics)}
    if switch is not None:
        spec["switch"] = {"step": switch["step"], "preset": switch.get("preset")}
    return write_results(folder, [{"regime": r, "parameters": {}} for r in regimes], values,
                         replications=replications, spec=spec, series=series, seed=seed)
