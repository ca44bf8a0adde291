"""Decode an image source once, in parallel, into a cache that later starts memory-map.

A `Source` is a folder or a zip of image files with their class labels. The first use at a
given size and channel count decodes every file in a pool of worker processes, each writing
its rows straight into a preallocated uint8 `.npy` of shape [N, C, S, S]; later starts open
that file as a memory map (copy-on-write, so torch may wrap it) in milliseconds.

Layout, under $GANTOOL_HOME/data/decoded/<hash of kind and path>-<S>x<C>/:

- `index.json`: the commit record, written last and atomically. It names the image, label
  and listing files (with a token in their names), their byte sizes, the sha256 of the
  source's listing, the shape and the unreadable files.
- `images-<token>.npy`, `labels-<token>.npy`, `files-<token>.json` (the source listing:
  names with sizes and mtimes, or zip members with sizes and CRCs).

Invariants:
- a cache is used only when index.json parses, its version and shape match the request, the
  listing digest (of the source's listing as it is now, and DECODER: how pixels are made)
  matches, and each file it names exists with the
  recorded byte size and opens as the recorded shape; anything else is rebuilt, never trusted
  (a flipped bit inside the pixels is not detected: hashing them would cost the fast start);
- data files are never rewritten in place: a rebuild writes files under a new token and then
  replaces index.json, so a process that has the old files mapped keeps valid data;
- one builder per entry at a time (an flock on `.lock`): --nproc ranks decode once.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import os
import secrets
import sys
import tempfile
import zipfile
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
from PIL import Image, UnidentifiedImageError

from gantool.core.cache import cache_dir
from gantool.core.errors import UserError
from gantool.core.fsutil import atomic_write_json
from gantool.data.images import fit_pil

VERSION = 1  # the cache layout
# how pixels are made (gantool.data.images.to_8bit / fit_pil, the JPEG draft scale): bump it
# when they change, so every cache decoded the old way is decoded again
DECODER = 2  # 2: 32-bit and float grey images scaled by their mode, not their pixels
INLINE_BELOW = 256  # fewer files than this decode in this process: a pool costs more to start
DECODE_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, zipfile.BadZipFile,
                 Image.DecompressionBombError)


@dataclass
class Source:
    """Image files to decode: `names` relative to `root` (a folder, or a zip file when
    kind is "zip"), in order; `listing` is what a change is detected by."""

    kind: str
    root: Path
    names: list[str]
    listing: list[list[Any]]
    labels: np.ndarray | None = None
    num_classes: int = 0

    @property
    def label(self) -> str:
        return f"{self.kind} {self.root}"


@dataclass
class Decoded:
    """A decoded source: `x` is a memory map of the kept images, `unreadable` the files that
    could not be decoded as (name, reason), `built` whether this call decoded."""

    x: np.ndarray
    labels: np.ndarray | None
    num_classes: int
    unreadable: list[list[str]] = field(default_factory=list)
    built: bool = False
    path: Path | None = None


def _key(source: Source) -> str:
    return hashlib.sha256(f"{source.kind}:{source.root.resolve()}".encode()).hexdigest()[:20]


def entry_dir(source: Source, size: int, channels: int) -> Path:
    """The cache folder of `source` at this shape (not created)."""
    return cache_dir("data", "decoded", create=False) / f"{_key(source)}-{size}x{channels}"


def entries(source: Source) -> list[tuple[Path, dict[str, Any] | None, bool]]:
    """Every cache folder of `source`: (folder, its index or None when unreadable, current)."""
    digest = listing_digest(source.listing)
    found = []
    for entry in sorted(cache_dir("data", "decoded", create=False).glob(f"{_key(source)}-*")):
        index = read_index(entry)
        if index is not None:
            c, s, _ = index.get("shape", [0, 0, 0])
            current = open_entry(entry, digest, s, c) is not None
        else:
            current = False
        found.append((entry, index, current))
    return found


def listing_digest(listing: list[list[Any]]) -> str:
    """What a cache must have been decoded from: the source's listing and the decoder."""
    return hashlib.sha256(json.dumps([DECODER, listing], separators=(",", ":")).encode()).hexdigest()


