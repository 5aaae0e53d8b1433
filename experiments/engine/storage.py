"""Atomic result files and resumable sweep results folders.

Writing result files so that a reader never sees half of one, and sweep results folders that an
interrupted sweep can resume.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from simulation.loading import ConfigError


def _default_mode() -> int:
    """Permissions a newly created file gets under the current umask (mkstemp makes 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Write a file atomically: yield a temporary path, then rename it.

    Yield a temporary path beside ``path`` (its name starts with '.'); on success it is renamed onto
    ``path``, so readers, and a rerun after kill -9, see the whole file or none.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"folder {str(path.parent)!r} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, _default_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_parquet_atomic(table: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a DataFrame to Parquet atomically."""
    with atomic_file(path) as tmp:
        table.to_parquet(tmp, index=False)
    return Path(path)


# --------------------------------------------------------------------------------------------
# Sweep results folders (docs/results-format.md): manifest.json, runs/ and series/ part files
# --------------------------------------------------------------------------------------------

MANIFEST = "manifest.json"
RUNS = "runs"
SERIES = "series"
LOCK = ".lock"
#: Columns every runs/ part has, before the parameters and the run outputs.
RUN_COLUMNS: tuple[str, ...] = (
    "run_id", "point", "replicate", "seed", "regime", "status", "error", "seconds",
)
#: Columns of series/ parts: one row per (run, step, metric).
SERIES_COLUMNS: tuple[str, ...] = (
    "run_id", "point", "replicate", "regime", "step", "metric", "value",
)


def write_table_atomic(table: pa.Table, path: str | os.PathLike[str]) -> Path:
    """Write an Arrow table to Parquet atomically."""
    with atomic_file(path) as tmp:
        pq.write_table(table, tmp)
    return Path(path)


def write_json_atomic(data: Any, path: str | os.PathLike[str]) -> Path:
    """Write JSON via a temporary file and a rename."""
    with atomic_file(path) as tmp, open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1, allow_nan=False)
        handle.write("\n")
    return Path(path)


def read_manifest(out: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The folder's manifest, or None if it has none; a ConfigError if it cannot be read."""
    path = Path(out) / MANIFEST
    if not path.is_file():
        return None
    problem = f"results folder {str(out)!r}: {MANIFEST}"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError included
        raise ConfigError(f"{problem} cannot be read as JSON ({exc})") from None
    if not isinstance(manifest, dict):
        raise ConfigError(f"{problem} does not hold a JSON object")
    return manifest


def part_files(out: str | os.PathLike[str], kind: str = RUNS) -> list[Path]:
    """The finished part files of ``runs`` or ``series``, oldest first (names sort by time)."""
    folder = Path(out) / kind
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("part-*.parquet") if not p.name.startswith("."))


def part_name(session: int, sequence: int) -> str:
    """``part-0002-000017.parquet``: the 17th part written by the folder's 2nd session."""
    return f"part-{session:04d}-{sequence:06d}.parquet"


def next_session(out: str | os.PathLike[str]) -> int:
    """1 + the highest session number among existing parts (1 for a new folder)."""
    sessions = [int(p.name.split("-")[1]) for k in (RUNS, SERIES) for p in part_files(out, k)]
    return max(sessions, default=0) + 1


def finished_runs(out: str | os.PathLike[str]) -> dict[str, tuple[str, str]]:
    """``run_id -> (status, part file name)`` of every run with a row in runs/.

    Reads only two columns, so it stays cheap for large sweeps. Each run has one row by
    construction (a failed row is dropped before the run is retried); should a run appear twice
    anyway, the newest part wins.
    """
    finished: dict[str, tuple[str, str]] = {}
    for path in part_files(out, RUNS):
        table = pq.read_table(path, columns=["run_id", "status"])
        for rid, status in zip(
            table.column("run_id").to_pylist(), table.column("status").to_pylist(), strict=True
        ):
            finished[rid] = (status, path.name)
    return finished


