"""Shared fixtures: an isolated cache, the MNIST mirror, and a runner for the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gantool import plugins

REPO = Path(__file__).resolve().parents[1]
MNIST_MIRROR = Path(os.environ.get("GANTOOL_TEST_MNIST_MIRROR", REPO.parent / "shared" / "data" / "mnist"))


@pytest.fixture(scope="session")
def session_home(tmp_path_factory) -> Path:
    """One cache for the whole session, so MNIST is decompressed and verified once."""
    return tmp_path_factory.mktemp("gantool-home")


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch, session_home):
    monkeypatch.setenv("GANTOOL_HOME", str(session_home))
    monkeypatch.setenv("GANTOOL_PLUGINS", "")  # third-party plugins only where a test asks
    monkeypatch.delenv("GANTOOL_DATA_MIRROR", raising=False)
    plugins.reset()
    yield
    plugins.reset()


@pytest.fixture
def mnist_mirror(monkeypatch) -> Path:
    if not (MNIST_MIRROR / "train-images-idx3-ubyte.gz").is_file():
        pytest.fail(f"MNIST mirror not found at {MNIST_MIRROR}; set GANTOOL_TEST_MNIST_MIRROR")
    monkeypatch.setenv("GANTOOL_DATA_MIRROR", str(MNIST_MIRROR))
    return MNIST_MIRROR


def gantool(*args: str, cwd: Path, env: dict | None = None, timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
    """Run the installed console script, as a user would."""
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    exe = Path(sys.executable).with_name("gantool")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "gantool"]
    return subprocess.run([*cmd, *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout, **kwargs)


@pytest.fixture
def read_only():
    """`with read_only(path):` makes a folder unwritable, also for root (CI runs as root, and
    root ignores file modes): chmod for a user, the immutable attribute for root."""
    import contextlib
    import shutil

    @contextlib.contextmanager
    def make(path: Path):
        if os.geteuid() != 0:
            mode = path.stat().st_mode
            path.chmod(0o555)
            try:
                yield
            finally:
                path.chmod(mode)
            return
        chattr = shutil.which("chattr")
        if not chattr or subprocess.run([chattr, "+i", str(path)], capture_output=True).returncode:
            pytest.skip("root without chattr +i here: no way to make a folder read-only")
        try:
            yield
        finally:
            subprocess.run([chattr, "-i", str(path)], check=True)

    return make


def wait_until(predicate, timeout: float = 60.0, poll: float = 0.05) -> None:
    """Poll `predicate` until it holds, for a file another process is writing (a missing or
    half-written file counts as not yet); fails the test after `timeout` seconds."""
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if predicate():
                return
        except (FileNotFoundError, json.JSONDecodeError):
            pass
        time.sleep(poll)
    raise AssertionError("timed out waiting")


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def tiny_images(tmp_path) -> Path:
    """An npz of 96 small blob images (28x28, grey) with 2 classes: fast to train on."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:28, :28]
    images, labels = [], []
    for i in range(96):
        cy, cx = rng.uniform(8, 20, size=2)
        r = 4 + 3 * (i % 2)
        images.append(((yy - cy) ** 2 + (xx - cx) ** 2 < r * r).astype(np.uint8) * 255)
        labels.append(i % 2)
    path = tmp_path / "blobs.npz"
    np.savez(path, x=np.stack(images), y=np.array(labels))
    return path


def train_checkpoint(run_root: Path, model: str, data, steps: int = 2, **cfg_values) -> Path:
    """Train a few steps in-process on given DataArrays; returns the run directory."""
    from io import StringIO

    from rich.console import Console

    from gantool.config import RunConfig
    from gantool.run import RunDir
    from gantool.train.report import PlainReporter
    from gantool.train.trainer import Trainer

    values = {"model": model, "data": "test", "steps": steps, "batch_size": 8, "log_every": steps,
              "sample_every": 0, "checkpoint_every": 0, "sample_count": 8, **cfg_values}
    cfg = RunConfig(**values)
    reg = plugins.registry()
    trainer = Trainer(cfg, reg.get("model", model), reg.get("loss", cfg.loss), data,
                      PlainReporter(Console(file=StringIO())))
    run = RunDir.create(run_root, model, "exp")
    trainer.fit(run, steps)
    return run.path


def random_images(n: int = 16, size: int = 28, channels: int = 1, classes: int = 0):
    from gantool.specs import DataArrays

    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(n, channels, size, size), dtype=np.uint8)
    labels = (np.arange(n) % classes).astype(np.int64) if classes else None
    return DataArrays(x=x, kind="image", labels=labels, num_classes=classes)
