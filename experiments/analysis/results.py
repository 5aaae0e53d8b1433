"""Reading a results folder (docs/results-format.md): the manifest, the runs and the series.

Analysis and plotting read only this, never the model. A folder that is missing or is not a
results folder is a :class:`simulation.ConfigError` with a message that says what was expected.

Decisions where the contract leaves room:

- Part files are read in name order (``part-SSSS-CCCCCC``: session, then chunk, so write
  order; modification times are not trusted, copies change them). Should a ``run_id`` occur
  more than once, the row read last is kept, and only then are failed runs dropped. Series
  rows are de-duplicated the same way on (run_id, step, metric), and kept only for kept runs.
- Points come from ``manifest["points"]`` (so points without a finished run are still known);
  when the manifest has none, from the runs table.
- The design kind is ``manifest["design"]["kind"]`` (else the spec's); ``None`` without a design.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from pyarrow import ArrowException

from experiments.engine.spec import recorded_spec_hashes
from experiments.engine.storage import (
    MANIFEST,
    RUN_COLUMNS,
    RUNS,
    SERIES,
    SERIES_COLUMNS,
    part_files,
    part_spec_hash,
    read_manifest,
)
from simulation import ConfigError
from simulation.loading import clip
from simulation.outputs import OUTPUTS_HISTORY, OUTPUTS_VERSION, REPORT_ORDER

#: Designs whose points are samples of a space rather than chosen settings.
SAMPLED_DESIGNS = frozenset({"lhs", "sobol", "morris"})
#: Metric order for tables: the registry's report order (inaction and its causes first).
KNOWN_METRICS: tuple[str, ...] = REPORT_ORDER
EXPECTED = "a folder written by `cadresim sweep` with manifest.json and runs/part-*.parquet"


@dataclass
class Results:
    """A loaded results folder.

    Attributes:
        path: the folder.
        manifest: manifest.json as a dict.
        runs: one row per run (ok runs only unless loaded with ``include_failed``).
        series: long per-step table of the kept runs (empty if the sweep kept no series).
        points: one row per design point: ``point``, ``regime`` and one column per parameter.
        parameters: the design's parameter paths, in design order.
        metrics: the kept metrics present in ``runs``, inaction first.
        n_failed: failed runs (after de-duplication).
    """

    path: Path
    manifest: dict[str, Any]
    runs: pd.DataFrame
    series: pd.DataFrame
    points: pd.DataFrame
    parameters: list[str]
    metrics: list[str]
    n_failed: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def outputs_version(self) -> int:
        """What the outputs meant when the folder was written (``OUTPUTS_VERSION`` then)."""
        return outputs_version(self.manifest)

    @property
    def spec(self) -> dict[str, Any]:
        """The experiment spec as recorded in the manifest."""
        spec = self.manifest.get("spec")
        return spec if isinstance(spec, dict) else {}

    @property
    def design(self) -> dict[str, Any]:
        """The manifest's design entry (empty without a design)."""
        design = self.manifest.get("design") or self.spec.get("design") or {}
        return design if isinstance(design, dict) else {}

    @property
    def design_kind(self) -> str | None:
        """``grid``, ``lhs``, ``sobol``, ``morris``, ``points`` or None."""
        kind = self.design.get("kind")
        return str(kind) if kind else None

    @property
    def regimes(self) -> list[str]:
        """Regimes in the order of their first point (spec order)."""
        return list(dict.fromkeys(self.points.sort_values("point")["regime"]))

    @property
    def name(self) -> str:
        """The experiment's name (else the folder name)."""
        return str(self.spec.get("name") or self.path.name)

    @property
    def switch_step(self) -> int | None:
        """The first step under the switched-to regime, if the spec has a switch."""
        switch = self.spec.get("switch")
        if isinstance(switch, dict) and switch.get("step") is not None:
            return int(switch["step"])
        return None

    @property
    def switch_label(self) -> str | None:
        """What the spec switches to (a preset name), if anything."""
        switch = self.spec.get("switch")
        if isinstance(switch, dict):
            return switch.get("preset") or switch.get("label") or None
        return None

    @property
    def burn_in(self) -> int:
        """Steps left out of the summary means."""
        return int(self.spec.get("burn_in") or 0)

    def varying_parameters(self) -> list[str]:
        """Parameters that take more than one value across the points."""
        return [p for p in self.parameters if self.points[p].nunique(dropna=True) > 1]


