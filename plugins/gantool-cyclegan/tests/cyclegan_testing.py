"""Helpers for gantool-cyclegan's tests (a module name of its own: the tabular plugin's
tests sit beside these in one pytest run, and a second `conftest` import would clash)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw


def gantool(*args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("gantool")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "gantool"]
    return subprocess.run([*cmd, *args], cwd=cwd, env={**os.environ, "COLUMNS": "200"}, capture_output=True,
                          text=True, timeout=timeout)


def draw_shapes(folder: Path, count: int, fg: tuple, bg: tuple, seed: int, size: int = 20) -> Path:
    """`count` PNGs of a random ellipse or rectangle, `fg` on `bg` (sizes differ from the
    model's, so loading resizes them)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    for i in range(count):
        img = Image.new("RGB", (size, size), bg)
        x0, y0 = rng.integers(1, size // 2, 2)
        x1, y1 = np.array([x0, y0]) + rng.integers(4, size // 2, 2)
        shape = ImageDraw.Draw(img).ellipse if i % 2 else ImageDraw.Draw(img).rectangle
        shape([int(x0), int(y0), int(x1), int(y1)], fill=fg)
        img.save(folder / f"{i:03d}.png")
    return folder


TINY = ["--set", "model.ngf=4", "--set", "model.ndf=4", "--set", "model.blocks=1", "--set", "image_size=16",
        "--batch-size", "4"]