def load(source: Source, size: int, channels: int, *, workers: int | None = None, progress: bool = True,
         use_cache: bool = True) -> Decoded:
    """The decoded images of `source`, from the cache when it is current, else decoded now.
    `use_cache=False` decodes into a temporary folder and returns the images in memory."""
    entry = entry_dir(source, size, channels)
    digest = listing_digest(source.listing)
    if use_cache and (hit := open_entry(entry, digest, size, channels)) is not None:
        return hit
    try:
        if not use_cache:
            with tempfile.TemporaryDirectory(prefix="gantool-decode-") as scratch:
                decoded = _build(source, Path(scratch), digest, size, channels, workers, progress)
                decoded.x = np.array(decoded.x)  # into memory: the files go now
                return decoded
        entry.mkdir(parents=True, exist_ok=True)
        with _locked(entry / ".lock"):
            if (hit := open_entry(entry, digest, size, channels)) is not None:  # another process built it
                return hit
            return _build(source, entry, digest, size, channels, workers, progress)
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT):
            raise
        where = entry.parent if use_cache else Path(tempfile.gettempdir())
        raise UserError(f"cannot write the decoded images ({n_bytes(source, size, channels) / 2**30:.2f} GiB) "
                        f"under {where}: {exc.strerror}; free space there, or set GANTOOL_HOME to another folder"
                        ) from None


def n_bytes(source: Source, size: int, channels: int) -> int:
    """The size of the decoded images of `source` at this shape."""
    return len(source.names) * channels * size * size


def read_index(entry: Path) -> dict[str, Any] | None:
    try:
        index = json.loads((entry / "index.json").read_text())
    except (OSError, ValueError):
        return None
    return index if isinstance(index, dict) and index.get("version") == VERSION else None


def open_entry(entry: Path, digest: str, size: int, channels: int) -> Decoded | None:
    """The cache at `entry` if it is complete and matches; None means rebuild."""
    index = read_index(entry)
    if index is None or index.get("listing_sha256") != digest:
        return None
    try:
        count = int(index["count"])
        x = _open_npy(entry / index["images"], index["images_bytes"], (count, channels, size, size), np.uint8)
        labels = None
        if index.get("labels"):
            labels = np.array(_open_npy(entry / index["labels"], index["labels_bytes"], (count,), np.int64))
        if x is None or (index.get("labels") and labels is None):
            return None
        return Decoded(x=x, labels=labels, num_classes=int(index["num_classes"]),
                       unreadable=list(index.get("unreadable", [])), path=entry)
    except (KeyError, TypeError, ValueError):
        return None


