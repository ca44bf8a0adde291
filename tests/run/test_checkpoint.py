"""Checkpoint files: atomic save (with hard-linked step files), find from a run, and load's errors."""

from __future__ import annotations

import pytest
import torch

from gantool.core.errors import UserError
from gantool.run import RunDir, checkpoint


def test_save_find_load_round_trip(tmp_path):
    run = RunDir.create(tmp_path, "toy", "exp")
    state = {"step": 7, "config": {"model": "toy"}, "generator": {"w": torch.ones(2)}}
    periodic = checkpoint.save(state, run.checkpoints, 7, keep_step_file=True)
    assert periodic == run.layout.checkpoint(7) and run.layout.last_checkpoint.is_file()
    assert periodic.stat().st_ino == run.layout.last_checkpoint.stat().st_ino  # one write, two names
    assert checkpoint.save(state, run.checkpoints, 8, keep_step_file=False) == run.layout.last_checkpoint
    found = checkpoint.find(run.path)
    assert found == run.layout.last_checkpoint and checkpoint.run_dir_of(found) == run.path
    loaded = checkpoint.load(found)
    assert loaded["format"] == checkpoint.FORMAT and loaded["step"] == 7
    assert torch.equal(loaded["generator"]["w"], torch.ones(2))
    assert checkpoint.run_dir_of(tmp_path / "elsewhere.pt") is None
    assert not list(run.checkpoints.glob(".*")), "no temp files left"


def test_errors_are_user_errors(tmp_path):
    with pytest.raises(UserError, match="has no checkpoint"):
        checkpoint.find(tmp_path)
    with pytest.raises(UserError, match="does not exist"):
        checkpoint.find(tmp_path / "x.pt")
    (tmp_path / "bad.pt").write_bytes(b"half a checkpoint")
    with pytest.raises(UserError, match="is not a PyTorch checkpoint at all"):
        checkpoint.load(tmp_path / "bad.pt")
    torch.save({"weights": torch.zeros(1)}, tmp_path / "foreign.pt")
    with pytest.raises(UserError, match="is not a gantool checkpoint"):
        checkpoint.load(tmp_path / "foreign.pt")
