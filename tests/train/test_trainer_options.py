"""Trainer options in-process on the toy problem: n_critic, EMA, precision, sampling."""

from __future__ import annotations

import json

import pytest
import torch

from gantool.config import RunConfig
from gantool.data.toy2d import load_ring
from gantool.losses.bce import BCELoss
from gantool.plugins import registry
from gantool.run import RunDir
from gantool.specs import DataRequest, LossSpec
from gantool.train.trainer import Trainer


class CountingLoss(BCELoss):
    d_calls = g_calls = 0

    def d_loss(self, real, fake):
        CountingLoss.d_calls += 1
        return super().d_loss(real, fake)

    def g_loss(self, fake, real=None):
        CountingLoss.g_calls += 1
        return super().g_loss(fake, real)


def make(tmp_path, loss_factory=BCELoss, **overrides):
    cfg = RunConfig(**{"model": "toy", "data": "ring", "steps": 12, "batch_size": 32, "latent_dim": 2,
                       "log_every": 4, "sample_every": 0, "checkpoint_every": 0, "sample_count": 16, **overrides})
    loss = LossSpec(name="test", summary="test", factory=loss_factory)
    trainer = Trainer(cfg, registry().get("model", "toy"), loss, load_ring(None, DataRequest()))
    return trainer, RunDir.create(tmp_path, "toy", "t")


def test_n_critic_updates_g_every_nth_step(tmp_path):
    CountingLoss.d_calls = CountingLoss.g_calls = 0
    trainer, run = make(tmp_path, CountingLoss, n_critic=3)
    g_before = [p.detach().clone() for p in trainer.G.parameters()]
    assert trainer.fit(run, 12) == "finished"
    assert (CountingLoss.d_calls, CountingLoss.g_calls) == (12, 4)
    assert any(not torch.equal(a, b) for a, b in zip(g_before, trainer.G.parameters()))


def test_ema_tracks_the_generator(tmp_path):
    trainer, run = make(tmp_path, ema=True, ema_decay=0.5)
    trainer.fit(run, 12)
    for e, g in zip(trainer.ema.model.parameters(), trainer.G.parameters()):
        assert not e.requires_grad
        assert not torch.equal(e, g)
        assert (e - g).abs().max() < 0.5  # decay 0.5 follows closely


def test_each_phase_computes_the_gradients_of_its_own_network_only(tmp_path):
    """D's weights get gradients in the D phase only, G's in the G phase only; D's
    requires_grad is back on after the G phase."""
    trainer, run = make(tmp_path, n_critic=2)
    calls = {"g": 0, "d": 0}
    for name, net in (("g", trainer.G), ("d", trainer.D)):
        for p in net.parameters():
            p.register_hook(lambda grad, name=name: calls.__setitem__(name, calls[name] + 1))
    trainer.fit(run, 4)
    n_g, n_d = len(list(trainer.G.parameters())), len(list(trainer.D.parameters()))
    assert calls == {"g": 2 * n_g, "d": 4 * n_d}  # G due on 2 of 4 steps
    assert all(p.requires_grad for p in [*trainer.D.parameters(), *trainer.G.parameters()])


def test_compiled_training_stops_compiling_after_the_first_generator_step(tmp_path):
    """torch.compile of G and D through a backend that counts the graphs it is handed (and
    runs them as they are, fast enough for CI): G once, D once or once per phase (torch
    2.14 guards on whether D's weights or its inputs want gradients, 2.13 does not); after
    that, error_on_recompile holds through further steps, and the sample grids, at another
    batch size, run eagerly instead of compiling."""
    import torch._dynamo

    graphs = []

    def counting(gm, example_inputs):
        graphs.append(gm)
        return gm.forward

    torch._dynamo.reset()
    torch._dynamo.register_backend(counting, name="gantool_test_counting")
    trainer, run = make(tmp_path, compile=True, compile_backend="gantool_test_counting", sample_every=3)
    assert trainer.fit(run, 1) == "finished"
    first_step = len(graphs)
    assert first_step in (2, 3)
    with torch._dynamo.config.patch(error_on_recompile=True):
        assert trainer.fit(run, 6, resumed=True) == "finished"
    assert len(graphs) == first_step
    assert (run.path / "samples" / "step-0000006.png").exists()
    assert "_orig_mod" not in "".join(trainer.state_dict()["generator"])  # checkpoints keep their keys
    torch._dynamo.reset()


