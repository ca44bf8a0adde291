"""Fixtures for gantool-audio's tests: an isolated gantool home, shared by the whole session
so the few synthesised digit clips are made once, and a small folder of WAV files (the CLI
runner is in audio_testing.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("GANTOOL_HOME", str(tmp_path_factory.getbasetemp() / "gantool-home"))
    monkeypatch.delenv("GANTOOL_PLUGINS", raising=False)  # every installed plugin, this one included


@pytest.fixture(scope="session")
def tones(tmp_path_factory) -> Path:
    """40 one-second WAVs at 16 kHz in two labelled subfolders: rising and falling chirps."""
    from gantool_audio.wavio import write_wav

    root = tmp_path_factory.mktemp("tones")
    rng = np.random.default_rng(0)
    t = np.arange(16000) / 16000
    for label, sign in (("up", 1), ("down", -1)):
        (root / label).mkdir()
        for i in range(20):
            f0 = rng.uniform(300, 900)
            phase = 2 * np.pi * (f0 * t + sign * 300 * t**2)
            write_wav(root / label / f"{i:02d}.wav", 0.6 * np.sin(phase) * np.hanning(len(t)), 16000)
    return root
