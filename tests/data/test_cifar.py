"""gantool.data.cifar: the binary CIFAR-10/100 archives, built here in the real layout
(with fewer records per member than the published ones)."""

from __future__ import annotations

import io
import tarfile

import numpy as np
import pytest

from gantool.core.errors import UserError
from gantool.data import cifar


def records(n, label_bytes, seed):
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(n, 3, 32, 32), dtype=np.uint8)
    labels = rng.integers(0, 10, size=(n, label_bytes), dtype=np.uint8)
    return pixels, labels, np.concatenate([labels, pixels.reshape(n, -1)], axis=1).tobytes()


def write_tar(path, members: dict[str, bytes]):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def cifar10_archive(tmp_path):
    members, expected = {}, {}
    for i, name in enumerate(cifar.CIFAR10.per_file):
        pixels, labels, raw = records(4, 1, i)
        members[f"cifar-10-batches-bin/{name}"] = raw
        expected[name] = (pixels, labels[:, 0])
    members["cifar-10-batches-bin/batches.meta.txt"] = b"airplane\nautomobile\n"
    return write_tar(tmp_path / "cifar-10-binary.tar.gz", members), expected


def test_cifar10_splits_read_in_file_order(tmp_path):
    path, expected = cifar10_archive(tmp_path)
    x, y = cifar.read_archive(path, cifar.CIFAR10, "train")
    assert x.shape == (20, 3, 32, 32) and x.dtype == np.uint8
    np.testing.assert_array_equal(x[4:8], expected["data_batch_2.bin"][0])
    np.testing.assert_array_equal(y[:4], expected["data_batch_1.bin"][1])
    tx, ty = cifar.read_archive(path, cifar.CIFAR10, "test")
    np.testing.assert_array_equal(tx, expected["test_batch.bin"][0])
    assert ty.dtype == np.int64


def test_cifar100_takes_the_fine_label(tmp_path):
    pixels, labels, raw = records(6, 2, 7)
    _, _, test_raw = records(3, 2, 8)
    path = write_tar(tmp_path / "c100.tar.gz", {"cifar-100-binary/train.bin": raw, "cifar-100-binary/test.bin": test_raw})
    x, y = cifar.read_archive(path, cifar.CIFAR100, "train")
    np.testing.assert_array_equal(x, pixels)
    np.testing.assert_array_equal(y, labels[:, 1])


def test_damaged_and_wrong_archives_are_one_line(tmp_path):
    path, _ = cifar10_archive(tmp_path)
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(UserError, match="cannot be read"):
        cifar.read_archive(cut, cifar.CIFAR10, "train")
    pickles = write_tar(tmp_path / "py.tar.gz", {"cifar-10-batches-py/data_batch_1": b"\x80\x04"})
    with pytest.raises(UserError, match="no cifar-10-batches-bin/test_batch.bin.*pickle version is not read"):
        cifar.read_archive(pickles, cifar.CIFAR10, "test")
    short = write_tar(tmp_path / "short.tar.gz", {"cifar-10-batches-bin/test_batch.bin": b"\x00" * (3073 * 3 + 5)})
    with pytest.raises(UserError, match="9224 bytes, not whole records of 3073"):
        cifar.read_archive(short, cifar.CIFAR10, "test")
    bad_label = write_tar(tmp_path / "label.tar.gz", {"cifar-10-batches-bin/test_batch.bin": b"\x0c" * 3073 * 4})
    with pytest.raises(UserError, match="label 12; CIFAR-10 has 10 classes"):
        cifar.read_archive(bad_label, cifar.CIFAR10, "test")
    with pytest.raises(UserError, match="splits 'train' and 'test'"):
        cifar.read_archive(path, cifar.CIFAR10, "validation")


def test_the_real_layouts_have_the_published_record_counts():
    assert sum(cifar.CIFAR10.per_file[n] for n in cifar.CIFAR10.splits["train"]) == 50000
    assert (1 + cifar.PIXELS) * 10000 == 30730000  # the size of each CIFAR-10 batch file
    assert (2 + cifar.PIXELS) * cifar.CIFAR100.per_file["train.bin"] == 153700000
