"""A results folder's manifest: the spec, every run's seed and config hash, versions, status."""

from __future__ import annotations

import importlib.metadata
import platform
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from experiments.engine.descriptions import describe_outputs
from experiments.engine.plan import SweepPlan, drawn_particles
from simulation.digest import model_digest
from simulation.outputs import OUTPUTS_VERSION

#: Packages whose versions go into the manifest.
VERSIONED = (
    "cadresim", "mesa", "numpy", "pandas", "pyarrow", "scipy", "SALib", "pydantic", "dask",
    "distributed",
)


def package_versions(names: Sequence[str] = VERSIONED) -> dict[str, str | None]:
    """Python's and the key packages' versions (None for one not installed)."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def code_version() -> str | None:
    """``git describe --always --dirty`` of the code's checkout, or None outside git."""
    here = Path(__file__).resolve().parent
    try:
        done = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=here, capture_output=True,
            text=True, timeout=10, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


def now() -> str:
    """The time now, in UTC, to the second (ISO 8601)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def status_counts(plan: SweepPlan, finished: dict[str, tuple[str, str]]) -> dict[str, int]:
    """The manifest's ``status``: runs ok, failed and still pending."""
    ok = sum(status == "ok" for status, _ in finished.values())
    failed = len(finished) - ok
    return {"ok": ok, "failed": failed, "pending": plan.n_runs - ok - failed}


def build_manifest(
    plan: SweepPlan, previous: dict[str, Any] | None, runs: dict[str, dict[str, Any]],
    model: str | None = None,
) -> dict[str, Any]:
    """The manifest at the start of a session (status pending; sessions appended on resume).

    ``model`` is the digest of the model the session runs (default ``model_digest()``).
    """
    versions = package_versions()
    version = code_version()
    model = model or model_digest()
    session = {"started": now(), "finished": None, "code_version": version, "model": model,
               "versions": versions}
    sessions = [*(previous or {}).get("sessions", []), session]
    return {
        "spec": plan.spec.as_data(),
        "spec_hash": plan.spec.spec_hash(),
        "outputs_version": OUTPUTS_VERSION,
        "outputs": describe_outputs(plan.settings.outputs),
        "design": plan.design.info,
        "points": [
            {"point": p.point, "regime": plan.builder.regime_label(p.regime),
             "parameters": p.parameters}
            for p in plan.points
        ],
        "runs": runs,
        **posterior_entry(plan),
        "versions": versions,
        "code_version": version,
        "model": model,
        "started": (previous or {}).get("started") or session["started"],
        "finished": None,
        "status": {"ok": 0, "failed": 0, "pending": plan.n_runs},
        "sessions": sessions,
    }


def posterior_entry(plan: SweepPlan) -> dict[str, Any]:
    """The manifest's ``posterior`` (file, digest, drawn particles' values), if the spec has one."""
    posterior = plan.builder.posterior
    if posterior is None:
        return {}
    return {"posterior": posterior.manifest_entry(drawn_particles(plan.spec, posterior))}

