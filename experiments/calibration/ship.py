"""Ship a calibration: its posterior into ``configs/``, its point estimate into the defaults.

A fit is shipped only when it deserves it (:func:`problems`): it is finished, fits every target
(nothing held out), has at least ``report.SHIPPED_ESS`` effective particles, reproduces every
target within two tolerances, and the coverage benchmark of the same targets and priors
(``benchmarks/calibration_coverage.py``) passed. Then one command

    make ship-calibration       # cadresim ship FIT --holdout HOLDOUT_FIT

writes ``configs/posteriors/<name>.parquet`` (the particles and weights, read by a sweep spec's
``posterior``) and ``<name>.yaml`` (provenance: command, commit, date, seed, budget, effective
sample size, the point estimate, the checks and the out-of-sample result), sets the default of
every fitted parameter in ``simulation/config.py`` (its ``param()`` default, from which
``configs/default.yaml`` and the ODD table are generated) to the posterior's weighted median
(or, given a screen of the posterior, to its pattern-oriented point: ``patterns``),
records the old and new values in ``docs/calibration-changelog.md``, and regenerates the
generated files (``scripts.gen_docs``). ``dry_run`` says what it would do and changes nothing.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from experiments.calibration import patterns, report
from experiments.calibration.priors import validate_priors
from experiments.calibration.targets import MET_WITHIN, validate_targets
from simulation.config import ModelConfig

ROOT = Path(__file__).resolve().parents[2]
#: Where shipped posteriors live, and the name the calibrated comparison reads.
POSTERIORS = Path("configs") / "posteriors"
NAME = "status_quo_2018"
CONFIG_PY = Path("simulation") / "config.py"
CHANGELOG = Path("docs") / "calibration-changelog.md"
COVERAGE = Path("benchmarks") / "results" / "calibration_coverage_latest.json"
#: Significant digits of a shipped default (finer than any posterior interval's width).
DIGITS = 3


class Refused(Exception):
    """A fit that may not be shipped; the message lists why."""


def load_fit(folder: Path) -> dict[str, Any]:
    """A finished calibration folder's manifest, posterior and predictive check."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return {
        "manifest": manifest,
        "posterior": pd.read_parquet(folder / "posterior.parquet"),
        "check": pd.read_csv(folder / "predictive_check.csv"),
        "targets": validate_targets(manifest["targets"]),
        "priors": validate_priors(manifest["priors"]),
    }


def problems(fit: Mapping[str, Any], coverage: Mapping[str, Any] | None,
             min_ess: float = report.SHIPPED_ESS) -> list[str]:
    """Why a fit may not be shipped (empty: it may)."""
    manifest, check = fit["manifest"], fit["check"]
    found = []
    if manifest.get("status") != "done":
        found.append(f"the fit is not finished (status {manifest.get('status')!r})")
    if manifest.get("held_out"):
        found.append(f"targets are held out ({', '.join(manifest['held_out'])}): ship the fit "
                     "of every target, and give the hold-out fit as --holdout")
    ess = report.effective_sample_size(fit["posterior"]["weight"])
    if ess < min_ess:
        found.append(f"effective sample size {ess:.1f} is below {min_ess:.0f}")
    fitted = check[check["fitted"]] if "fitted" in check else check
    missed = fitted.loc[~fitted["within_tolerance"].astype(bool), "target"].tolist()
    if missed:
        found.append(f"targets not reproduced within 2 tolerances: {', '.join(missed)}")
    if coverage is None:
        found.append("no coverage result (python -m benchmarks.calibration_coverage)")
    else:
        settings, summary = coverage.get("settings", {}), coverage.get("summary", {})
        if (settings.get("targets") != fit["targets"].name
                or settings.get("priors") != fit["priors"].name):
            found.append(f"the coverage result is for targets {settings.get('targets')!r} and "
                         f"priors {settings.get('priors')!r}, not this fit's")
        elif not summary.get("ok"):
            found.append("the coverage benchmark found under-coverage")
    return found


def point_estimate(posterior: pd.DataFrame, names: Sequence[str]) -> dict[str, float]:
    """Each parameter's weighted posterior median, to ``DIGITS`` significant digits."""
    w = report.weights_of(posterior)
    medians = {name: report.weighted_quantile(posterior[name].to_numpy(float), w, 0.5)
               for name in names}
    return rounded(medians)


def rounded(values: Mapping[str, float]) -> dict[str, float]:
    """Each value to ``DIGITS`` significant digits, as a default is written."""
    return {name: float(f"{value:.{DIGITS}g}") for name, value in values.items()}


