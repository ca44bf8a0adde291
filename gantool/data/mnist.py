"""MNIST from its canonical hosts (or GANTOOL_DATA_MIRROR), verified by decompressed sha256;
the IDX reading that Fashion-MNIST shares."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from gantool.core.cache import cache_dir
from gantool.core.download import RemoteFile, fetch
from gantool.core.errors import UserError
from gantool.data.images import fit_array
from gantool.specs import DataArrays, DataRequest

HOSTS = ("https://ossci-datasets.s3.amazonaws.com/mnist", "https://yann.lecun.com/exdb/mnist")

FILES = {
    "train-images": RemoteFile("train-images-idx3-ubyte",
                               "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", 47040016, HOSTS, True),
    "train-labels": RemoteFile("train-labels-idx1-ubyte",
                               "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5", 60008, HOSTS, True),
    "t10k-images": RemoteFile("t10k-images-idx3-ubyte",
                              "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", 7840016, HOSTS, True),
    "t10k-labels": RemoteFile("t10k-labels-idx1-ubyte",
                              "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", 10008, HOSTS, True),
}
SPLITS = {"train": "train", "test": "t10k"}


def read_idx(path: Path) -> np.ndarray:
    """An IDX file, or a gzipped one (big-endian header: magic with dtype and rank, then the
    dimensions). The files reach here verified by hash, so the header is trusted."""
    if str(path).endswith(".gz"):
        raw = np.frombuffer(gzip.decompress(Path(path).read_bytes()), dtype=np.uint8)
    else:
        raw = np.fromfile(path, dtype=np.uint8)
    ndim = int(raw[3])
    dims = raw[4 : 4 + 4 * ndim].view(">u4").astype(int)
    return raw[4 + 4 * ndim :].reshape(dims)


def load_idx_set(name: str, title: str, files: dict[str, RemoteFile], split: str,
                 request: DataRequest) -> DataArrays:
    """A split of an MNIST-like set: `files` keyed `train-images`, `t10k-labels`, ..."""
    if split not in SPLITS:
        raise UserError(f"{name} has splits 'train' and 'test', not {split!r} (use {name}:test)")
    prefix = SPLITS[split]
    root = cache_dir("data", name, create=False)  # download.fetch makes it
    images = read_idx(fetch(files[f"{prefix}-images"], root))
    labels = read_idx(fetch(files[f"{prefix}-labels"], root)).astype(np.int64)
    x = fit_array(images[:, None], request.image_size, request.channels)
    return DataArrays(x=x, kind="image", labels=labels, num_classes=10, description=f"{title} {split} ({len(x)} images)")


def load(arg: str | None, request: DataRequest) -> DataArrays:
    return load_idx_set("mnist", "MNIST", FILES, arg or request.split, request)
