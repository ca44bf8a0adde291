"""The hot loop never waits for the device: gantool's code calls no `.item()`, `.tolist()`,
`.cpu()`, `bool(t)` and the like inside a training step or a batch draw. On a GPU each of
these stalls the launch queue; on the CPU they cost nothing, which is why this test makes
them raise when gantool code calls them while the Trainer is inside a step. (PyTorch's own
CPU paths may: foreach Adam reads its CPU step counter with .item(); on CUDA, fused Adam
keeps it on the device. The GPU check, `torch.cuda.set_sync_debug_mode("error")`, is in
tests/gpu/ and runs with `-m gpu` on a machine with CUDA.)"""

from __future__ import annotations

import contextlib
import sys
from io import StringIO
from pathlib import Path

import pytest
import torch
from rich.console import Console

from gantool.config import RunConfig
from gantool.plugins import registry
from gantool.run import RunDir
from gantool.train.report import PlainReporter
from gantool.train.trainer import Trainer
from tests.conftest import random_images

GANTOOL = str(Path(__import__("gantool").__file__).parent)
SYNCING = ("item", "tolist", "cpu", "numpy", "__bool__", "__int__", "__float__", "__index__")


class HostSync(AssertionError):
    pass


@contextlib.contextmanager
def syncs_raise():
    saved = {name: getattr(torch.Tensor, name) for name in SYNCING}

    def refuse(name):
        original = saved[name]

        def method(self, *args, **kwargs):
            caller = sys._getframe(1).f_code.co_filename
            if caller.startswith(GANTOOL) or caller == __file__:
                raise HostSync(f"Tensor.{name} in the hot loop ({caller}:{sys._getframe(1).f_lineno})")
            return original(self, *args, **kwargs)
        return method

    for name in SYNCING:
        setattr(torch.Tensor, name, refuse(name))
    try:
        yield
    finally:
        for name, method in saved.items():
            setattr(torch.Tensor, name, method)


class Guarded:
    """Wraps the step function or the batch source: inside a call, syncing raises."""

    def __init__(self, inner, method: str | None = None):
        self.inner, self.method = inner, method

    def __call__(self, *args, **kwargs):
        with syncs_raise():
            return self.inner(*args, **kwargs)

    def next(self):
        with syncs_raise():
            return self.inner.next()

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.mark.parametrize("model, values", [
    ("dcgan", {}),
    ("dcgan", {"ema": True, "grad_clip": 1.0, "instance_noise": 0.1, "label_smoothing": 0.1,
               "diffaugment": "color,translation,cutout", "historical_averaging": 0.1, "lr_decay": "linear"}),
    ("dcgan", {"loss": "wgan-gp", "n_critic": 2}),
    ("dcgan", {"loss": "r1", "r1_every": 2}),
    ("dcgan", {"loss": "dragan", "minibatch_std": True}),
    ("cgan", {}),
    ("acgan", {"precision": "bf16"}),
])
def test_training_steps_never_sync(tmp_path, model, values):
    data = random_images(n=32, classes=4)
    cfg = RunConfig(model=model, data="test", steps=4, batch_size=8, log_every=4, sample_every=0,
                    checkpoint_every=0, sample_count=8, **values)
    reg = registry()
    trainer = Trainer(cfg, reg.get("model", model), reg.get("loss", cfg.loss), data, PlainReporter(Console(file=StringIO())))
    trainer.update = Guarded(trainer.update)
    trainer.parts.batches = Guarded(trainer.parts.batches)
    assert trainer.fit(RunDir.create(tmp_path, model, "exp"), 4) == "finished"


def test_the_guard_catches_a_sync(tmp_path):
    """The check itself: a step that reads a loss with .item() fails it."""
    data = random_images(n=16)
    cfg = RunConfig(model="dcgan", data="test", steps=2, batch_size=8, log_every=2, sample_every=0,
                    checkpoint_every=0, sample_count=8)
    reg = registry()
    trainer = Trainer(cfg, reg.get("model", "dcgan"), reg.get("loss", "bce"), data, PlainReporter(Console(file=StringIO())))
    inner = trainer.update

    def chatty(step, real, labels):
        out = inner(step, real, labels)
        print(out["loss_d"].item())
        return out

    trainer.update = Guarded(chatty)
    with pytest.raises(HostSync, match="Tensor.item"):
        trainer.fit(RunDir.create(tmp_path, "dcgan", "exp"), 2)