def test_channels_last_stores_weights_and_batches_as_nhwc(tmp_path, tiny_images):
    from gantool.data.npz import load as load_npz

    cfg = RunConfig(model="dcgan", data="npz", steps=2, batch_size=4, image_size=28, channels=3, log_every=1,
                    sample_every=0, checkpoint_every=0, sample_count=4, channels_last="on",
                    model_options={"ngf": 8, "ndf": 8})
    data = load_npz(str(tiny_images), DataRequest(image_size=28, channels=3))
    trainer = Trainer(cfg, registry().get("model", "dcgan"), registry().get("loss", "bce"), data)
    convs = [m for m in trainer.D.modules() if isinstance(m, torch.nn.Conv2d) and m.weight.shape[-1] > 1]
    assert convs and all(m.weight.is_contiguous(memory_format=torch.channels_last) for m in convs)
    real, _ = trainer.batches.next()
    assert real.is_contiguous(memory_format=torch.channels_last) and not real.is_contiguous()
    assert trainer.fit(RunDir.create(tmp_path, "dcgan", "cl"), 2) == "finished"


def test_bf16_autocast_runs_on_cpu(tmp_path):
    trainer, run = make(tmp_path, precision="bf16")
    assert trainer.precision.dtype is torch.bfloat16
    trainer.fit(run, 12)
    metrics = [json.loads(l) for l in (run.path / "metrics.jsonl").read_text().splitlines()]
    assert all(abs(m["loss_d"]) < 100 for m in metrics if "loss_d" in m)  # mode-coverage lines have no losses


def test_sampling_does_not_disturb_training(tmp_path):
    a, run_a = make(tmp_path / "a")
    b, run_b = make(tmp_path / "b", sample_every=1)
    a.fit(run_a, 8)
    b.fit(run_b, 8)
    for x, y in zip(a.G.state_dict().values(), b.G.state_dict().values()):
        assert torch.equal(x, y)
    assert len(list(run_b.samples.iterdir())) == 8


def test_dataset_smaller_than_batch_is_a_user_error(tmp_path):
    import numpy as np

    from gantool.core.errors import UserError
    from gantool.specs import DataArrays

    cfg = RunConfig(model="toy", data="ring", steps=2, batch_size=64, latent_dim=2)
    with pytest.raises(UserError, match="fewer than --batch-size 64"):
        Trainer(cfg, registry().get("model", "toy"), registry().get("loss", "bce"),
                DataArrays(x=np.zeros((10, 2), np.float32), kind="vector"))


def test_rich_progress_bar_on_a_terminal(tmp_path):
    import io

    from rich.console import Console

    from gantool.train.report import RichReporter

    out = io.StringIO()
    reporter = RichReporter(Console(file=out, force_terminal=True, width=120))
    reporter.message("before the bar starts")
    trainer, run = make(tmp_path)
    trainer.reporter = reporter
    trainer.fit(run, 12)
    text = out.getvalue()
    assert "before the bar starts" in text and "12/12" in text and "loss_d" in text


def test_linear_lr_decay_reaches_zero_and_resumes_on_schedule(tmp_path):
    seen = []

    class Recording(BCELoss):
        def d_loss(self, real, fake):
            seen.append((trainer.parts.optimizers["g"].param_groups[0]["lr"], trainer.parts.optimizers["d"].param_groups[0]["lr"]))
            return super().d_loss(real, fake)

    trainer, run = make(tmp_path, Recording, lr=1e-3, lr_d=4e-3, lr_decay="linear")
    trainer.fit(run, 10)
    assert [g for g, _ in seen] == pytest.approx([1e-3 * (1 - s / 10) for s in range(10)])
    assert [d for _, d in seen] == pytest.approx([4e-3 * (1 - s / 10) for s in range(10)])
    # the schedule is a function of the step: a trainer resumed at step 6 continues it
    state = trainer.state_dict()
    seen.clear()
    trainer, run = make(tmp_path, Recording, lr=1e-3, lr_d=4e-3, lr_decay="linear")
    state["step"] = 6
    trainer.load_state_dict(state)
    trainer.fit(run, 10, resumed=True)
    assert [g for g, _ in seen] == pytest.approx([1e-3 * (1 - s / 10) for s in range(6, 10)])
