"""Files a calibration writes, atomically, and work stored in parts.

Files are written atomically (a reader or a rerun after kill -9 sees the whole file or none);
work is stored in numbered Parquet parts that a rerun reads back instead of redoing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.engine.storage import atomic_file, write_parquet_atomic

__all__ = ["read_json", "read_parts", "write_json", "write_parquet", "write_text"]


def _folder_for(path: str | os.PathLike[str]) -> Path:
    """``path``, its folder created if missing (a calibration writes into fresh subfolders)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write_parquet(table: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a DataFrame to Parquet atomically, creating its folder if needed."""
    return write_parquet_atomic(table, _folder_for(path))


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


def read_json(path: str | os.PathLike[str]) -> Any | None:
    """A JSON file's content, or None if there is none."""
    path = Path(path)
    return json.loads(path.read_text()) if path.is_file() else None


def read_parts(folder: str | os.PathLike[str], prefix: str) -> pd.DataFrame:
    """All parts ``folder/prefix-*.parquet`` stacked (empty frame if none)."""
    files = sorted(Path(folder).glob(f"{prefix}-*.parquet"))
    if not files:
        return pd.DataFrame()
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
