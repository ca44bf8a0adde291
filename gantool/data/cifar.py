"""CIFAR-10 and CIFAR-100 from their *binary* distributions (never the Python pickles:
unpickling a downloaded file runs whatever code it holds).

The archives (cifar-10-binary.tar.gz, cifar-100-binary.tar.gz from the authors' page) hold
fixed-size records: CIFAR-10 `<label><3072 pixels>` in data_batch_1..5.bin and
test_batch.bin; CIFAR-100 `<coarse label><fine label><3072 pixels>` in train.bin and
test.bin. The pixels are three 32x32 planes (R, G, B), rows in order: already [C, H, W].

The archive is downloaded once (gantool.core.download, pinned by the sha256 of the .tar.gz
as published) and kept as it is; each start reads the split's members from it.

Invariants: members are read from the tar stream, never extracted to disk; every member
must hold whole records and labels in range, so a wrong or damaged file is one line (the
pinned hash already refuses a damaged download; these checks guard a foreign archive).
"""

from __future__ import annotations

import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gantool.core.cache import cache_dir
from gantool.core.download import RemoteFile, fetch
from gantool.core.errors import UserError
from gantool.data.images import fit_array
from gantool.specs import DataArrays, DataRequest

PIXELS = 3 * 32 * 32
HOSTS = ("https://www.cs.toronto.edu/~kriz",)
FILES = {
    "cifar10": RemoteFile("cifar-10-binary.tar.gz",
                          "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd", 170052171, HOSTS),
    "cifar100": RemoteFile("cifar-100-binary.tar.gz",
                           "58a81ae192c23a4be8b1804d68e518ed807d710a4eb253b1f2a199162a40d8ec", 168513733, HOSTS),
}


@dataclass(frozen=True)
class Layout:
    """Where a CIFAR variant keeps its records, and how they are laid out."""

    title: str
    folder: str
    splits: dict[str, tuple[str, ...]]
    label_bytes: int  # 1: the class; 2: coarse then fine
    num_classes: int
    per_file: dict[str, int]  # records in each member of the published archive


CIFAR10 = Layout("CIFAR-10", "cifar-10-batches-bin",
                 {"train": tuple(f"data_batch_{i}.bin" for i in range(1, 6)), "test": ("test_batch.bin",)},
                 1, 10, {**{f"data_batch_{i}.bin": 10000 for i in range(1, 6)}, "test_batch.bin": 10000})
CIFAR100 = Layout("CIFAR-100", "cifar-100-binary", {"train": ("train.bin",), "test": ("test.bin",)},
                  2, 100, {"train.bin": 50000, "test.bin": 10000})


def parse_records(raw: bytes, layout: Layout, member: str, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Images uint8 [N, 3, 32, 32] and labels int64 [N] (the fine label for CIFAR-100)."""
    record = layout.label_bytes + PIXELS
    if not raw or len(raw) % record:
        raise UserError(f"{source}: {member} holds {len(raw)} bytes, not whole records of {record}; "
                        f"it is not the {layout.title} binary archive, or it is damaged")
    count = len(raw) // record
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(count, record)
    labels = rows[:, layout.label_bytes - 1].astype(np.int64)
    if labels.max() >= layout.num_classes:
        raise UserError(f"{source}: {member} has label {labels.max()}; {layout.title} has {layout.num_classes} classes")
    return rows[:, layout.label_bytes:].reshape(count, 3, 32, 32), labels


def read_archive(path: Path, layout: Layout, split: str) -> tuple[np.ndarray, np.ndarray]:
    """The split's images and labels from the binary .tar.gz (or .tar) at `path`."""
    if split not in layout.splits:
        raise UserError(f"{layout.title} has splits 'train' and 'test', not {split!r}")
    source = f"{layout.title} archive {path}"
    wanted = {f"{layout.folder}/{name}": name for name in layout.splits[split]}
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(path, "r:*") as tar:
            for member in tar:
                if member.name in wanted and member.isfile():
                    fh = tar.extractfile(member)
                    found[wanted[member.name]] = fh.read() if fh is not None else b""
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise UserError(f"{source} cannot be read ({type(exc).__name__}: {str(exc)[:100]}); "
                        "delete it to download it again, or replace it") from None
    missing = [name for name in layout.splits[split] if name not in found]
    if missing:
        raise UserError(f"{source} has no {layout.folder}/{missing[0]}; it is not the {layout.title} binary archive "
                        "(the Python pickle version is not read)")
    parts = [parse_records(found[name], layout, name, source) for name in layout.splits[split]]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _load(key: str, layout: Layout, arg: str | None, request: DataRequest) -> DataArrays:
    split = arg or request.split
    if split not in layout.splits:  # before any download
        raise UserError(f"{key} has splits 'train' and 'test', not {split!r} (use {key}:test)")
    archive = fetch(FILES[key], cache_dir("data", key, create=False))
    x, labels = read_archive(archive, layout, split)
    x = fit_array(x, request.image_size, request.channels)
    return DataArrays(x=x, kind="image", labels=labels, num_classes=layout.num_classes,
                      description=f"{layout.title} {split} ({len(x)} images)")


def load_cifar10(arg: str | None, request: DataRequest) -> DataArrays:
    return _load("cifar10", CIFAR10, arg, request)


def load_cifar100(arg: str | None, request: DataRequest) -> DataArrays:
    """CIFAR-100 with its 100 fine labels (the 20 coarse ones are not used)."""
    return _load("cifar100", CIFAR100, arg, request)
