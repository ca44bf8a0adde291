"""The `control` file: the monitor appends commands, the trainer polls it cheaply.

Polling is a stat() at most every `interval` seconds; only new complete lines are read.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

COMMANDS = ("pause", "resume", "stop", "checkpoint", "sample")


class ControlFile:
    def __init__(self, path: Path, interval: float = 0.5):
        self.path = Path(path)
        self.interval = interval
        self.offset = self.path.stat().st_size if self.path.exists() else 0  # old commands are history
        self._next_poll = 0.0
        self._partial = b""

    def due(self) -> bool:
        return time.monotonic() >= self._next_poll

    def poll(self) -> list[str]:
        """New commands since the last poll (unknown words are ignored)."""
        self._next_poll = time.monotonic() + self.interval
        try:
            size = os.stat(self.path).st_size
        except FileNotFoundError:
            return []
        if size < self.offset:  # the file was replaced or truncated: start over
            self.offset = 0
        if size == self.offset:
            return []
        with open(self.path, "rb") as fh:
            fh.seek(self.offset)
            data = self._partial + fh.read(size - self.offset)
        self.offset = size
        *lines, self._partial = data.split(b"\n")
        words = (line.decode(errors="replace").strip().lower() for line in lines)
        return [w for w in words if w in COMMANDS]


def send(run_dir: Path, command: str) -> None:
    """Append one command for a trainer to pick up (used by the monitor and tests)."""
    if command not in COMMANDS:
        raise ValueError(f"unknown control command {command!r}")
    from gantool.core.fsutil import append_line

    append_line(Path(run_dir) / "control", command)
