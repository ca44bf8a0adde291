"""GPU checks of the fast path; `python -m pytest -m gpu` on a machine with CUDA (CI has none:
the CPU side of each is in tests/train/). Each fails, not skips, when selected without CUDA."""

from __future__ import annotations

from io import StringIO

import pytest
import torch
from rich.console import Console

from gantool.config import RunConfig
from gantool.plugins import registry
from gantool.run import RunDir
from gantool.train.report import PlainReporter
from gantool.train.trainer import Trainer
from tests.conftest import random_images

pytestmark = pytest.mark.gpu


@pytest.fixture(autouse=True)
def needs_cuda():
    assert torch.cuda.is_available(), "the gpu tests need CUDA (deselect them with -m 'not gpu')"


def make(tmp_path, **values):
    data = random_images(n=512, size=64, channels=3)
    cfg = RunConfig(**{"model": "dcgan", "data": "test", "steps": 40, "batch_size": 128, "image_size": 64,
                       "channels": 3, "log_every": 20, "sample_every": 0, "checkpoint_every": 0,
                       "sample_count": 16, **values})
    reg = registry()
    trainer = Trainer(cfg, reg.get("model", "dcgan"), reg.get("loss", cfg.loss), data,
                      PlainReporter(Console(file=StringIO())))
    return trainer, RunDir.create(tmp_path, "dcgan", "exp")


@pytest.mark.parametrize("values", [{}, {"ema": True, "grad_clip": 1.0}, {"loss": "wgan-gp", "n_critic": 2}])
def test_steps_do_not_synchronize(tmp_path, values):
    trainer, run = make(tmp_path, **values)
    assert trainer.precision.name == "bf16" and trainer.batches.channels_last
    assert trainer.parts.optimizers["g"].defaults.get("fused") and torch.backends.cudnn.benchmark
    trainer.update(0, *trainer.batches.next())  # warm-up: cudnn autotuning may sync
    step, batches = trainer.update, trainer.batches
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        for i in range(1, 6):
            step(i, *batches.next())
    finally:
        torch.cuda.set_sync_debug_mode("default")


def test_compiled_training_runs_and_matches_eager_closely(tmp_path):
    eager, run_e = make(tmp_path / "e", steps=6, precision="fp32")
    compiled, run_c = make(tmp_path / "c", steps=6, precision="fp32", compile=True)
    assert eager.fit(run_e, 6) == compiled.fit(run_c, 6) == "finished"
    for a, b in zip(eager.G.parameters(), compiled.G.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-2, atol=1e-3)
