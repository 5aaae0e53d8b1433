"""Faults of the machine, not of the input: a full disk, a read-only folder, a deleted folder.

Each becomes one message naming the file or folder and what to do, with exit code 2. What was
written before the fault is kept (every result file is written whole or not at all), so the
same command, rerun once the cause is removed, continues where it stopped.
"""

from __future__ import annotations

import errno
import os
import re

from simulation.errors import ConfigError
from simulation.loading import shown_path

#: The faults of the machine, and what to do about each.
ADVICE = {
    errno.ENOSPC: "the disk is full: free some space on it",
    errno.EDQUOT: "your disk quota is used up: free some space",
    errno.EROFS: "the folder is on a read-only filesystem: copy the results folder to a "
                 "writable place and run there",
    errno.EACCES: "you may not write there: change the folder's permissions, or copy it to a "
                  "writable place and run there",
    errno.EPERM: "you may not write there: change the folder's permissions, or copy it to a "
                 "writable place and run there",
}
_ERRNO_IN_TEXT = re.compile(r"\[errno (\d+)\]", re.IGNORECASE)


def fault_errno(exc: OSError) -> int | None:
    """The error number of ``exc``; read from its text when a library left it out (PyArrow)."""
    if exc.errno is not None:
        return exc.errno
    found = _ERRNO_IN_TEXT.search(str(exc))
    return int(found.group(1)) if found else None


def fault_message(exc: OSError, where: str | os.PathLike[str] | None = None) -> str | None:
    """The message for a fault of the machine while writing ``where``; None for other errors."""
    number = fault_errno(exc)
    if number not in ADVICE:
        return None
    target = exc.filename if exc.filename is not None else where
    named = f"cannot write {shown_path(os.fsdecode(target))}" if target is not None else \
        "cannot write the results"
    return (f"{named} ({os.strerror(number)}): {ADVICE[number]}, then rerun the same command; "
            "what was written before is kept and nothing half-written was left")


def check_working_directory() -> None:
    """Refuse to start from a working directory that no longer exists (it was deleted)."""
    try:
        os.getcwd()
    except OSError as exc:
        raise ConfigError(
            f"the working directory cannot be used ({exc.strerror}; was it deleted or moved?); "
            "cd to an existing folder and rerun"
        ) from None
