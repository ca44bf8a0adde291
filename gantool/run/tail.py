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
    """

    def __init__(self, path: Path, from_end: bool = False):
        self.path = Path(path)
        self.offset = 0
        self.inode: int | None = None
        self.partial = b""
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
            self.offset, self.partial = 0, b""
        self.inode = st.st_ino
        if st.st_size == self.offset:
            return [], reset
        with open(self.path, "rb") as fh:
            fh.seek(self.offset)
            data = fh.read(st.st_size - self.offset)  # the writer may be ahead by now: read what was stat'ed
        self.offset += len(data)
        *lines, self.partial = (self.partial + data).split(b"\n")
        return lines, reset
