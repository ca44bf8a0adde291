"""Fixtures for gantool-text's tests: an isolated gantool home and a small text corpus (the
CLI runner is in text_testing.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("GANTOOL_HOME", str(tmp_path_factory.getbasetemp() / "gantool-home"))
    monkeypatch.delenv("GANTOOL_PLUGINS", raising=False)  # every installed plugin, this one included


@pytest.fixture
def corpus(tmp_path) -> Path:
    """300 short sentences of a toy grammar, one a line."""
    rng = np.random.default_rng(0)
    nouns, verbs = ["cat", "dog", "bird", "fish", "mouse"], ["sees", "likes", "chases", "hears"]
    lines = [f"the {rng.choice(nouns)} {rng.choice(verbs)} the {rng.choice(nouns)}" + (" today" if i % 3 else "")
             for i in range(300)]
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(lines) + "\n")
    return path