def pattern_estimate(fit: Mapping[str, Any], folder: Path, screen: Path,
                     figures: Callable[[Mapping[str, float]], Mapping[str, float]] | None = None,
                     ) -> tuple[dict[str, float], dict[str, Any], list[str]]:
    """The pattern-oriented point of a screen of this fit (``experiments.calibration.patterns``).

    Of the draws meeting every incentive criterion, those whose values (as shipped, rounded)
    also meet every figure within 2 tolerances (``figures``: the z of each figure at the
    values; default ``patterns.figures_at`` on the fit's targets) are kept, and their medoid is
    chosen. Returns the values, the provenance of the choice and why it may not be shipped (a
    screen of another posterior, or no draw meeting both: then the values are the median's).
    """
    table, summary = patterns.load_screen(screen)
    found = []
    if not patterns.screened_this_fit(summary, folder):
        found.append(f"the pattern screen {screen} drew from {summary.get('posterior')!r}, "
                     f"not from this fit ({folder})")
    median = point_estimate(fit["posterior"], fit["priors"].names)
    try:
        kept, scale = patterns.kept_draws(table, patterns.criteria_of(summary),
                                          fit["priors"].names)
    except patterns.NoDrawShowsThePatterns as none:
        return median, {}, [*found, f"{screen}: {none}"]
    check = figures or (lambda values: patterns.figures_at(values, fit["targets"]))
    z = [check(rounded(point.values)) for point in kept]
    fitting = [i for i, zs in enumerate(z) if all(abs(v) <= MET_WITHIN for v in zs.values())]
    if not fitting:
        return median, {}, [*found, f"none of the {len(kept)} particles of {screen} meeting "
                                    "every incentive criterion meets every survey figure "
                                    f"within {MET_WITHIN:g} tolerances"]
    chosen = patterns.medoid([kept[i] for i in fitting], scale)
    at = kept.index(chosen)
    return rounded(chosen.values), chosen.record(str(screen), len(fitting), z[at]), found


def default_spans(source: str, paths: Sequence[str]) -> dict[str, tuple[int, int, int, Any]]:
    """Where each field's ``param()`` default is written in config.py's ``source``.

    Returns path -> (line, start column, end column, current value); the default is the first
    argument of the field's ``param(...)`` call in its section's class.

    Raises:
        ValueError: a path whose field is not declared as ``name: type = param(default, ...)``.
    """
    classes = {node.name: node for node in ast.parse(source).body
               if isinstance(node, ast.ClassDef)}
    spans = {}
    for path in paths:
        section, field = path.split(".")
        owner = ModelConfig.model_fields[section].annotation.__name__
        node = next((item.value for item in classes[owner].body
                     if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
                     and item.target.id == field), None)
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "param"
                and node.args and node.args[0].lineno == node.args[0].end_lineno):
            raise ValueError(f"{path}: no `{field}: ... = param(default, ...)` in {owner}")
        arg = node.args[0]
        spans[path] = (arg.lineno, arg.col_offset, arg.end_col_offset, ast.literal_eval(arg))
    return spans


def with_defaults(source: str, values: Mapping[str, float]) -> tuple[str, dict[str, Any]]:
    """config.py's ``source`` with each path's ``param()`` default set; and the old defaults."""
    spans = default_spans(source, list(values))
    lines = source.splitlines(keepends=True)
    old = {}
    for path, (line, start, end, current) in sorted(spans.items(), key=lambda kv: kv[1][:2],
                                                    reverse=True):
        text = lines[line - 1]
        lines[line - 1] = text[:start] + repr(float(values[path])) + text[end:]
        old[path] = current
    return "".join(lines), old


def changelog_entry(values: Mapping[str, float], old: Mapping[str, Any],
                    provenance: Mapping[str, Any]) -> str:
    """One dated section of the changelog: what changed, from what, and by which fit."""
    rows = "\n".join(f"| `{path}` | {old[path]} | {values[path]} |" for path in values)
    point = provenance.get("point")
    how = ("posterior median" if not point else
           f"pattern-oriented: posterior particle {point['particle']}, the medoid of the "
           f"{point['fitting']} of {point['screened']} screened particles that meet every "
           f"incentive criterion and every survey figure; {point['kept']} meet the criteria")
    return (f"\n## {provenance['shipped']}: defaults set to the posterior of "
            f"`{provenance['name']}`\n\n"
            f"Fit: `{provenance['command']}` at commit {provenance['code_version']}, finished "
            f"{provenance['finished']}; {provenance['simulations']} simulations, effective "
            f"sample size {provenance['effective_sample_size']:.0f}. Posterior: "
            f"`configs/posteriors/{provenance['name']}.parquet`.\n\n"
            f"| parameter | old default | new default ({how}) |\n|---|---|---|\n"
            f"{rows}\n")


