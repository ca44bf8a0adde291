"""The run's `control` file: the monitor (or a user's `echo stop >> control`) appends
commands, one a line; the trainer polls it cheaply.

Polling is a stat() at most every `interval` seconds (tail.FileTail); only new complete
lines count, and what the file held before the poller was made is history. Unknown words
are ignored, so a typo never stops a run.
"""

from __future__ import annotations

import time
from pathlib import Path

from gantool.core.fsutil import append_line
from gantool.run.layout import RunLayout
from gantool.run.tail import FileTail

COMMANDS = ("pause", "resume", "stop", "checkpoint", "sample")


class ControlFile:
    """The trainer's side: `due()` says whether a poll is worth it, `poll()` reads."""

    def __init__(self, path: Path, interval: float = 0.5):
        self.path = Path(path)
        self.interval = interval
        self._tail = FileTail(self.path, from_end=True)  # old commands are history
        self._next_poll = 0.0

    def due(self) -> bool:
        return time.monotonic() >= self._next_poll

    def poll(self) -> list[str]:
        """New commands since the last poll (unknown words are ignored)."""
        self._next_poll = time.monotonic() + self.interval
        lines, _ = self._tail.read_lines()  # a replaced or truncated file is read from its start
        words = (line.decode(errors="replace").strip().lower() for line in lines)
        return [w for w in words if w in COMMANDS]


def send(run_dir: Path, command: str) -> None:
    """Append one command for a trainer to pick up (used by the monitor and tests)."""
    if command not in COMMANDS:
        raise ValueError(f"unknown control command {command!r}")
    append_line(RunLayout(run_dir).control, command)
