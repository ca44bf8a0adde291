"""Following a file that another process appends whole lines to (metrics, events, control).

`FileTail` remembers a byte offset and hands out only complete lines: a last line without
its newline is still being written and is kept back until the rest arrives. A file that
shrank (truncated) or has another inode (replaced by an atomic rename, as resume's
metrics trim does) is read again from its start, and the caller is told so. A missing file
reads as empty; when it appears it is read from the start.
"""

from __future__ import annotations

import os
from pathlib import Path


class FileTail:
    """New complete lines of `path` since the last `read_lines()`.

    `from_end=True` skips what the file already holds when the tail is made (the control
    file: commands written before a trainer started are history, not orders).
    `max_line` bounds memory for files anyone can write to: a longer line is handed out cut
    to its first `max_line` bytes (and `cut` counts such lines), and one call reads at most
    `max_read` bytes, so a runaway writer can neither bloat nor stall the reader.
    """

    def __init__(self, path: Path, from_end: bool = False, max_line: int | None = None, max_read: int | None = None):
        self.path = Path(path)
        self.offset = 0
        self.inode: int | None = None
        self.partial = b""
        self.partial_len = 0  # the pending line's true length (more than len(partial) once cut)
        self.max_line, self.max_read = max_line, max_read
        self.cut = 0
        if from_end:
            try:
                st = os.stat(self.path)
            except FileNotFoundError:
                return
            self.offset, self.inode = st.st_size, st.st_ino

    def read_lines(self) -> tuple[list[bytes], bool]:
        """(new complete lines without their newline, whether the file started over)."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return [], False
        reset = self.inode is not None and (st.st_ino != self.inode or st.st_size < self.offset)
        if reset:
            self.offset, self.partial, self.partial_len = 0, b"", 0
        self.inode = st.st_ino
        if st.st_size == self.offset:
            return [], reset
        budget = st.st_size - self.offset  # the writer may be ahead by now: read what was stat'ed
        if self.max_read is not None:
            budget = min(budget, self.max_read)
        lines: list[bytes] = []
        with open(self.path, "rb") as fh:
            fh.seek(self.offset)
            while budget > 0:
                data = fh.read(min(budget, 1 << 20))
                if not data:
                    break
                budget -= len(data)
                self.offset += len(data)
                lines += self._split(data)
        return lines, reset

    def take_partial(self) -> bytes:
        """Hand out the pending line as if it had ended (a writer that never sent the newline)."""
        line, self.partial, self.partial_len = self.partial, b"", 0
        return line

    def _split(self, data: bytes) -> list[bytes]:
        *complete, rest = data.split(b"\n")
        out = []
        for piece in complete:
            self._extend(piece)
            if self.partial_len > len(self.partial):
                self.cut += 1
            out.append(self.take_partial())
        self._extend(rest)
        return out

    def _extend(self, piece: bytes) -> None:
        self.partial_len += len(piece)
        room = len(piece) if self.max_line is None else max(0, self.max_line - len(self.partial))
        self.partial += piece[:room]
