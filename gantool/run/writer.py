"""Writing a run directory: one folder per run, never overwritten (names in layout.py).

Every file is written so a reader (the monitor, another terminal, a crash) always sees
valid content: JSONL files only ever gain whole lines, other files are replaced
atomically. Resume repairs what a kill -9 can leave behind (a half last line, a hidden
temp file of an interrupted atomic write, a periodic checkpoint not yet linked).

A `RunDir` is the one writer of its run: `create` and `open` take the run's lock
(run/lock.py) before writing anything, and a second trainer of the same run is refused.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from gantool.core.errors import UserError
from gantool.core.fsutil import append_jsonl, atomic_write_json, atomic_write_text
from gantool.run import lock
from gantool.run.layout import CHECKPOINTS, CONFIG, RunLayout

TEMP_SUFFIXES = (".tmp", ".link")  # fsutil.atomic_write's and checkpoint.save's hidden temp files


class RunDir:
    """The trainer's handle on its run directory. `path`, `samples`, `checkpoints` and
    `file(name)` are the paths; `layout` names every other one."""

    def __init__(self, path: Path):
        self.layout = RunLayout(path)
        self.path = self.layout.path
        self.samples = self.layout.samples
        self.checkpoints = self.layout.checkpoints

    @classmethod
    def create(cls, project: str | Path, model: str, name: str) -> RunDir:
        """Make `project/model/name`, or `name-2`, `name-3`, ... if it exists (mkdir is atomic)."""
        parent = Path(project) / model
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"cannot create run folder under {parent}: {exc.strerror}") from None
        for i in range(1, 10_000):
            path = parent / (name if i == 1 else f"{name}-{i}")
            try:
                path.mkdir()
            except FileExistsError:
                continue
            run = cls(path)
            run.acquire_lock()
            run.samples.mkdir()
            run.checkpoints.mkdir()
            return run
        raise UserError(f"too many runs named {name!r} in {parent}; pick another --name")

    @classmethod
    def open(cls, path: Path) -> RunDir:
        run = cls(path)
        if not run.layout.config.is_file() and not run.checkpoints.is_dir():
            raise UserError(f"{path} is not a gantool run directory (no {CONFIG} or {CHECKPOINTS}/)")
        run.acquire_lock()
        try:
            run.samples.mkdir(exist_ok=True)
            run.checkpoints.mkdir(exist_ok=True)
        except OSError as exc:
            raise UserError(f"cannot write to run directory {path} ({exc.strerror}); nothing was changed") from None
        return run

    def acquire_lock(self) -> None:
        """Become the run's one writer (again: a no-op while this process holds it)."""
        lock.acquire(self.path)

    def release_lock(self) -> None:
        lock.release(self.path)

    def file(self, name: str) -> Path:
        return self.path / name

    def write_config(self, text: str) -> None:
        atomic_write_text(self.layout.config, text)

    def event(self, event: str, step: int, **details: Any) -> None:
        append_jsonl(self.layout.events, {"time": round(time.time(), 3), "event": event, "step": step, **details})

    def metrics(self, record: dict[str, Any]) -> None:
        append_jsonl(self.layout.metrics, record)

    def status(self, **fields: Any) -> None:
        atomic_write_json(self.layout.status, {"pid": os.getpid(), "heartbeat": round(time.time(), 3), **fields})

    def trim_metrics(self, last_step: int) -> int:
        """On resume: drop metric lines after the checkpoint and any half-written last line.

        Returns how many lines were dropped; the file is replaced atomically (a reader's
        tail sees a new inode and reads it again).
        """
        path = self.layout.metrics
        if not path.exists():
            return 0
        kept, dropped = [], 0
        for line in path.read_text().splitlines(keepends=True):
            try:
                ok = line.endswith("\n") and json.loads(line).get("step", 0) <= last_step
            except json.JSONDecodeError:
                ok = False
            if ok:
                kept.append(line)
            else:
                dropped += 1
        if dropped:
            atomic_write_text(path, "".join(kept))
        return dropped

    def remove_temp_files(self) -> int:
        """A kill -9 during an atomic write leaves its hidden temp file; resume clears them
        (returns how many). A periodic checkpoint's `.step-N.pt.link` is the exception: it
        is a hard link to a complete `last.pt`, so the kill came between the link and its
        rename, and the rename is finished instead of losing `step-N.pt`."""
        stale = [p for folder in (self.path, self.samples, self.checkpoints)
                 for p in folder.glob(".*") if p.is_file() and p.suffix in TEMP_SUFFIXES]
        removed = 0
        for path in stale:
            target = path.with_name(path.name[1:].removesuffix(".link"))
            if path.suffix == ".link" and path.parent == self.checkpoints and not target.exists():
                os.replace(path, target)
                continue
            path.unlink(missing_ok=True)
            removed += 1
        return removed

    def repair_events(self) -> None:
        """A kill -9 can leave a partial last line; drop it so every line parses."""
        path = self.layout.events
        if path.exists():
            text = path.read_text()
            if text and not text.endswith("\n"):
                atomic_write_text(path, text[: text.rfind("\n") + 1])


class SilentRunDir(RunDir):
    """What a data-parallel process other than rank 0 trains into: the same interface,
    nothing written (rank 0 writes the run directory for all of them)."""

    def write_config(self, text: str) -> None:
        pass

    def event(self, event: str, step: int, **details: Any) -> None:
        pass

    def metrics(self, record: dict[str, Any]) -> None:
        pass

    def status(self, **fields: Any) -> None:
        pass

    def acquire_lock(self) -> None:  # rank 0 holds the run's lock for every process
        pass

    def release_lock(self) -> None:
        pass


def writer_pid(status: dict[str, Any], stale_after: float = 30.0) -> int | None:
    """From a parsed status.json: the pid of the trainer still writing the run, or None
    (finished, crashed, or no heartbeat for `stale_after` seconds)."""
    pid = status.get("pid")
    if status.get("state") not in ("running", "paused") or not isinstance(pid, int):
        return None
    if time.time() - float(status.get("heartbeat", 0)) > stale_after:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, owned by someone else
    return pid
