"""A search's folder: every evaluation on disk, so a search killed with kill -9 resumes.

Each candidate's runs are one Parquet file under ``evaluations/``, written atomically (a
temporary name, then a rename) as soon as they finish; the spec and its hash are in
``search.json``, with the digest of the model that ran them. A rerun of the same spec by the same
model in the same folder replays the stored runs instead of running them again, so it reaches
the same result as a search never interrupted; another model's runs are never replayed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.engine.storage import write_json_atomic, write_parquet_atomic
from experiments.search.spec import SearchSpec
from simulation.digest import model_digest
from simulation.errors import ConfigError

EVALUATIONS = "evaluations"
IDENTITY = "search.json"


class SearchStore:
    """The runs of a search, on disk and in memory, by run id.

    It is the sink :func:`experiments.engine.batch.run_batch` writes each finished chunk (one
    candidate's replicates) to.
    """

    def __init__(self, folder: Path, spec: SearchSpec) -> None:
        """Open ``folder`` for ``spec``: create it, or check it holds this spec's search.

        A folder written before ``search.json`` recorded the model is replayed as before.
        """
        self.folder = Path(folder)
        self.parts = self.folder / EVALUATIONS
        identity = self.folder / IDENTITY
        spec_hash, model = spec.spec_hash(), model_digest()
        if identity.is_file():
            recorded = json.loads(identity.read_text(encoding="utf-8"))
            if recorded.get("spec_hash") != spec_hash:
                raise ConfigError(
                    f"{self.folder} holds a search of another spec (or of this spec before an "
                    "edit); give another --out, or --restart to discard it"
                )
            if recorded.get("model", model) != model:
                raise ConfigError(
                    f"{self.folder} holds a search run by another version of the model (model "
                    f"{recorded['model']}, this code's {model}), whose evaluations would be "
                    "replayed as this model's; give another --out, or --restart to discard it"
                )
        self.parts.mkdir(parents=True, exist_ok=True)
        for debris in self.parts.glob(".*.tmp"):  # a write cut short by kill -9
            debris.unlink()
        if not identity.is_file():
            write_json_atomic({"spec_hash": spec_hash, "model": model,
                               "spec": spec.model_dump(mode="json")}, identity)
        frames = [pd.read_parquet(p) for p in sorted(self.parts.glob("*.parquet"))]
        self.runs: dict[str, dict[str, Any]] = {}
        for frame in frames:
            for row in frame.to_dict("records"):
                self.runs[row["run_id"]] = row
        #: Runs replayed from disk and runs run in this session.
        self.replayed = len(self.runs)

    def write(self, rows: list[dict[str, Any]], series: dict[str, list[Any]] | None = None) -> str:
        """Store one finished chunk of runs (its file named by its first run) atomically."""
        name = f"{rows[0]['run_id']}.parquet"
        write_parquet_atomic(pd.DataFrame(rows), self.parts / name)
        for row in rows:
            self.runs[row["run_id"]] = row
        return name

    def has(self, run_id: str) -> bool:
        """True if the run is stored (ok or failed)."""
        return run_id in self.runs

    def table(self) -> pd.DataFrame:
        """Every stored run, in run-id order."""
        return pd.DataFrame(list(self.runs.values())).sort_values("run_id", kind="stable")