def _open_npy(path: Path, nbytes: Any, shape: tuple[int, ...], dtype: Any) -> np.ndarray | None:
    try:
        if path.stat().st_size != nbytes:
            return None
        arr = np.load(path, mmap_mode="c", allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    return arr if arr.shape == shape and arr.dtype == dtype else None


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # Windows: no lock; two builders would each write their own token
        yield
        return
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _build(source: Source, entry: Path, digest: str, size: int, channels: int, workers: int | None,
           progress: bool) -> Decoded:
    token = secrets.token_hex(6)
    n = len(source.names)
    first = entry / f"decoding-{token}.npy"
    out = np.lib.format.open_memmap(first, mode="w+", dtype=np.uint8, shape=(n, channels, size, size))
    del out  # the workers open it themselves
    try:
        _reserve(first)
        errors = decode_all(source, first, size, channels, workers, progress)
    except BaseException:  # Ctrl-C, a full disk, a worker killed: leave no half-written file
        first.unlink(missing_ok=True)
        raise
    bad = {i for i, _ in errors}
    keep = np.array([i for i in range(n) if i not in bad], dtype=np.int64)
    images = entry / f"images-{token}.npy"
    if bad:
        _compact(first, images, keep)
        first.unlink()
    else:
        os.replace(first, images)
    _fsync(images)
    labels = source.labels[keep] if source.labels is not None else None
    index: dict[str, Any] = {"version": VERSION, "source": str(source.root.resolve()), "kind": source.kind,
                             "listing_sha256": digest, "count": len(keep), "shape": [channels, size, size],
                             "images": images.name, "images_bytes": images.stat().st_size,
                             "num_classes": source.num_classes if labels is not None else 0,
                             "unreadable": [[source.names[i], why] for i, why in sorted(errors)],
                             "files": f"files-{token}.json", "labels": None}
    if labels is not None:
        lpath = entry / f"labels-{token}.npy"
        np.save(lpath, labels.astype(np.int64))
        _fsync(lpath)
        index.update(labels=lpath.name, labels_bytes=lpath.stat().st_size)
    atomic_write_json(entry / index["files"], source.listing)
    atomic_write_json(entry / "index.json", index)
    _remove_stale(entry, index)
    hit = open_entry(entry, digest, size, channels)
    if hit is None:  # only a concurrent writer without the lock could cause this
        raise OSError(f"the decoded cache at {entry} vanished while it was written")
    hit.built = True
    return hit


def _reserve(path: Path) -> None:
    """Allocate the file's blocks now: a full disk is then an OSError here, not a SIGBUS in a
    worker writing through its memory map into a sparse file."""
    if not hasattr(os, "posix_fallocate"):
        return
    fd = os.open(path, os.O_RDWR)
    try:
        os.posix_fallocate(fd, 0, os.fstat(fd).st_size)
    except OSError as exc:
        if exc.errno in (errno.EOPNOTSUPP, errno.EINVAL):  # a file system without it: write as we go
            return
        raise
    finally:
        os.close(fd)


def _compact(src: Path, dst: Path, keep: np.ndarray) -> None:
    """Copy the rows `keep` of the .npy `src` into a new .npy `dst`, in slices (bounded memory)."""
    full = np.load(src, mmap_mode="r")
    out = np.lib.format.open_memmap(dst, mode="w+", dtype=np.uint8, shape=(len(keep), *full.shape[1:]))
    for lo in range(0, len(keep), 1024):
        out[lo : lo + 1024] = full[keep[lo : lo + 1024]]
    out.flush()
    del out, full


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_stale(entry: Path, index: dict[str, Any]) -> None:
    """Files of earlier or crashed builds (we hold the lock, so none is being written)."""
    live = {"index.json", ".lock", index["images"], index["files"], index.get("labels") or ""}
    for path in entry.iterdir():
        if path.name not in live:
            with contextlib.suppress(OSError):
                path.unlink()


def decode_all(source: Source, npy: Path, size: int, channels: int, workers: int | None,
               progress: bool) -> list[tuple[int, str]]:
    """Decode every file of `source` into row i of the .npy `npy`; returns (i, reason) of
    the files that could not be decoded."""
    n = len(source.names)
    workers = max(1, min(workers or os.cpu_count() or 1, n))
    step = max(16, min(256, n // (workers * 8) or 1))
    jobs = [(source.kind, str(source.root), source.names[lo : lo + step], lo, str(npy), size, channels)
            for lo in range(0, n, step)]
    with _progress_bar(n, f"decoding {source.label}", progress) as advance:
        if workers > 1 and n >= INLINE_BELOW:
            try:
                return _decode_in_pool(jobs, workers, advance)
            except BrokenProcessPool as exc:
                # a worker could not start (a __main__ that spawn cannot re-import, such as a
                # script read from stdin) or was killed (out of memory): slower, but it finishes
                print(f"note: decoding worker processes failed ({exc}); decoding in this process", file=sys.stderr)
        errors: list[tuple[int, str]] = []
        for job in jobs:
            errors += decode_chunk(job)
            advance(len(job[2]))
        return errors


def _decode_in_pool(jobs: list[tuple], workers: int, advance: Callable[[int], None]) -> list[tuple[int, str]]:
    import multiprocessing

    errors: list[tuple[int, str]] = []
    # spawn, not fork: the caller may have torch's threads running, which fork does not copy
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(decode_chunk, job): len(job[2]) for job in jobs}
        for future in as_completed(futures):
            errors += future.result()
            advance(futures[future])
    return errors


def decode_chunk(job: tuple) -> list[tuple[int, str]]:
    """In a worker: decode `names` into rows start.. of the shared .npy."""
    kind, root, names, start, npy, size, channels = job
    out = np.load(npy, mmap_mode="r+")
    errors = []
    with open_reader(kind, root) as read:
        for i, name in enumerate(names):
            try:
                with Image.open(read(name)) as img:
                    # a JPEG decodes at 1/2, 1/4 or 1/8 scale in the DCT when both sides stay
                    # >= size: several times faster for photos far larger than the target
                    img.draft(None, (size, size))
                    img.load()
                    out[start + i] = fit_pil(img, size, channels)
            except DECODE_ERRORS as exc:
                errors.append((start + i, type(exc).__name__))
    out.flush()
    del out
    return errors


@contextlib.contextmanager
def open_reader(kind: str, root: str) -> Iterator[Callable[[str], Any]]:
    """`read(name)`: something PIL can open for a file of the source."""
    if kind == "zip":
        with zipfile.ZipFile(root) as zf:
            yield lambda name: io.BytesIO(zf.read(name))
    else:
        yield lambda name: os.path.join(root, name)


@contextlib.contextmanager
def _progress_bar(total: int, label: str, show: bool) -> Iterator[Callable[[int], None]]:
    if not (show and sys.stderr.isatty() and total > 200):
        yield lambda k: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  transient=True, console=Console(stderr=True)) as bar:
        task = bar.add_task(label, total=total)
        yield lambda k: bar.advance(task, k)
