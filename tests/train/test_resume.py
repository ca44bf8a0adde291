"""Exact resume: N steps in one run == N/2 steps plus a resumed N/2, bit for bit."""

from __future__ import annotations

import pytest
import torch

from gantool.train.testing import assert_same_state
from tests.conftest import gantool, read_jsonl

SMALL = {"dcgan": ["--set", "model.ngf=8", "--set", "model.ndf=8"], "gan": []}


def _state(path):
    return torch.load(path, weights_only=True)


_assert_same = assert_same_state


@pytest.mark.parametrize("model", ["dcgan", "gan"])  # dcgan: BatchNorm; gan: dropout uses the RNG
def test_resume_is_bitwise_exact(tmp_path, tiny_images, model):
    common = ["--data", f"npz:{tiny_images}", "--batch-size", "16", "--log-every", "3", "--sample-every", "0",
              "--checkpoint-every", "0", "--ema", "--set", "ema_rampup=0.05", "--device", "cpu", *SMALL[model]]
    full = gantool("train", model, *common, "--steps", "14", "--name", "full", cwd=tmp_path)
    assert full.returncode == 0, full.stderr
    half = gantool("train", model, *common, "--steps", "7", "--name", "half", cwd=tmp_path)
    assert half.returncode == 0, half.stderr
    resumed = gantool("train", "--resume", f"runs/{model}/half", "--steps", "14", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr

    a = _state(tmp_path / f"runs/{model}/full/checkpoints/last.pt")
    b = _state(tmp_path / f"runs/{model}/half/checkpoints/last.pt")
    assert a["step"] == b["step"] == 14
    assert a["ema_state"]["images"] == 14 * 16  # the ramp-up's clock, restored on resume
    for key in ("generator", "discriminator", "ema", "ema_state", "opt_g", "opt_d", "rng", "batches"):
        _assert_same(a[key], b[key], key)

    # the resumed run's metrics continue where the first half stopped
    steps = [r["step"] for r in read_jsonl(tmp_path / f"runs/{model}/half/metrics.jsonl")]
    assert steps == sorted(steps) and steps[-1] == 14
    events = [e["event"] for e in read_jsonl(tmp_path / f"runs/{model}/half/events.jsonl")]
    assert events.count("resumed") == 1 and events[-1] == "finished"


def test_resume_can_extend_by_epochs_and_refuses_other_changes(tmp_path, tiny_images):
    args = ["--data", f"npz:{tiny_images}", "--batch-size", "32", "--set", "model.ngf=8", "--set", "model.ndf=8"]
    assert gantool("train", "dcgan", *args, "--epochs", "1", cwd=tmp_path).returncode == 0
    again = gantool("train", "--resume", "runs/dcgan/exp", cwd=tmp_path)
    assert again.returncode == 2 and "already at step 3 of 3" in again.stderr
    more = gantool("train", "--resume", "runs/dcgan/exp", "--epochs", "2", cwd=tmp_path)
    assert more.returncode == 0, more.stderr
    assert _state(tmp_path / "runs/dcgan/exp/checkpoints/last.pt")["step"] == 6
    changed = gantool("train", "--resume", "runs/dcgan/exp", "--epochs", "3", "--lr", "0.1", cwd=tmp_path)
    assert changed.returncode == 2 and "only --steps, --epochs, --device and --keep-checkpoints" in changed.stderr
