"""The run board: where a sweep's worker processes note the run each is executing.

A worker that dies (a segfault, ``os._exit``, the OOM killer) or hangs in native code cannot
say so itself. Before each run, the worker creates an empty file named for its process and the
run in a folder the sweep made; it removes the file when the run ends. The sweep (the parent
process) reads the folder: a file whose process is gone names the run that killed its worker,
and a file older than the run timeout names a stuck run, whose process the sweep can kill.

Only workers on the sweep's machine write to the board: a worker elsewhere (a remote Dask
cluster) sees another file system and other process ids, so it skips it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


def process_stat(pid: int) -> tuple[str, str] | None:
    """State and start time (clock ticks since boot) of process ``pid`` from ``/proc``.

    None when there is no such process, or no ``/proc`` (then ``("?", "")`` if it exists).
    The start time tells a process from a later one given the same pid.
    """
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):  # gone, or the pid now belongs to another user
        return None
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[-1].split()
        return fields[0].decode(), fields[19].decode()
    except (OSError, IndexError):  # no /proc (not Linux): existence is all we know
        return ("?", "")


def process_running(pid: int, start: str = "") -> bool:
    """Whether ``pid`` runs (exists, is not a zombie) and is the process started at ``start``."""
    stat = process_stat(pid)
    if stat is None or stat[0] in ("Z", "X"):
        return False
    return not start or not stat[1] or stat[1] == start


#: Name of a board's folder in the temporary directory (then the sweep's pid).
PREFIX = "cadresim-runs-"

#: How many times :meth:`RunBoard.close` tries to remove the board's folder.
CLOSE_TRIES = 50

#: This worker process's start time, by pid (read once per process).
_STARTS: dict[int, str] = {}


@dataclass(frozen=True)
class Entry:
    """One run being executed: its worker process and thread, and since when."""

    pid: int
    start: str  # the process's start time, "" when unknown
    thread: int
    run_id: str
    since: float  # seconds since the epoch, when the run began
    path: Path


@dataclass(frozen=True)
class RunBoard:
    """A folder on this machine where workers note their current run (see the module doc)."""

    folder: str
    host: str

    @classmethod
    def open(cls) -> RunBoard:
        """A new, empty board in the temporary directory; :meth:`close` removes it.

        Boards left behind by sweeps that were killed (their process is gone, and they have not
        changed for an hour) are removed first.
        """
        for old in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
            owner = old.name.removeprefix(PREFIX).split("-", 1)[0]
            with contextlib.suppress(OSError, ValueError):
                if time.time() - old.stat().st_mtime > 3600 and not process_running(int(owner)):
                    shutil.rmtree(old, ignore_errors=True)
        return cls(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"), socket.gethostname())

    def close(self) -> None:
        """Remove the board's folder.

        A worker may note a run while the folder is being removed (a run cancelled at the end
        of a sweep can still start): removal is tried again until the folder is gone.
        """
        for _ in range(CLOSE_TRIES):
            shutil.rmtree(self.folder, ignore_errors=True)
            if not os.path.lexists(self.folder):
                return
            time.sleep(0.02)

    @contextlib.contextmanager
    def running(self, run_id: str) -> Iterator[None]:
        """Worker side: note ``run_id`` on the board for the duration of the block.

        Best effort: a worker on another machine, or one that cannot write the folder, runs
        unnoted (the sweep then cannot name it if it dies or stop it if it hangs in native code).
        """
        path = self._entry_path(run_id)
        if path is not None:
            try:
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
            except OSError:
                path = None
        try:
            yield
        finally:
            if path is not None:
                with contextlib.suppress(OSError):
                    os.unlink(path)

    def _entry_path(self, run_id: str) -> str | None:
        """The entry's file: process id, process start, thread and run (None on another host)."""
        if socket.gethostname() != self.host:
            return None
        pid = os.getpid()
        if pid not in _STARTS:
            stat = process_stat(pid)
            _STARTS[pid] = stat[1] if stat else ""
        return os.path.join(self.folder, f"{pid}_{_STARTS[pid]}_{threading.get_ident()}_{run_id}")

    def entries(self) -> list[Entry]:
        """Parent side: the runs being executed now (or whose worker died under them)."""
        found = []
        with contextlib.suppress(OSError):
            for item in os.scandir(self.folder):
                try:
                    pid, start, thread, run_id = item.name.split("_", 3)
                    found.append(Entry(int(pid), start, int(thread), run_id,
                                       item.stat().st_mtime, Path(item.path)))
                except (ValueError, OSError):  # not an entry, or removed meanwhile
                    continue
        return found

    @staticmethod
    def alive(entry: Entry) -> bool:
        """Whether the process that noted ``entry`` still runs."""
        return process_running(entry.pid, entry.start)

    @staticmethod
    def remove(entry: Entry) -> None:
        """Forget an entry (its process died, or was accounted for)."""
        with contextlib.suppress(OSError):
            entry.path.unlink()
