"""Helpers for gantool-audio's tests (a module name of its own: other plugins' tests sit
beside these in one pytest run, and a second `conftest` import would clash)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# a tiny run: 20 clips of 1,024 samples at 8 kHz, width 2, batches of 4
TINY = ("--set", "data.clips=20", "--set", "data.samples=1024", "--set", "model.width=2", "--batch-size", "4",
        "--log-every", "1", "--set", "latent_dim=8", "--set", "sample_count=16")


def gantool(*args: str, cwd: Path, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("gantool")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "gantool"]
    return subprocess.run([*cmd, *args], cwd=cwd, env={**os.environ, "COLUMNS": "200", **(env or {})},
                          capture_output=True, text=True, timeout=timeout)
