"""fashion-mnist, cifar10 and cifar100 by name: the real download code (mirror folder, an HTTP
server on 127.0.0.1, verification of the compressed bytes, the cache) on archives in the
real formats, built here. Only the pinned hash and size are swapped for the test's files."""

from __future__ import annotations

import dataclasses
import functools
import gzip
import hashlib
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading

import numpy as np
import pytest

from gantool.core.errors import UserError
from gantool.data import cifar, fashion_mnist
from gantool.specs import DataRequest
from tests.data.test_cifar import records, write_tar


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("GANTOOL_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def serve(folder):
    """An HTTP host for `folder` on loopback; returns (url, stop)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/", server.shutdown


def pin(files, key, path, monkeypatch):
    """Pin `files[key]` to the bytes of `path`, as the real table pins the published file."""
    data = path.read_bytes()
    monkeypatch.setitem(files, key, dataclasses.replace(files[key], sha256=hashlib.sha256(data).hexdigest(),
                                                         size=len(data)))


def idx(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 8, array.ndim]) + np.array(array.shape, dtype=">u4").tobytes()
    return header + array.astype(np.uint8).tobytes()


def fashion_files(folder, monkeypatch, n=12, seed=0):
    """The four .gz files in IDX format, pinned; returns the images and labels by split."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    made = {}
    for prefix, count in (("train", n), ("t10k", n // 2)):
        images = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=count, dtype=np.uint8)
        for part, array in (("images", images), ("labels", labels)):
            path = folder / fashion_mnist.FILES[f"{prefix}-{part}"].name
            path.write_bytes(gzip.compress(idx(array), mtime=0))
            pin(fashion_mnist.FILES, f"{prefix}-{part}", path, monkeypatch)
        made[prefix] = (images, labels)
    return made


def test_fashion_mnist_over_http_pinned_by_the_compressed_bytes(home, tmp_path, monkeypatch):
    made = fashion_files(tmp_path / "host", monkeypatch)
    url, stop = serve(tmp_path / "host")
    monkeypatch.setenv("GANTOOL_DATA_MIRROR", url)
    data = fashion_mnist.load(None, DataRequest())
    np.testing.assert_array_equal(data.x[:, 0], made["train"][0])
    np.testing.assert_array_equal(data.labels, made["train"][1])
    assert data.num_classes == 10 and "Fashion-MNIST train (12 images)" in data.description
    test = fashion_mnist.load("test", DataRequest(image_size=32, channels=3))
    assert test.x.shape == (6, 3, 32, 32)
    cached = home / "data" / "fashion-mnist" / "train-images-idx3-ubyte.gz"
    assert cached.read_bytes() == (tmp_path / "host" / cached.name).read_bytes()  # kept as published
    stop()
    assert fashion_mnist.load(None, DataRequest()).x.shape == (12, 1, 28, 28)  # from the cache, host gone


def test_fashion_mnist_recompressed_is_refused(home, tmp_path, monkeypatch):
    fashion_files(tmp_path / "m", monkeypatch)
    path = tmp_path / "m" / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes()), compresslevel=1, mtime=1))  # same content
    monkeypatch.setenv("GANTOOL_DATA_MIRROR", str(tmp_path / "m"))
    with pytest.raises(UserError, match="t10k-labels-idx1-ubyte.gz from .* failed verification"):
        fashion_mnist.load("test", DataRequest())
    assert not (home / "data" / "fashion-mnist" / path.name).exists()


def test_a_shared_mirror_keeps_fashion_mnist_in_its_own_subfolder(home, tmp_path, monkeypatch):
    made = fashion_files(tmp_path / "mirror" / "fashion-mnist", monkeypatch)
    for f in (tmp_path / "mirror" / "fashion-mnist").iterdir():  # MNIST's files of the same names beside it
        (tmp_path / "mirror" / f.name).write_bytes(gzip.compress(b"MNIST, not Fashion-MNIST"))
    monkeypatch.setenv("GANTOOL_DATA_MIRROR", str(tmp_path / "mirror"))
    np.testing.assert_array_equal(fashion_mnist.load("test", DataRequest()).labels, made["t10k"][1])


