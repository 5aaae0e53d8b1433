"""Atomic result files and resumable sweep results folders.

Writing result files so that a reader never sees half of one, and sweep results folders that an
interrupted sweep can resume.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from experiments.engine.descriptions import describe_outputs as describe_outputs
from experiments.engine.descriptions import describe_schema, described_table
from experiments.engine.spec import recorded_spec_hashes
from simulation.loading import ConfigError, clip, read_text_file


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

    A failure to write (a full disk, a read-only folder) is an OSError naming ``path``, with
    its error number even when the writing library gave only text (PyArrow).
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"folder {str(path.parent)!r} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise _naming(exc, path) from exc
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, _default_mode())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise _naming(exc, path) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _naming(exc: OSError, path: Path) -> OSError:
    """``exc`` as an OSError of the same kind naming ``path`` (its number read from its text)."""
    number = exc.errno
    if number is None and (found := re.search(r"\[errno (\d+)\]", str(exc), re.IGNORECASE)):
        number = int(found.group(1))
    if number is None:
        return exc
    return OSError(number, os.strerror(number), str(path))


def check_folder_or_absent(folder: str | os.PathLike[str]) -> None:
    """Refuse a path that exists as something other than a folder (a file, a dangling link)."""
    folder = Path(folder)
    if (folder.exists() or folder.is_symlink()) and not folder.is_dir():
        raise ConfigError(f"{str(folder)!r} exists and is not a folder; move it away and rerun")


@contextlib.contextmanager
def staged_folder(folder: str | os.PathLike[str], inside: str = "") -> Iterator[Path]:
    """Write a set of files into ``folder`` so that none is ever seen half-written.

    Yields an empty hidden folder beside ``folder`` (``.staging-*``, on the same filesystem);
    when the block succeeds, every file written under its sub-folder ``inside`` is renamed into
    ``folder`` (created if needed; a file of the same name is replaced whole). The staging
    folder is removed whatever happens, so a full disk or a read-only folder leaves ``folder``
    as it was.
    """
    folder = Path(folder)
    check_folder_or_absent(folder)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".staging-{folder.name}-", dir=folder.parent))
    except OSError as exc:
        raise _naming(exc, folder) from exc
    try:
        yield staging
        source = staging / inside
        try:
            folder.mkdir(exist_ok=True)
            for file in sorted(p for p in source.rglob("*") if p.is_file()):
                target = folder / file.relative_to(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(file, target)
        except OSError as exc:
            raise _naming(exc, folder) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_parquet_atomic(
    table: pd.DataFrame, path: str | os.PathLike[str], kind: str = "table"
) -> Path:
    """Write a DataFrame to Parquet atomically, its output columns described.

    ``kind`` says what the table is (``per_step`` for ``cadresim run --out``); see
    :mod:`experiments.engine.descriptions`.
    """
    arrow = described_table(pa.Table.from_pandas(table, preserve_index=False), kind)
    with atomic_file(path) as tmp:
        pq.write_table(arrow, tmp)
    return Path(path)


# --------------------------------------------------------------------------------------------
# Sweep results folders (docs/results-format.md): manifest.json, runs/ and series/ part files
# --------------------------------------------------------------------------------------------

MANIFEST = "manifest.json"
#: Largest manifest read, in bytes (a sweep of the most runs a spec may plan writes about 80 MB).
MAX_MANIFEST_BYTES = 256 * 2**20
RUNS = "runs"
SERIES = "series"
LOCK = ".lock"
QUARANTINE = "quarantine"
#: Parquet metadata key of the spec hash every part carries.
SPEC_HASH_KEY = b"cadresim.spec_hash"
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
    """The folder's manifest, or None if it has none; a ConfigError if it cannot be read.

    Read by the careful reader (a regular file of at most MAX_MANIFEST_BYTES, never a FIFO or a
    device), so a damaged manifest is a message naming it, never a traceback or a hang.
    """
    path = Path(out) / MANIFEST
    problem = f"results folder {str(out)!r}: {MANIFEST}"
    try:
        present = path.is_file()
        if not present and (path.exists() or path.is_symlink()):
            raise ConfigError(f"{problem} is not a file (a folder, a FIFO or a dangling link)")
    except OSError as exc:  # a name too long, a folder that cannot be searched
        raise ConfigError(f"{problem} cannot be read ({exc.strerror})") from None
    if not present:
        return None
    try:
        text = read_text_file(path, what="manifest", limit=MAX_MANIFEST_BYTES)
        manifest = json.loads(text)
    except ConfigError as exc:
        raise ConfigError(f"results folder {str(out)!r}: {exc}") from None
    except (ValueError, RecursionError) as exc:  # JSONDecodeError included
        raise ConfigError(f"{problem} cannot be read as JSON ({clip(str(exc))})") from None
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
    for kind in (RUNS, SERIES, QUARANTINE):
        if (out / kind).is_dir() and not (out / kind).is_symlink():
            shutil.rmtree(out / kind)
        elif (out / kind).exists() or (out / kind).is_symlink():
            (out / kind).unlink()
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
    for kind in (RUNS, SERIES):
        folder = out / kind
        if (folder.exists() or folder.is_symlink()) and not folder.is_dir():
            raise ConfigError(f"results folder {str(out)!r}: {kind} is not a folder; move it "
                              "away or rerun with --fresh")
    manifest = read_manifest(out)
    if manifest is not None and spec_hash not in recorded_spec_hashes(manifest):
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

    A second sweep into the same folder is refused. The OS releases the lock when the process
    dies, even by kill -9. The lock is held on the folder itself (and on ``.lock`` in it, for
    tools that look there), so deleting ``.lock`` during a sweep does not let a second sweep in.
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
    folder = os.open(out, os.O_RDONLY)
    try:
        with open(out / LOCK, "a+") as handle:
            for fd in (folder, handle.fileno()):
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise ConfigError(f"{out}: another sweep is writing to this folder") from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
                fcntl.flock(folder, fcntl.LOCK_UN)
    finally:
        os.close(folder)


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
        spec_hash: str | None = None,
    ) -> None:
        self.out = Path(out)
        self.session = session
        self.runs_schema = describe_schema(with_spec_hash(runs_schema, spec_hash), RUNS)
        self.series_schema = with_spec_hash(series_schema, spec_hash)
        self.sequence = 0
        (self.out / RUNS).mkdir(parents=True, exist_ok=True)
        if series_schema is not None:
            (self.out / SERIES).mkdir(parents=True, exist_ok=True)

    def write(self, rows: list[dict[str, Any]], series: dict[str, list[Any]] | None = None) -> str:
        """Write one part; returns its file name."""
        self.sequence += 1
        name = part_name(self.session, self.sequence)
        twin = None
        if self.series_schema is not None and series and series["run_id"]:
            table = pa.Table.from_pydict(series, schema=self.series_schema)
            twin = write_table_atomic(described_table(table, SERIES), self.out / SERIES / name)
        try:
            write_table_atomic(pa.Table.from_pylist(rows, schema=self.runs_schema),
                               self.out / RUNS / name)
        except BaseException:  # a full disk: no series part is left without its runs part
            if twin is not None:
                with contextlib.suppress(OSError):
                    twin.unlink()
            raise
        return name


def with_spec_hash(schema: pa.Schema | None, spec_hash: str | None) -> pa.Schema | None:
    """``schema`` with the spec hash in its metadata (written into every part's footer)."""
    if schema is None or spec_hash is None:
        return schema
    return schema.with_metadata({**(schema.metadata or {}), SPEC_HASH_KEY: spec_hash.encode()})


# --------------------------------------------------------------------------------------------
# Damaged folders: check every part before a sweep resumes
# --------------------------------------------------------------------------------------------


def check_output_folder(out: str | os.PathLike[str]) -> None:
    """Refuse an output path that must not become a results folder.

    Refused: the filesystem root, a home directory, something that is not a folder, and an
    existing folder that is neither empty nor a results folder (it has no manifest.json nor
    results parts). Nothing is created here.
    """
    out = Path(out)
    shown = repr(str(out))
    try:
        resolved = out.resolve()
        exists = out.exists()
        is_dir = out.is_dir()
    except (OSError, ValueError) as exc:
        raise ConfigError(f"output: {shown} is not a usable path ({exc})") from None
    if resolved == Path(resolved.anchor):
        raise ConfigError(f"output: {shown} is the filesystem root; set a results folder")
    if resolved in _home_folders():
        raise ConfigError(f"output: {shown} is a home directory; set a results folder in it")
    if not exists:
        if out.is_symlink():
            raise ConfigError(f"output: {shown} is a dangling link")
        return
    if not is_dir:
        raise ConfigError(f"output: {shown} exists and is not a folder")
    ours = {MANIFEST, RUNS, SERIES, LOCK, QUARANTINE, "analysis", "figures"}
    try:
        entries = [p.name for p in out.iterdir()]
    except OSError as exc:
        raise ConfigError(f"output: cannot read the folder {shown} ({exc})") from None
    if MANIFEST in entries or RUNS in entries:
        return
    others = [name for name in entries if name not in ours and not name.endswith(".tmp")]
    if others:
        raise ConfigError(
            f"output: {shown} is a folder with other files ({', '.join(sorted(others)[:3])}"
            f"{', ...' if len(others) > 3 else ''}) and no {MANIFEST}, so not a results "
            "folder; set an empty or new folder"
        )


def _home_folders() -> set[Path]:
    """The home directories of this machine's users (and of $HOME)."""
    homes = {Path.home().resolve()} if "HOME" in os.environ else set()
    try:
        import pwd

        homes |= {Path(entry.pw_dir).resolve() for entry in pwd.getpwall()
                  if entry.pw_dir not in ("", "/")}
    except (ImportError, OSError):  # pragma: no cover - not POSIX
        pass
    return homes


def quarantine(out: str | os.PathLike[str], path: Path, reason: str) -> str:
    """Move a damaged file (or entry named like a part) into ``OUT/quarantine/<kind>/``.

    Returns the message saying so.
    """
    out = Path(out)
    target_dir = out / QUARANTINE / path.parent.name
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / path.name
    n = 1
    while target.exists() or target.is_symlink():
        n += 1
        target = target_dir / f"{path.name}.{n}"
    os.replace(path, target)
    return (f"{path.parent.name}/{path.name}: {reason}; moved to "
            f"{target.relative_to(out)}, its runs will run again")


def part_spec_hash(path: Path) -> str | None:
    """The spec hash in a part's metadata (None for a part written before parts carried it).

    Raises OSError or an Arrow error for a part that cannot be read.
    """
    if path.is_symlink() and not path.exists():
        raise OSError("a dangling link")
    if not path.is_file():
        raise OSError("not a regular file")
    metadata = pq.read_schema(path).metadata or {}
    value = metadata.get(SPEC_HASH_KEY)
    return value.decode("utf-8", "replace") if value is not None else None


def check_parts(
    out: str | os.PathLike[str], spec_hash: str, run_ids: Collection[str]
) -> list[str]:
    """Make the parts of ``out`` safe to resume from; return messages for what was repaired.

    A part that cannot be read (truncated, zeroed, not a file) is quarantined with its runs or
    series twin, so its runs run again. A part of another spec (its spec hash, or run ids this
    spec does not have) is refused. Runs with rows in several parts keep the row of the last
    part in name order (write order); the older rows are dropped.
    """
    out = Path(out)
    messages: list[str] = []
    accepted = same_spec_hashes(out, spec_hash)
    relabelled = 0
    for kind in (RUNS, SERIES):
        for path in part_files(out, kind):
            problem = _part_problem(path, accepted, run_ids if kind == RUNS else None)
            if problem is None:
                relabelled += _relabel(path, spec_hash)
                continue
            if problem.startswith("foreign"):
                raise ConfigError(
                    f"results folder {str(out)!r}: {kind}/{path.name} {problem[8:]}; remove it "
                    "or rerun with --fresh"
                )
            messages.append(quarantine(out, path, problem))
            twin = out / (SERIES if kind == RUNS else RUNS) / path.name
            if twin.exists() or twin.is_symlink():
                messages.append(quarantine(out, twin, f"the twin of a damaged {kind} part"))
    if relabelled:
        messages.append(f"{relabelled} part(s) written before the output left the spec's "
                        "identity now carry the spec hash of today")
    messages += _drop_duplicates(out)
    return messages


def same_spec_hashes(out: str | os.PathLike[str], spec_hash: str) -> set[str]:
    """``spec_hash`` and, when the folder's manifest records the same spec, its other hashes.

    A folder written before the output left the spec's identity has parts carrying the former
    hash (``experiments.engine.spec.former_spec_hash``); they are the same spec's parts.
    """
    manifest = read_manifest(out)
    recorded = recorded_spec_hashes(manifest) if manifest is not None else set()
    return recorded | {spec_hash} if spec_hash in recorded else {spec_hash}


def _relabel(path: Path, spec_hash: str) -> int:
    """Give a part of this spec that carries a former spec hash the current one; 1 if done."""
    found = part_spec_hash(path)
    if found is None or found == spec_hash:
        return 0
    table = pq.read_table(path)
    metadata = {**(table.schema.metadata or {}), SPEC_HASH_KEY: spec_hash.encode()}
    write_table_atomic(table.replace_schema_metadata(metadata), path)
    return 1


def _part_problem(
    path: Path, spec_hashes: Collection[str], run_ids: Collection[str] | None
) -> str | None:
    """Why a part cannot be used: None for a sound part of this spec (one of ``spec_hashes``).

    ``foreign: ...`` for another spec's part; else why it cannot be read.
    """
    try:
        found = part_spec_hash(path)
        if found is not None and found not in spec_hashes:
            return "foreign: was written by another spec (its spec hash differs)"
        columns = ["run_id", "status"] if run_ids is not None else ["run_id"]
        table = pq.read_table(path, columns=columns)
    except (OSError, pa.ArrowException, ValueError, KeyError) as exc:
        return f"cannot be read ({type(exc).__name__}: {str(exc)[:200]})"
    if run_ids is not None:
        unknown = set(table.column("run_id").to_pylist()) - set(run_ids)
        if unknown:
            return (f"foreign: holds runs this spec does not have (e.g. {sorted(unknown)[0]!r})")
    return None


def _drop_duplicates(out: Path) -> list[str]:
    """Drop the older rows of runs that have rows in several runs/ parts."""
    dropped: set[str] = set()
    for _ in range(100):  # each pass removes one older copy of every duplicated run
        seen: dict[str, str] = {}
        older: dict[str, str] = {}
        for path in part_files(out, RUNS):
            for rid in pq.read_table(path, columns=["run_id"]).column("run_id").to_pylist():
                if seen.get(rid, path.name) != path.name:
                    older[rid] = seen[rid]
                seen[rid] = path.name
        if not older:
            break
        drop_runs(out, older)
        dropped |= set(older)
    if not dropped:
        return []
    return [f"{len(dropped)} run(s) had rows in several parts (e.g. {min(dropped)!r}); kept the "
            "row of the newest part"]
