"""Helpers for gantool-text's tests (a module name of its own: other plugins' tests sit
beside these in one pytest run, and a second `conftest` import would clash)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch

# a tiny oracle run: 64 sequences a split, small networks, one batch of 16 a step
TINY_ORACLE = ("--data", "oracle", "--set", "data.sequences=64", "--batch-size", "16", "--set", "model.hidden=8",
               "--set", "model.embed=8", "--log-every", "1", "--sample-every", "1000")


def gantool(*args: str, cwd: Path, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("gantool")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "gantool"]
    return subprocess.run([*cmd, *args], cwd=cwd, env={**os.environ, "COLUMNS": "200", **(env or {})},
                          capture_output=True, text=True, timeout=timeout)


def checkpoint(run: Path) -> dict:
    return torch.load(Path(run) / "checkpoints" / "last.pt", weights_only=False)


def assert_same_state(a: dict, b: dict) -> None:
    """Two state dicts hold equal tensors under the same names."""
    assert a.keys() == b.keys()
    for name, tensor in a.items():
        assert torch.equal(tensor, b[name]), name
