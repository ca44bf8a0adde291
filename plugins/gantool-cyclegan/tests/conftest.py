"""Fixtures for gantool-cyclegan's tests: two small unpaired image folders drawn here."""

from __future__ import annotations

from pathlib import Path

import pytest
from cyclegan_testing import draw_shapes


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("GANTOOL_HOME", str(tmp_path_factory.getbasetemp() / "gantool-home"))
    monkeypatch.delenv("GANTOOL_PLUGINS", raising=False)  # every installed plugin, this one included


@pytest.fixture
def domains(tmp_path) -> tuple[Path, Path]:
    """Domain A: white shapes on black; domain B: other shapes, yellow on blue."""
    return (draw_shapes(tmp_path / "A", 12, (255, 255, 255), (0, 0, 0), seed=1),
            draw_shapes(tmp_path / "B", 10, (250, 220, 40), (30, 40, 160), seed=2))
