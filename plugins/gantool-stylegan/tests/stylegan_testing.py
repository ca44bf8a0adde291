"""Helpers for gantool-stylegan's tests (a module name of its own: the other plugins' tests
sit beside these in one pytest run, and a second `conftest` import would clash)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from gantool.train.testing import assert_same_state


def gantool(*args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("gantool")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "gantool"]
    return subprocess.run([*cmd, *args], cwd=cwd, env={**os.environ, "COLUMNS": "200"}, capture_output=True,
                          text=True, timeout=timeout)


def blobs_npz(path: Path, n: int = 64, size: int = 16) -> Path:
    """`n` RGB images of a soft disc of a random colour at a random place, uint8 NCHW,
    labelled by their strongest channel (3 classes)."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:size, :size]
    cy, cx = rng.uniform(4, size - 4, (2, n, 1, 1))
    disc = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 8.0)  # [n, size, size]
    colour = rng.uniform(0, 1, (n, 3, 1, 1))
    x = (255 * disc[:, None] * colour).astype(np.uint8)
    np.savez(path, x=x, labels=colour[:, :, 0, 0].argmax(axis=1).astype(np.int64))
    return path


# a tiny stylegan2 for tests: 16 px RGB, narrow, short mapping
TINY_SETS = {"image_size": 16, "channels": 3, "latent_dim": 8, "model.w_dim": 8, "model.mapping_layers": 1,
             "model.channel_base": 64, "model.channel_max": 8}
TINY_FLAGS = ["--set", "image_size=16", "--set", "channels=3", "--set", "latent_dim=8", "--set", "model.w_dim=8",
              "--set", "model.mapping_layers=1", "--set", "model.channel_base=64", "--set", "model.channel_max=8"]

MNIST_MIRROR = Path(os.environ.get("GANTOOL_TEST_MNIST_MIRROR", Path(__file__).resolve().parents[3].parent
                                   / "shared" / "data" / "mnist"))


same = assert_same_state  # the shared comparison (gantool.train.testing)