def _fail(path: Path, problem: str, hint: bool = True) -> ConfigError:
    tail = f"; expected {EXPECTED}" if hint else ""
    return ConfigError(f"results folder {str(path)!r}: {problem}{tail}")


#: What each known column of a part must hold; a part that stores one otherwise (e.g. ``point``
#: as text) is damaged and is refused, naming it, rather than misread.
INTEGER_COLUMNS = ("point", "replicate", "step")
NUMBER_COLUMNS = ("value", *KNOWN_METRICS)


def _column_problem(frame: pd.DataFrame) -> str | None:
    """Why a part's columns cannot be read as the contract says, or None."""
    for name in INTEGER_COLUMNS:
        if name in frame and not pd.api.types.is_integer_dtype(frame[name]):
            return f"its column {name!r} holds {frame[name].dtype} values, not whole numbers"
    for name in NUMBER_COLUMNS:
        if name in frame and (not pd.api.types.is_numeric_dtype(frame[name])
                              or pd.api.types.is_bool_dtype(frame[name])):
            return f"its column {name!r} holds {frame[name].dtype} values, not numbers"
    return None


def _read_parts(root: Path, files: list[Path], spec_hashes: set[str]) -> pd.DataFrame:
    """The parts in name order, each checked: readable, of this spec, columns of their kind."""
    frames = []
    repair = ("rerun `cadresim sweep` on its spec to move damaged parts aside and rerun their "
              "runs")
    for order, part in enumerate(files):
        try:
            found = part_spec_hash(part)
            frame = pd.read_parquet(part)
        except (OSError, ValueError, TypeError, NotImplementedError, ArrowException) as exc:
            raise _fail(
                root, f"cannot read {part.relative_to(root)} ({clip(str(exc))}); {repair}",
                hint=False,
            ) from None
        if found is not None and found not in spec_hashes:
            raise _fail(root, f"{part.relative_to(root)} was written by another spec than "
                        f"the one in {MANIFEST} (their spec hashes differ); the folder mixes "
                        "two experiments", hint=False)
        if (problem := _column_problem(frame)) is not None:
            raise _fail(root, f"{part.relative_to(root)} is damaged: {problem}; move it away, "
                        f"or {repair}", hint=False)
        frames.append(frame.assign(_order=order))
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def _whole(value: Any, least: int) -> bool:
    """Whether ``value`` is a whole number (not a bool, not text) of at least ``least``."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def _manifest_problem(manifest: dict[str, Any]) -> str | None:
    """Why the fields analysis reads from a manifest cannot be used, or None."""
    spec = manifest.get("spec", {})
    if not isinstance(spec, dict):
        return f"its spec is {type(spec).__name__}, not a mapping"
    if (problem := _spec_problem(spec)) is not None:
        return problem
    for key, kind in (("design", dict), ("points", list)):
        if manifest.get(key) is not None and not isinstance(manifest[key], kind):
            return f"its {key} is {type(manifest[key]).__name__}, not a {kind.__name__}"
    for entry in manifest.get("points") or []:
        if not isinstance(entry, dict) or not _whole(entry.get("point"), 0) or not isinstance(
                entry.get("parameters", {}), dict):
            return f"its points hold {clip(repr(entry))}, not {{point, regime, parameters}}"
    return None


def _spec_problem(spec: dict[str, Any]) -> str | None:
    """Why the spec fields analysis reads (burn_in, steps, switch, smallest_effect) are unusable."""
    if spec.get("burn_in") is not None and not _whole(spec["burn_in"], 0):
        return f"its spec's burn_in is {spec['burn_in']!r}, not a whole number >= 0"
    if spec.get("steps") is not None and not _whole(spec["steps"], 1):
        return f"its spec's steps is {spec['steps']!r}, not a whole number >= 1"
    switch = spec.get("switch")
    if switch is not None and not isinstance(switch, dict):
        return f"its spec's switch is {type(switch).__name__}, not a mapping"
    if isinstance(switch, dict) and switch.get("step") is not None and \
            not _whole(switch["step"], 1):
        return f"its spec's switch.step is {switch['step']!r}, not a whole number >= 1"
    effects = spec.get("smallest_effect")
    if effects is not None and (not isinstance(effects, dict) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in effects.values())):
        return "its spec's smallest_effect is not a mapping of metrics to numbers"
    return None


def _manifest(path: Path) -> dict[str, Any]:
    """manifest.json of a results folder, or a ConfigError naming what is wrong."""
    if not str(path):
        raise _fail(path, "is an empty path")
    try:
        exists, is_dir = path.exists(), path.is_dir()
    except (OSError, ValueError) as exc:  # a name too long, a NUL, a folder not searchable
        raise _fail(path, f"cannot be read ({getattr(exc, 'strerror', None) or exc})",
                    hint=False) from None
    if not exists:
        raise _fail(path, "does not exist")
    if not is_dir:
        raise _fail(path, "is not a folder")
    manifest = read_manifest(path)
    if manifest is None:
        raise _fail(path, "has no manifest.json, so it is not a results folder")
    if (problem := _manifest_problem(manifest)) is not None:
        raise _fail(path, f"{MANIFEST} is damaged: {problem}", hint=False)
    return manifest


def _points_table(manifest: dict[str, Any], runs: pd.DataFrame,
                  parameters: list[str]) -> pd.DataFrame:
    rows = []
    for entry in manifest.get("points") or []:
        if isinstance(entry, dict) and "point" in entry:
            params = entry.get("parameters") or {}
            rows.append({"point": int(entry["point"]), "regime": str(entry.get("regime", "")),
                         **{p: params.get(p) for p in parameters}})
    if rows:
        table = pd.DataFrame(rows)
    else:
        present = [p for p in parameters if p in runs]
        table = runs.groupby("point", as_index=False)[["regime", *present]].first()
    table = table.drop_duplicates("point").sort_values("point").reset_index(drop=True)
    return table[["point", "regime", *[p for p in parameters if p in table]]]


def _parameter_paths(manifest: dict[str, Any], columns: list[str]) -> list[str]:
    """Design parameters: the design's own list, else dotted columns of the runs table."""
    design = manifest.get("design") or (manifest.get("spec") or {}).get("design") or {}
    names: list[str] = []
    if isinstance(design, dict):
        params = design.get("parameters")
        if isinstance(params, dict):
            names = list(params)
        elif isinstance(design.get("problem"), dict):
            names = list(design["problem"].get("names") or [])
    if not names:
        for entry in manifest.get("points") or []:
            if isinstance(entry, dict):
                for key in entry.get("parameters") or {}:
                    if key not in names:
                        names.append(key)
    if not names:
        names = [c for c in columns if "." in c]
    return names


