"""Fixtures for gantool-stylegan's tests: an isolated cache and a small RGB image set."""

from __future__ import annotations

from pathlib import Path

import pytest
from stylegan_testing import blobs_npz


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("GANTOOL_HOME", str(tmp_path_factory.getbasetemp() / "gantool-home"))
    monkeypatch.delenv("GANTOOL_PLUGINS", raising=False)  # every installed plugin, this one included


@pytest.fixture(scope="module")
def blobs(tmp_path_factory) -> Path:
    """64 RGB images of a coloured blob, 16 px, in an npz: quick to train on."""
    return blobs_npz(tmp_path_factory.mktemp("blobs") / "blobs.npz")
