"""CIFAR-10 and CIFAR-100 from their *binary* distributions (never the Python pickles:
unpickling a downloaded file runs whatever code it holds).

The archives (cifar-10-binary.tar.gz, cifar-100-binary.tar.gz from the authors' page) hold
fixed-size records: CIFAR-10 `<label><3072 pixels>` in data_batch_1..5.bin and
test_batch.bin; CIFAR-100 `<coarse label><fine label><3072 pixels>` in train.bin and
test.bin. The pixels are three 32x32 planes (R, G, B), rows in order: already [C, H, W].

Status (issue 19, item 4): this module reads a local archive (`read_archive`). It is not
registered as a dataset yet: the download needs a verified hash, and gantool.core.download
pins the sha256 of the *decompressed* bytes, which no published source gives for these
archives (they publish the .tar.gz's). See the session report for the published hashes.

Invariants: members are read from the tar stream, never extracted to disk; every size,
record count and label range is checked, so a wrong or damaged file is one line.
"""

from __future__ import annotations

import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gantool.core.errors import UserError

PIXELS = 3 * 32 * 32


@dataclass(frozen=True)
class Layout:
    """Where a CIFAR variant keeps its records, and how they are laid out."""

    title: str
    folder: str
    splits: dict[str, tuple[str, ...]]
    label_bytes: int  # 1: the class; 2: coarse then fine
    num_classes: int
    per_file: dict[str, int]  # records in each member


CIFAR10 = Layout("CIFAR-10", "cifar-10-batches-bin",
                 {"train": tuple(f"data_batch_{i}.bin" for i in range(1, 6)), "test": ("test_batch.bin",)},
                 1, 10, {**{f"data_batch_{i}.bin": 10000 for i in range(1, 6)}, "test_batch.bin": 10000})
CIFAR100 = Layout("CIFAR-100", "cifar-100-binary", {"train": ("train.bin",), "test": ("test.bin",)},
                  2, 100, {"train.bin": 50000, "test.bin": 10000})


def parse_records(raw: bytes, layout: Layout, member: str, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Images uint8 [N, 3, 32, 32] and labels int64 [N] (the fine label for CIFAR-100)."""
    record = layout.label_bytes + PIXELS
    expected = layout.per_file[member]
    if len(raw) != expected * record:
        raise UserError(f"{source}: {member} holds {len(raw)} bytes, not {expected} records of {record}; "
                        f"it is not the {layout.title} binary archive, or it is damaged")
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(expected, record)
    labels = rows[:, layout.label_bytes - 1].astype(np.int64)
    if labels.max() >= layout.num_classes:
        raise UserError(f"{source}: {member} has label {labels.max()}; {layout.title} has {layout.num_classes} classes")
    return rows[:, layout.label_bytes:].reshape(expected, 3, 32, 32), labels


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
