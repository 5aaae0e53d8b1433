"""Files a calibration writes, atomically, and work stored in parts.

Files are written atomically (a reader or a rerun after kill -9 sees the whole file or none);
work is stored in numbered Parquet parts that a rerun reads back instead of redoing. A full
disk or a read-only folder is an OSError naming the file (the command line's clean message);
what the calibration reads back of its folder goes through the careful reader.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from experiments.calibration.errors import CalibrationError
from experiments.engine.storage import atomic_file, write_parquet_atomic
from simulation.loading import ConfigError, clip, read_text_file, shown_path

__all__ = ["read_json", "read_parts", "write_json", "write_parquet", "write_rows", "write_text"]

#: Largest calibration manifest read, in bytes (it holds the targets and the priors).
MAX_JSON_BYTES = 16 * 2**20
_REDO = ("delete the calibration folder (or choose another --out) and rerun: the fit starts "
         "over")


def _folder_for(path: str | os.PathLike[str]) -> Path:
    """``path``, its folder created if missing (a calibration writes into fresh subfolders)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write_parquet(table: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a DataFrame to Parquet atomically, creating its folder if needed."""
    return write_parquet_atomic(table, _folder_for(path))


def write_rows(rows: list[dict[str, Any]], path: str | os.PathLike[str]) -> Path:
    """Write rows (dicts of the same keys) to Parquet atomically, straight to Arrow.

    For the parts of stored work, written as often as runs come back: no DataFrame on the way.
    """
    with atomic_file(_folder_for(path)) as tmp:
        pq.write_table(pa.Table.from_pylist(rows), tmp)
    return Path(path)


def write_json(data: Any, path: str | os.PathLike[str]) -> Path:
    """Write JSON atomically (sorted keys, indented; values JSON lacks written as text)."""
    with atomic_file(_folder_for(path)) as tmp:
        Path(tmp).write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
    return Path(path)


def write_text(text: str, path: str | os.PathLike[str]) -> Path:
    """Write a text file atomically."""
    with atomic_file(_folder_for(path)) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    return Path(path)


def read_json(path: str | os.PathLike[str], what: str = "calibration manifest") -> Any | None:
    """A JSON file's content, or None if there is none.

    Read by the careful reader (a regular file of bounded size, never a FIFO or a device, UTF-8);
    a file that cannot be read or parsed is a CalibrationError naming it and what to do.
    """
    path = Path(path)
    if not (path.exists() or path.is_symlink()):
        return None
    try:
        return json.loads(read_text_file(path, what=what, limit=MAX_JSON_BYTES))
    except ConfigError as exc:
        raise CalibrationError(f"{exc}; {_REDO}") from None
    except (ValueError, RecursionError) as exc:  # JSONDecodeError included
        raise CalibrationError(
            f"{what} {shown_path(path)}: cannot be read as JSON ({clip(str(exc))}); {_REDO}"
        ) from None


def read_parts(folder: str | os.PathLike[str], prefix: str) -> pd.DataFrame:
    """All parts ``folder/prefix-*.parquet`` stacked (empty frame if none).

    A part that cannot be read (damaged, not a file) is a CalibrationError naming it: deleting
    it makes a rerun simulate its draws again.
    """
    files = sorted(p for p in Path(folder).glob(f"{prefix}-*.parquet")
                   if not p.name.startswith("."))
    if not files:
        return pd.DataFrame()
    tables = []
    for file in files:
        try:
            if not file.is_file():
                raise OSError("not a regular file")
            tables.append(pd.read_parquet(file))
        except (OSError, ValueError, pa.ArrowException) as exc:
            raise CalibrationError(
                f"calibration part {shown_path(file)}: cannot be read "
                f"({type(exc).__name__}: {clip(str(exc))}); delete it and rerun the same "
                "command: the simulations it held run again"
            ) from None
    return pd.concat(tables, ignore_index=True)