def load_results(path: str | os.PathLike[str], include_failed: bool = False) -> Results:
    """Load a results folder; ``include_failed`` keeps failed runs in ``runs``.

    A damaged folder is a ConfigError saying what is wrong, never a misreading: parts of
    another spec are refused, and data of unexpected types is reported as damage.
    """
    try:
        return _load_results(Path(path), include_failed)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OSError,
            ArrowException) as exc:
        if isinstance(exc, ConfigError):
            raise
        raise _fail(Path(path), f"is damaged ({type(exc).__name__}: {clip(str(exc))})",
                    hint=False) from None


def _warn_if_older(root: Path, manifest: dict[str, Any], runs: pd.DataFrame) -> None:
    """Warn when a folder was written under an older meaning of the outputs.

    Its columns keep the names they had, so reading them as today's would silently change
    their meaning; the warning says what each version in between changed
    (``simulation.outputs.OUTPUTS_HISTORY``, docs/results-format.md).
    """
    version = outputs_version(manifest)
    if "inaction" in runs and version < OUTPUTS_VERSION:
        changes = "; ".join(f"before version {v + 1}, {OUTPUTS_HISTORY[v]}"
                            for v in range(version, OUTPUTS_VERSION) if v in OUTPUTS_HISTORY)
        warnings.warn(
            f"{root}: written with outputs version {version}, not today's {OUTPUTS_VERSION}: "
            f"{changes}",
            UserWarning, stacklevel=3,
        )


