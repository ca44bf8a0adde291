"""The run's `control` file: the monitor (or a user's `echo stop >> control`) appends
commands, one a line; the trainer polls it cheaply.

Polling is a stat() at most every `interval` seconds (tail.FileTail); only new complete
lines count, and what the file held before the poller was made is history. Anyone can
write this file, so it is read defensively: lines are cut at MAX_LINE bytes and one poll
reads at most MAX_READ; a line still missing its newline at the next poll is taken as
ended (`printf junk >> control` must not swallow the next command). A line that ends in a
command word is obeyed as that command (`junksample`: a `printf` without newline followed by
an `echo` within one poll), the junk before it reported; note that this makes `nostop` a
stop. Any other line is never obeyed, but reported through `ignored` (a typo never stops a
run, and never goes unnoticed).
"""

from __future__ import annotations

import time
from pathlib import Path

from gantool.core.fsutil import append_line
from gantool.run.layout import RunLayout
from gantool.run.tail import FileTail

COMMANDS = ("pause", "resume", "stop", "checkpoint", "sample")
MAX_LINE = 256
MAX_READ = 16 << 20


class ControlFile:
    """The trainer's side: `due()` says whether a poll is worth it, `poll()` reads, and
    `ignored` collects what was not a command (the trainer reports and clears it)."""

    def __init__(self, path: Path, interval: float = 0.5):
        self.path = Path(path)
        self.interval = interval
        self._tail = FileTail(self.path, from_end=True, max_line=MAX_LINE, max_read=MAX_READ)  # old commands are history
        self._next_poll = 0.0
        self._pending_at: int | None = None  # the offset at which a line without newline was last seen
        self.ignored: list[str] = []

    def due(self) -> bool:
        return time.monotonic() >= self._next_poll

    def poll(self) -> list[str]:
        """New commands since the last poll."""
        self._next_poll = time.monotonic() + self.interval
        cut_before = self._tail.cut
        lines, _ = self._tail.read_lines()  # a replaced or truncated file is read from its start
        if self._tail.partial_len and self._pending_at == self._tail.offset:
            lines.append(self._tail.take_partial())  # no newline came since the last poll: it is not coming
        self._pending_at = self._tail.offset if self._tail.partial_len else None
        commands = []
        for line in lines:
            word = line.decode(errors="replace").strip().lower()
            command = word if word in COMMANDS else next((c for c in COMMANDS if word.endswith(c)), None)
            if command is not None:
                commands.append(command)
            if command != word and word:
                self.ignored.append(_shown(word[: len(word) - len(command)] if command else word))
        if self._tail.cut > cut_before:
            self.ignored.append(f"{self._tail.cut - cut_before} line(s) longer than {MAX_LINE} bytes")
        return commands


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "...")


def send(run_dir: Path, command: str) -> None:
    """Append one command for a trainer to pick up (used by the monitor and tests)."""
    if command not in COMMANDS:
        raise ValueError(f"unknown control command {command!r}")
    append_line(RunLayout(run_dir).control, command)
