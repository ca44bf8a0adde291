"""The writer lock of a run directory: one trainer per run, enforced by the kernel.

`RUN/.lock` is locked with flock(2) for as long as a trainer writes the run. The kernel
drops the lock when the holder's file is closed, so a trainer killed with kill -9 (or a
machine that rebooted) never leaves a stale lock behind, while a trainer suspended with
Ctrl-Z keeps it. The file holds the holder's pid, which the refusal names.

Locks are per open file, so a second lock of the same run from the same process would
refuse itself; `_HELD` makes taking it again in one process a no-op (tests and the TUI
build a run and train it in one process).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from gantool.core.errors import UserError
from gantool.run.layout import RunLayout

try:
    import fcntl
except ImportError:  # Windows: no flock; the heartbeat check in status.json is all there is
    fcntl = None

_HELD: dict[Path, int] = {}  # run path (resolved) -> the locked file descriptor


def acquire(run: Path) -> None:
    """Lock `run` for this process, or raise a UserError naming the process that holds it."""
    key = Path(run).resolve()
    if key in _HELD or fcntl is None:
        return
    path = RunLayout(run).lock
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise UserError(f"cannot write to run directory {run} ({exc.strerror}); nothing was changed") from None
    try:
        _lock_briefly_retrying(fd)
    except OSError as exc:
        holder = _read_pid(fd)
        os.close(fd)
        if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise UserError(f"cannot lock run directory {run} ({exc.strerror})") from None
        who = f"process {holder}" if holder else "another process"
        raise UserError(f"{run} is being trained by {who}; stop it first (echo stop >> {RunLayout(run).control}), "
                        "or resume a copy of the run") from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    _HELD[key] = fd


def _lock_briefly_retrying(fd: int, tries: int = 5) -> None:
    """flock, retried for ~0.1 s: `holder()` (the monitor) takes a shared lock for an instant
    to look, which must not make a trainer starting at that moment refuse itself."""
    import time

    for attempt in range(tries):
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if attempt == tries - 1:
                raise
            time.sleep(0.02)


def release(run: Path) -> None:
    """Give the lock up (closing the file releases it); a no-op when not held."""
    fd = _HELD.pop(Path(run).resolve(), None)
    if fd is not None:
        os.close(fd)


def holder(run: Path) -> int | None:
    """The pid of the process that holds `run`'s lock now, or None (torch-free, for readers)."""
    path = RunLayout(run).lock
    if fcntl is None or not path.is_file():
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:  # a shared lock is refused exactly while a writer holds its exclusive one
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return _read_pid(fd) or -1
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode(errors="replace").strip()
        return int(text) if text.isdigit() else None
    except OSError:
        return None
