"""Fixtures for gantool-tabular's tests: real tables written to CSV, and the installed CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("GANTOOL_HOME", str(tmp_path_factory.getbasetemp() / "gantool-home"))
    monkeypatch.delenv("GANTOOL_PLUGINS", raising=False)  # every installed plugin, this one included


def gantool(*args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("gantool")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "gantool"]
    return subprocess.run([*cmd, *args], cwd=cwd, env={**os.environ, "COLUMNS": "200"}, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def iris_csv(tmp_path) -> Path:
    """scikit-learn's iris as a CSV with text labels (150 rows, 4 continuous + 1 discrete)."""
    from gantool.tables import write_csv

    from gantool_tabular.datasets import sklearn_table

    path = tmp_path / "iris.csv"
    write_csv(path, *sklearn_table("iris"))
    return path
