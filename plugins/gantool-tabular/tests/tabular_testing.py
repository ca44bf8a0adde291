"""Helpers for gantool-tabular's tests (a module name of its own: the cyclegan plugin's tests
sit beside these in one pytest run, and a second `conftest` import would clash)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def gantool(*args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("gantool")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "gantool"]
    return subprocess.run([*cmd, *args], cwd=cwd, env={**os.environ, "COLUMNS": "200"}, capture_output=True,
                          text=True, timeout=timeout)
