"""Batches read from the decoded cache file as training goes, for sets larger than memory.

A background thread walks its own copy of the batch order one to `depth` batches ahead of
the loop and reads each batch's rows (this process's share only) from the cache's `.npy`
with positioned reads into a ring of buffers, pinned on a GPU so the copy to the device is
asynchronous. The loop takes the next filled buffer, checks that it holds the indices the
loop itself drew (the order is the in-memory path's, bit for bit), and hands the buffer back
one batch later, after an event says the device copy is done.

Why reads and not the memory map: every page a map touches counts in the process's
resident memory until the kernel needs it back, so a map of a set larger than RAM looks
like (and under a memory limit, is) using all of it. Reads go through the page cache only.
"""

from __future__ import annotations

import functools
import mmap
import os
import queue
import threading
import weakref
from typing import Any, Callable

import numpy as np
import torch

from gantool.core.errors import UserError

DEPTH = 4  # batches read ahead: enough to hide a slow read behind a few steps


def file_backed(x: np.ndarray) -> bool:
    """Whether `x` is a whole uint8 `.npy` memory map that can be read by rows from its file."""
    if not (isinstance(x, np.memmap) and isinstance(x.base, mmap.mmap) and x.filename and x.dtype == np.uint8
            and x.flags.c_contiguous and x.ndim >= 2):
        return False  # a slice of a map keeps the map's filename and offset but not its first row
    try:
        return os.path.getsize(x.filename) == x.offset + x.nbytes
    except OSError:
        return False


class Prefetcher:
    """Batches of rows of `x` (a file-backed memory map) in the order `next_indices` draws;
    `next_indices` must be a private copy of the loop's order (it runs in the thread)."""

    def __init__(self, x: np.memmap, next_indices: Callable[[], torch.Tensor], rows: int, device: torch.device,
                 depth: int = DEPTH):
        self.device = device
        pinned = device.type == "cuda"
        self._free: queue.Queue = queue.Queue()
        for _ in range(depth + 2):  # depth ready, one being filled, one lent to the loop
            self._free.put((torch.empty((rows, *x.shape[1:]), dtype=torch.uint8, pin_memory=pinned), None))
        self._ready: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._lent: tuple[torch.Tensor, Any] | None = None
        fd = os.open(x.filename, os.O_RDONLY)
        reader = _RowReader(fd, int(x.offset), int(np.prod(x.shape[1:])), len(x), str(x.filename))
        self._thread = threading.Thread(target=_fill, args=(reader, next_indices, self._free, self._ready, self._stop),
                                        name="gantool-prefetch", daemon=True)
        self._thread.start()
        weakref.finalize(self, self._stop.set)  # a dropped Prefetcher ends its thread

    def take(self, idx: torch.Tensor) -> torch.Tensor:
        """The rows `idx` on the device (uint8); the buffer lent last time goes back first."""
        self._give_back()
        got, buf = self._ready.get()
        if isinstance(buf, BaseException):
            raise buf
        if not torch.equal(got, idx.cpu()):  # an internal error: the two copies of the order diverged
            raise RuntimeError("the prefetched batch order diverged from the loop's")
        x = buf.to(self.device, non_blocking=True)
        event = None
        if self.device.type == "cuda":  # the buffer may be refilled only once this copy is done
            event = torch.cuda.Event()
            event.record()
        self._lent = (buf, event)
        return x

    def _give_back(self) -> None:
        if self._lent is not None:
            self._free.put(self._lent)
            self._lent = None

    def close(self) -> None:
        """Stop the thread and wait for it: its file is closed and its buffers are free on return."""
        self._stop.set()
        self._thread.join(timeout=10)


class _RowReader:
    def __init__(self, fd: int, offset: int, row: int, n: int, path: str):
        self.fd, self.offset, self.row, self.n, self.path = fd, offset, row, n, path

    def read(self, idx: np.ndarray, out: np.ndarray) -> None:
        """Rows `idx` into `out` [len(idx), row], in file order (the disk seeks less)."""
        for j in np.argsort(idx, kind="stable"):
            got = os.preadv(self.fd, [memoryview(out[j])], self.offset + int(idx[j]) * self.row)
            if got != self.row:
                raise UserError(f"the decoded cache {self.path} is shorter than it was when training started "
                                "(changed on disk?); delete it and start again")


def _fill(reader: _RowReader, next_indices: Callable[[], torch.Tensor], free: queue.Queue, ready: queue.Queue,
          stop: threading.Event) -> None:
    """The thread: draw the next indices, wait for a free buffer, read, hand it over."""
    try:
        while not stop.is_set():
            idx = next_indices()
            buf = _wait(free.get, stop)
            if buf is None:
                return
            tensor, event = buf
            if event is not None:
                event.synchronize()
            reader.read(idx.numpy(), tensor.numpy().reshape(len(idx), -1))
            if not _wait(functools.partial(_put, ready, (idx, tensor)), stop):
                return
    except BaseException as exc:  # shown to the loop at its next batch
        _wait(functools.partial(_put, ready, (None, exc)), stop)
    finally:
        os.close(reader.fd)


def _put(into: queue.Queue, item: Any, timeout: float) -> bool:
    into.put(item, timeout=timeout)
    return True


def _wait(op: Callable[..., Any], stop: threading.Event) -> Any:
    """`op(timeout=...)` retried until it succeeds or `stop` is set (then None)."""
    while not stop.is_set():
        try:
            return op(timeout=0.1)
        except (queue.Empty, queue.Full):
            continue
    return None