def drop_runs(out: str | os.PathLike[str], runs: dict[str, str]) -> None:
    """Remove the rows of some runs (``run_id -> part file name``) from runs/ and series/.

    Each part is rewritten atomically under its own name (or deleted when nothing is left), so
    a kill at any moment leaves every run either with its old row or without one, never twice.
    """
    by_part: dict[str, set[str]] = {}
    for rid, part in runs.items():
        by_part.setdefault(part, set()).add(rid)
    for part, rids in by_part.items():
        for kind in (SERIES, RUNS):  # series first: a runs row marks its run done
            path = Path(out) / kind / part
            if not path.is_file():
                continue
            table = pq.read_table(path)
            keep = pc.invert(pc.is_in(table.column("run_id"), pa.array(sorted(rids))))
            kept = table.filter(keep)
            if kept.num_rows == table.num_rows:
                continue
            if kept.num_rows:
                write_table_atomic(kept, path)
            else:
                path.unlink()


def remove_debris(out: str | os.PathLike[str]) -> None:
    """Delete what an interrupted session can leave.

    Temporary files, and series parts whose runs part was never written (their runs are not done and
    will run again).
    """
    out = Path(out)
    for folder in (out, out / RUNS, out / SERIES):
        if folder.is_dir():
            for tmp in folder.glob(".*.tmp"):
                tmp.unlink(missing_ok=True)
    runs = {p.name for p in part_files(out, RUNS)}
    for path in part_files(out, SERIES):
        if path.name not in runs:
            path.unlink()


def wipe_results(out: str | os.PathLike[str]) -> None:
    """Delete a sweep's results (manifest, runs/, series/, temporary files) and nothing else."""
    out = Path(out)
    for kind in (RUNS, SERIES):
        if (out / kind).is_dir():
            shutil.rmtree(out / kind)
    (out / MANIFEST).unlink(missing_ok=True)
    for tmp in out.glob(".*.tmp") if out.is_dir() else ():
        tmp.unlink(missing_ok=True)


def prepare_results_folder(
    out: str | os.PathLike[str], spec_hash: str, fresh: bool = False
) -> dict[str, Any] | None:
    """Make ``out`` ready for a sweep of the spec with ``spec_hash``.

    Return the manifest of an earlier session of the same spec (None if starting afresh).

    A folder holding another spec's results is refused unless ``fresh``, which deletes them.
    """
    out = Path(out)
    if fresh:
        wipe_results(out)
    manifest = read_manifest(out)
    if manifest is not None and manifest.get("spec_hash") != spec_hash:
        raise ConfigError(
            f"{out} holds results of a different spec (the spec changed since they were "
            "written); rerun with --fresh to delete them and start over, or set another output"
        )
    if manifest is None and (part_files(out, RUNS) or part_files(out, SERIES)):
        raise ConfigError(
            f"{out} holds result parts but no {MANIFEST}; rerun with --fresh to delete them and "
            "start over, or set another output"
        )
    (out / RUNS).mkdir(parents=True, exist_ok=True)
    return manifest


@contextlib.contextmanager
def results_lock(out: str | os.PathLike[str]) -> Iterator[None]:
    """Hold an exclusive lock on a results folder for one sweep.

    A second sweep into the same folder is refused. The OS releases the lock when the process dies,
    even by kill -9.
    """
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"output: cannot create the folder {str(out)!r} ({exc})") from None
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no locking
        yield
        return
    with open(out / LOCK, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError(f"{out}: another sweep is writing to this folder") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class PartWriter:
    """Writes each batch of finished runs as one runs/ part (and its series/ part), atomically.

    The series part is written first and has the same name: a runs row is what marks a run
    done, so an interruption between the two leaves a series part without a runs part, which
    the next session deletes before running those runs again.
    """

    def __init__(
        self,
        out: str | os.PathLike[str],
        session: int,
        runs_schema: pa.Schema,
        series_schema: pa.Schema | None = None,
    ) -> None:
        self.out = Path(out)
        self.session = session
        self.runs_schema = runs_schema
        self.series_schema = series_schema
        self.sequence = 0
        (self.out / RUNS).mkdir(parents=True, exist_ok=True)
        if series_schema is not None:
            (self.out / SERIES).mkdir(parents=True, exist_ok=True)

    def write(self, rows: list[dict[str, Any]], series: dict[str, list[Any]] | None = None) -> str:
        """Write one part; returns its file name."""
        self.sequence += 1
        name = part_name(self.session, self.sequence)
        if self.series_schema is not None and series and series["run_id"]:
            table = pa.Table.from_pydict(series, schema=self.series_schema)
            write_table_atomic(table, self.out / SERIES / name)
        write_table_atomic(pa.Table.from_pylist(rows, schema=self.runs_schema),
                           self.out / RUNS / name)
        return name