def provenance_of(fit: Mapping[str, Any], name: str, values: Mapping[str, float],
                  holdout: Mapping[str, Any] | None,
                  coverage: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the shipped posterior's YAML records."""
    manifest, posterior = fit["manifest"], fit["posterior"]
    w = report.weights_of(posterior)
    intervals = {
        p: [float(v) for v in report.weighted_quantile(posterior[p].to_numpy(float), w,
                                                      [report.TAIL, 1 - report.TAIL])]
        for p in values}
    checks = {r.target: {"published": float(r.observed), "predicted": float(r.predictive_median),
                         "z": round(float(r.z), 3)} for r in fit["check"].itertuples()}
    entry: dict[str, Any] = {
        "name": name, "shipped": datetime.now(UTC).date().isoformat(),
        "command": manifest.get("command"), "code_version": manifest.get("code_version"),
        "finished": manifest.get("finished"), "seed": manifest.get("seed"),
        "budget": manifest.get("budget"), "simulations": manifest.get("simulations"),
        "effective_sample_size": round(report.effective_sample_size(posterior["weight"]), 1),
        "particles": len(posterior), "targets": fit["targets"].name,
        "priors": fit["priors"].name, "fingerprint": manifest.get("fingerprint"),
        "point_estimate": dict(values), "interval_95": intervals,
        "predictive_check": checks,
    }
    if holdout is not None:
        rows = holdout["check"][~holdout["check"]["fitted"]]
        entry["out_of_sample"] = {
            "fit": holdout["manifest"].get("command"), "held_out": holdout["manifest"]["held_out"],
            "predictions": {r.target: {"published": float(r.observed),
                                       "predicted": float(r.predictive_median),
                                       "interval_95": [float(r.predictive_low),
                                                       float(r.predictive_high)],
                                       "z": round(float(r.z), 3),
                                       "within_tolerance": bool(r.within_tolerance)}
                            for r in rows.itertuples()}}
    if coverage is not None:
        entry["coverage"] = {"settings": coverage.get("settings"),
                             "ok": coverage.get("summary", {}).get("ok")}
    return entry


def ship(folder: Path, *, name: str = NAME, root: Path = ROOT, holdout: Path | None = None,
         coverage: Path | None = None, force: bool = False, dry_run: bool = False,
         regenerate: bool = True, screen: Path | None = None,
         figures: Callable[[Mapping[str, float]], Mapping[str, float]] | None = None,
         ) -> dict[str, Any]:
    """Ship the fit in ``folder`` (module docstring); returns its provenance.

    With ``screen`` (a ``cadresim validate-posterior`` folder of this fit's posterior) the
    defaults are the pattern-oriented point (:func:`pattern_estimate`, ``figures`` its check
    against the survey figures), not the median.

    Raises:
        Refused: the fit does not pass (:func:`problems`) and ``force`` is not given.
    """
    fit = load_fit(folder)
    cover_path = coverage if coverage is not None else root / COVERAGE
    cover = json.loads(cover_path.read_text()) if cover_path.is_file() else None
    found = problems(fit, cover)
    point: dict[str, Any] = {}
    if screen is None:
        values = point_estimate(fit["posterior"], fit["priors"].names)
    else:
        values, point, unfit = pattern_estimate(fit, folder, screen, figures)
        found += unfit
    if found and not force:
        raise Refused("not shipped:\n- " + "\n- ".join(found))
    held = load_fit(holdout) if holdout is not None else None
    provenance = provenance_of(fit, name, values, held, cover) | {"problems": found}
    if point:
        provenance["point"] = point
    config_py = root / CONFIG_PY
    source, old = with_defaults(config_py.read_text(encoding="utf-8"), values)
    if dry_run:
        return provenance | {"old_defaults": old}
    target = root / POSTERIORS
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(folder / "posterior.parquet", target / f"{name}.parquet")
    (target / f"{name}.yaml").write_text(
        "# Provenance of the shipped posterior (written by experiments.calibration.ship).\n"
        + yaml.safe_dump(plain(provenance), sort_keys=False, allow_unicode=True),
        encoding="utf-8")
    config_py.write_text(source, encoding="utf-8")
    log = root / CHANGELOG
    log.parent.mkdir(parents=True, exist_ok=True)
    text = log.read_text(encoding="utf-8") if log.is_file() else (
        "# Calibrated defaults: changelog\n\nEach shipped calibration sets the defaults of the "
        "parameters it fits (`param()` in `simulation/config.py`) to its posterior median; the "
        "values they replace are kept here, newest last.\n")
    if any(old[key] != value for key, value in values.items()):
        # Shipping the same point again rewrites the provenance; the defaults did not change.
        log.write_text(text + changelog_entry(values, old, provenance), encoding="utf-8")
    if regenerate:
        # scripts/ is not an installed package: run it from the repository, as `make docs` does.
        subprocess.run([sys.executable, "-m", "scripts.gen_docs"], cwd=root, check=True)
    return provenance | {"old_defaults": old}


def plain(value: Any) -> Any:
    """Nested data with NumPy scalars as Python ones (for YAML)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value