def cifar_archives(folder, monkeypatch):
    """Both binary archives in the published layout (a few records per member), pinned."""
    folder.mkdir(parents=True, exist_ok=True)
    members10 = {f"cifar-10-batches-bin/{name}": records(3, 1, i)[2] for i, name in enumerate(cifar.CIFAR10.per_file)}
    members10["cifar-10-batches-bin/batches.meta.txt"] = b"airplane\n"
    write_tar(folder / "cifar-10-binary.tar.gz", members10)
    members100 = {"cifar-100-binary/train.bin": records(5, 2, 9)[2], "cifar-100-binary/test.bin": records(2, 2, 10)[2]}
    write_tar(folder / "cifar-100-binary.tar.gz", members100)
    for key in ("cifar10", "cifar100"):
        pin(cifar.FILES, key, folder / cifar.FILES[key].name, monkeypatch)
    return members10, members100


def test_cifar_over_http_with_test_split_and_labels(home, tmp_path, monkeypatch):
    members10, members100 = cifar_archives(tmp_path / "host", monkeypatch)
    url, stop = serve(tmp_path / "host")
    monkeypatch.setenv("GANTOOL_DATA_MIRROR", url)
    train = cifar.load_cifar10(None, DataRequest(image_size=32, channels=3))
    assert train.x.shape == (15, 3, 32, 32) and train.num_classes == 10
    raw = np.frombuffer(members10["cifar-10-batches-bin/data_batch_2.bin"], np.uint8).reshape(3, 3073)
    np.testing.assert_array_equal(train.x[3:6].reshape(3, -1), raw[:, 1:])
    np.testing.assert_array_equal(train.labels[3:6], raw[:, 0])
    assert cifar.load_cifar10("test", DataRequest(image_size=16, channels=1)).x.shape == (3, 1, 16, 16)
    fine = cifar.load_cifar100("test", DataRequest(image_size=32, channels=3))
    raw100 = np.frombuffer(members100["cifar-100-binary/test.bin"], np.uint8).reshape(2, 3074)
    np.testing.assert_array_equal(fine.labels, raw100[:, 1])
    assert fine.num_classes == 100
    stop()
    assert len(cifar.load_cifar100(None, DataRequest(image_size=32, channels=3)).x) == 5  # cached
    with pytest.raises(UserError, match="cifar10 has splits 'train' and 'test', not 'val'"):
        cifar.load_cifar10("val", DataRequest())


RUNNER = """
import dataclasses, json, sys
from gantool.data import cifar
for key, (sha256, size) in json.loads(sys.argv[1]).items():  # the test's archive in place of the published one
    cifar.FILES[key] = dataclasses.replace(cifar.FILES[key], sha256=sha256, size=size)
from gantool.cli import main
sys.argv = ["gantool", *sys.argv[2:]]
main()
"""


def run_cli(args, pins, cwd, env):
    """The real CLI in a fresh process, with only the pinned hash and size replaced."""
    full_env = {**os.environ, "COLUMNS": "200", **env}
    return subprocess.run([sys.executable, "-c", RUNNER, pins, *args], cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=300)


def test_train_dcgan_on_cifar10_from_a_mirror_folder_and_a_corrupt_archive_is_one_line(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    cifar_archives(mirror, monkeypatch)
    archive = mirror / "cifar-10-binary.tar.gz"
    pins = json.dumps({"cifar10": [cifar.FILES["cifar10"].sha256, cifar.FILES["cifar10"].size]})
    env = {"GANTOOL_HOME": str(tmp_path / "home"), "GANTOOL_DATA_MIRROR": str(mirror)}
    args = ["train", "dcgan", "--data", "cifar10", "--set", "image_size=32", "--set", "channels=3", "--steps", "2",
            "--batch-size", "4", "--log-every", "1", "--sample-every", "0"]
    out = run_cli(args, pins, tmp_path, env)
    assert out.returncode == 0, out.stderr
    assert 'data = "cifar10"' in (tmp_path / "runs" / "dcgan" / "exp" / "config.toml").read_text()
    shutil.rmtree(tmp_path / "home")
    damaged = bytearray(archive.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    archive.write_bytes(bytes(damaged))
    out = run_cli(args, pins, tmp_path, env)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.strip().count("\n") == 0, out.stderr
    assert "cifar-10-binary.tar.gz from" in out.stderr and "failed verification" in out.stderr
