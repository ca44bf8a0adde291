"""MNIST download: mirror folder, a real HTTP server on 127.0.0.1, verification, offline."""

from __future__ import annotations

import functools
import gzip
import http.server
import shutil
import socket
import threading

import numpy as np
import pytest

from gantool.core.download import RemoteFile, fetch, sha256_file
from gantool.core.errors import UserError
from gantool.data import mnist
from gantool.specs import DataRequest
from tests.conftest import MNIST_MIRROR


@pytest.fixture
def fresh_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("GANTOOL_HOME", str(home))
    return home


@pytest.fixture
def http_mirror():
    """Serve the MNIST mirror folder over HTTP on loopback, as a download host would."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(MNIST_MIRROR))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_loads_from_mirror_folder(mnist_mirror):
    data = mnist.load(None, DataRequest())
    assert data.x.shape == (60000, 1, 28, 28) and data.x.dtype == np.uint8
    assert data.labels.shape == (60000,) and set(np.unique(data.labels)) == set(range(10))
    test = mnist.load("test", DataRequest(image_size=32, channels=3))
    assert test.x.shape == (10000, 3, 32, 32)


def test_downloads_over_http_and_caches(fresh_home, http_mirror, monkeypatch):
    monkeypatch.setenv("GANTOOL_DATA_MIRROR", http_mirror)
    data = mnist.load("test", DataRequest())
    assert data.x.shape == (10000, 1, 28, 28)
    cached = fresh_home / "data" / "mnist" / "t10k-images-idx3-ubyte"
    assert sha256_file(cached) == mnist.FILES["t10k-images"].sha256
    # second load: from the cache, even with the network gone
    monkeypatch.setenv("GANTOOL_DATA_MIRROR", "http://127.0.0.1:9/")
    assert mnist.load("test", DataRequest()).x.shape == (10000, 1, 28, 28)


def test_corrupt_mirror_file_is_rejected_and_cache_untouched(fresh_home, tmp_path, monkeypatch):
    bad = tmp_path / "bad-mirror"
    bad.mkdir()
    for f in MNIST_MIRROR.glob("t10k-*.gz"):
        shutil.copy(f, bad)
    with gzip.open(bad / "t10k-labels-idx1-ubyte.gz", "wb") as fh:  # recompressed, one byte changed
        raw = bytearray(gzip.decompress((MNIST_MIRROR / "t10k-labels-idx1-ubyte.gz").read_bytes()))
        raw[100] ^= 1
        fh.write(bytes(raw))
    monkeypatch.setenv("GANTOOL_DATA_MIRROR", str(bad))
    with pytest.raises(UserError, match="t10k-labels-idx1-ubyte from .* failed verification"):
        mnist.load("test", DataRequest())
    cache = fresh_home / "data" / "mnist"
    assert not (cache / "t10k-labels-idx1-ubyte").exists()
    assert not [p for p in cache.iterdir() if p.name.startswith(".")], "temp files left behind"


def test_offline_names_the_fix(fresh_home, monkeypatch):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("GANTOOL_DATA_MIRROR", f"http://127.0.0.1:{port}/")
    with pytest.raises(UserError, match="cannot download .*GANTOOL_DATA_MIRROR"):
        mnist.load("test", DataRequest())


def test_bad_split_and_missing_mirror_folder(fresh_home, tmp_path, monkeypatch):
    with pytest.raises(UserError, match="splits 'train' and 'test'"):
        mnist.load("validation", DataRequest())
    monkeypatch.setenv("GANTOOL_DATA_MIRROR", str(tmp_path / "nope"))
    with pytest.raises(UserError, match="is not a directory or URL"):
        mnist.load("test", DataRequest())


def test_valid_cached_file_is_never_replaced(tmp_path, monkeypatch):
    payload = b"hello"
    import hashlib

    remote = RemoteFile("f.bin", hashlib.sha256(payload).hexdigest(), len(payload), ("http://127.0.0.1:9",))
    (tmp_path / "f.bin").write_bytes(payload)
    before = (tmp_path / "f.bin").stat().st_mtime_ns
    assert fetch(remote, tmp_path).read_bytes() == payload
    assert (tmp_path / "f.bin").stat().st_mtime_ns == before
