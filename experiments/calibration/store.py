"""Files a calibration writes, atomically, and work stored in parts.

Files are written atomically (a reader or a rerun after kill -9 sees the whole file or none);
work is stored in numbered Parquet parts that a rerun reads back instead of redoing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.calibration.simulate import map_ordered
from experiments.engine.storage import atomic_file, write_parquet_atomic

__all__ = ["read_json", "read_parts", "resumable_map", "write_json", "write_parquet",
           "write_text"]


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


def resumable_map(
    fn: Callable[[Any], dict[str, Any]],
    items: Sequence[Any],
    folder: str | os.PathLike[str],
    prefix: str,
    executor: Executor,
    *,
    desc: str = "",
    progress: bool = True,
) -> pd.DataFrame:
    """Rows ``fn(item)`` for every item, stored in parts as they finish.

    A rerun runs only the items not stored yet. Each row gets the item's position as ``item``;
    rows come back sorted by it.

    Args:
        fn: picklable function of one item returning a flat mapping (one table row).
        items: the work; an item's identity is its position, so keep the order fixed.
        folder: where parts go (created).
        prefix: part-file name prefix (several maps can share a folder).
        executor: any ``concurrent.futures.Executor``.
        desc: progress-bar label.
        progress: show a tqdm bar.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    done = read_parts(folder, prefix)
    have = set(done["item"].tolist()) if len(done) else set()
    todo = [i for i in range(len(items)) if i not in have]

    def store(start: int, rows: list[dict[str, Any]]) -> None:
        index = todo[start : start + len(rows)]
        part = pd.DataFrame(rows).assign(item=index)
        write_parquet(part, folder / f"{prefix}-{index[0]:08d}.parquet")

    map_ordered(fn, [items[i] for i in todo], executor, desc=desc, progress=progress,
                on_chunk=store)
    table = read_parts(folder, prefix)
    return table.sort_values("item", ignore_index=True)