def outputs_version(manifest: dict[str, Any]) -> int:
    """The outputs version a results folder was written with (1 before it was recorded)."""
    version = manifest.get("outputs_version", 1)
    return version if isinstance(version, int) and not isinstance(version, bool) else 1


def _load_results(root: Path, include_failed: bool) -> Results:
    manifest = _manifest(root)
    if not (root / RUNS).is_dir():
        raise _fail(root, "has no runs/ folder")
    files = part_files(root, RUNS)
    if not files:
        raise _fail(root, "has no finished runs yet (runs/ holds no part-*.parquet)",
                    hint=False)
    spec_hashes = recorded_spec_hashes(manifest)
    runs = _read_parts(root, files, spec_hashes)
    missing = [c for c in ("run_id", "point", "replicate", "regime", "status") if c not in runs]
    if missing:
        raise _fail(root, f"runs/ parts lack the columns {', '.join(missing)}")
    duplicated = int(runs["run_id"].duplicated().sum())
    runs = (runs.sort_values("_order", kind="stable")
            .drop_duplicates("run_id", keep="last")
            .drop(columns="_order"))
    failed = runs["status"] != "ok"
    n_failed = int(failed.sum())
    if not include_failed:
        runs = runs[~failed]
    if runs.empty:
        raise _fail(root, f"has no successful runs ({n_failed} failed; see the error column "
                    "of runs/)", hint=False)
    runs = runs.sort_values(["point", "replicate"]).reset_index(drop=True)
    runs["regime"] = runs["regime"].astype(str)
    _warn_if_older(root, manifest, runs)

    parameters = _parameter_paths(manifest, list(runs.columns))
    metrics = [m for m in KNOWN_METRICS if m in runs]
    known = {*RUN_COLUMNS, *parameters, *metrics}
    metrics += [c for c in runs.columns
                if c not in known and pd.api.types.is_float_dtype(runs[c])]
    points = _points_table(manifest, runs, parameters)
    parameters = [p for p in parameters if p in points]

    series = pd.DataFrame(columns=list(SERIES_COLUMNS))
    if series_files := part_files(root, SERIES):
        series = _read_parts(root, series_files, spec_hashes)
        lacking = [c for c in ("run_id", "step", "metric", "value") if c not in series]
        if lacking:
            raise _fail(root, f"series/ parts lack the columns {', '.join(lacking)}")
        series = (series.sort_values("_order", kind="stable")
                  .drop_duplicates(["run_id", "step", "metric"], keep="last")
                  .drop(columns="_order"))
        series = series[series["run_id"].isin(runs["run_id"])]
        # point and regime come from the runs table, so the two always agree
        series = series.drop(columns=[c for c in ("point", "replicate", "regime") if c in series])
        series = series.merge(runs[["run_id", "point", "replicate", "regime"]], on="run_id")
        series = series[list(SERIES_COLUMNS)].sort_values(["metric", "point", "replicate",
                                                           "step"]).reset_index(drop=True)
    notes = []
    if duplicated:
        notes.append(f"{duplicated} duplicate run row(s): the row of the newest part is used")
    if n_failed and not include_failed:
        notes.append(f"{n_failed} failed run(s) left out (their tracebacks are in runs/, "
                     "column error)")
    return Results(root, manifest, runs, series, points, parameters, metrics, n_failed, notes)
