"""Fixtures for gantool-tabular's tests: real tables written to CSV (the CLI runner is in
tabular_testing.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("GANTOOL_HOME", str(tmp_path_factory.getbasetemp() / "gantool-home"))
    monkeypatch.delenv("GANTOOL_PLUGINS", raising=False)  # every installed plugin, this one included


@pytest.fixture
def iris_csv(tmp_path) -> Path:
    """scikit-learn's iris as a CSV with text labels (150 rows, 4 continuous + 1 discrete)."""
    from gantool.core.tables import write_csv
    from gantool_tabular.datasets import sklearn_table

    path = tmp_path / "iris.csv"
    write_csv(path, *sklearn_table("iris"))
    return path
