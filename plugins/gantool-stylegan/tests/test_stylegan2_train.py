"""stylegan2 trains on the shared loop: its phases and their statistics, exact resume (the
EMA, the running mean of w and the path length mean included), refusals, and a short run
from the model's defaults on MNIST through the console script."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from stylegan_testing import TINY_FLAGS, TINY_SETS, gantool, same

from gantool.core.errors import UserError
from gantool.train.testing import checkpoint_of, metric_keys, one_thread, train_run

FLAGS = {"batch_size": 8, "seed": 0, "log_every": 1, "sample_every": 0, "checkpoint_every": 0, "device": "cpu"}
# every phase comes due within a few steps: lazy R1 and path length every 2 steps
SETS = {**TINY_SETS, "r1_every": 2, "model.pl_weight": 2.0, "model.pl_every": 2}


@pytest.fixture(scope="module", autouse=True)
def single_thread():
    with one_thread():
        yield


def train(blobs: Path, project: Path, name: str, **flags) -> Path:
    return train_run("stylegan2", {**FLAGS, "data": f"npz:{blobs}", "project": str(project), "name": name, **flags},
                     SETS)


def test_phases_log_their_statistics_and_w_avg_moves(blobs, tmp_path):
    run = train(blobs, tmp_path, "phases", steps=4)
    assert {"loss_d", "loss_g", "r1", "pl_penalty", "pl_mean", "logit_real", "logit_fake"} <= metric_keys(run)
    state = checkpoint_of(run)
    assert state["generator"]["w_avg"].abs().sum() > 0  # tracked from the mapped batches
    assert torch.equal(state["ema"]["w_avg"], state["generator"]["w_avg"])  # buffers follow the live G
    assert state["step_state"]["pl_mean"] > 0


def test_resume_is_bitwise_exact(blobs, tmp_path):
    from io import StringIO

    from rich.console import Console

    from gantool.plugins import registry
    from gantool.train.report import PlainReporter
    from gantool.train.session import resume_run

    full = checkpoint_of(train(blobs, tmp_path, "full", steps=6))
    half = train(blobs, tmp_path, "half", steps=3)
    trainer, run, total, _ = resume_run(registry(), half, {"steps": 6}, PlainReporter(Console(file=StringIO())))
    assert trainer.fit(run, total) == "finished"
    resumed = checkpoint_of(half)
    assert full["step"] == resumed["step"] == 6
    for key in ("generator", "discriminator", "ema", "opt_g", "opt_d", "rng", "batches", "step_state"):
        same(full[key], resumed[key], key)


@pytest.mark.parametrize("flag, settings", [("--minibatch-std", {"minibatch_std": True}), ("--pack", {"pack": 2}),
                                            ("--n-critic", {"n_critic": 2})])
def test_refused_before_a_run_folder_exists(blobs, tmp_path, flag, settings):
    with pytest.raises(UserError, match=rf"^model 'stylegan2' cannot use {flag} \("):
        train(blobs, tmp_path / "runs", "refused", steps=1, **settings)
    assert not (tmp_path / "runs").exists()


def test_trains_from_its_defaults_on_mnist_and_exports(tmp_path, monkeypatch):
    """`gantool train stylegan2 --data mnist --set image_size=32` with the defaults' shape
    (a narrower network and a few steps, to stay quick), then export and sample."""
    from stylegan_testing import MNIST_MIRROR

    monkeypatch.setenv("GANTOOL_DATA_MIRROR", str(MNIST_MIRROR))
    out = gantool("train", "stylegan2", "--data", "mnist", "--set", "image_size=32", "--set", "model.channel_max=16",
                  "--steps", "4", "--batch-size", "8", "--log-every", "2", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    run = tmp_path / "runs/stylegan2/exp"
    assert (run / "samples/step-0000004.png").is_file()
    state = checkpoint_of(run)
    assert state["config"]["r1_gamma"] > 0 and state["config"]["ema"] and state["config"]["beta1"] == 0.0
    exported = gantool("export", str(run), "--onnx", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert {p.name for p in run.glob("*.onnx")} == {"generator.onnx", "generator-mapping.onnx",
                                                    "generator-synthesis.onnx"}


def test_tiny_flags_train_through_the_console_script(blobs, tmp_path):
    out = gantool("train", "stylegan2", "--data", f"npz:{blobs}", *TINY_FLAGS, "--steps", "2", "--batch-size", "4",
                  cwd=tmp_path)
    assert out.returncode == 0, out.stderr
