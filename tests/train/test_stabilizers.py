"""Stabilizers: what D sees (noise, DiffAugment, packing, minibatch stddev) and how updates change."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gantool.core.errors import UserError
from gantool.train.augment import DiffAugment, cutout, translation
from gantool.train.stabilizers import HistoricalAverage, InputView, MinibatchStdDev, Stabilizers, pack
from tests.train.test_trainer_options import make


def test_instance_noise_is_annealed_linearly_to_zero():
    view = InputView(Stabilizers(instance_noise=0.5), total_steps=100)
    x = torch.zeros(20000, 2)
    assert view(x, 0).std().item() == pytest.approx(0.5, rel=0.03)
    assert view(x, 50).std().item() == pytest.approx(0.25, rel=0.03)
    assert torch.equal(view(x, 100), x)
    fixed = InputView(Stabilizers(instance_noise=0.5, instance_noise_steps=10), total_steps=100)
    assert fixed.noise_sigma(5) == pytest.approx(0.25) and fixed.noise_sigma(10) == 0.0


def test_instance_noise_reaches_the_discriminator_in_training(tmp_path):
    """D's real inputs differ from the data batch by noise of the scheduled size."""
    seen = []
    trainer, run = make(tmp_path, instance_noise=0.3, steps=4, batch_size=512)
    trainer.D.register_forward_pre_hook(lambda module, args: seen.append(args[0].detach().clone()))
    batches = []
    original_next = trainer.batches.next
    trainer.batches.next = lambda: batches.append(original_next()) or batches[-1]
    trainer.fit(run, 4)
    real, _ = batches[0]
    diff = seen[0] - real  # the first D call of step 0 is on the real batch
    assert diff.std().item() == pytest.approx(0.3, rel=0.1)
    plain_seen = []
    plain, run2 = make(tmp_path / "plain", steps=1, batch_size=512)
    plain.D.register_forward_pre_hook(lambda module, args: plain_seen.append(args[0].detach().clone()))
    plain.fit(run2, 1)
    assert torch.equal(plain_seen[0], plain.batches.x[plain.batches.order.perm[:512]])


def test_pack_stacks_consecutive_samples_along_channels():
    x = torch.arange(6 * 2, dtype=torch.float32).view(6, 2)
    packed = pack(x, 3)
    assert packed.shape == (2, 6)
    assert torch.equal(packed[0], torch.cat([x[0], x[1], x[2]]))
    images = torch.randn(4, 3, 5, 5)
    assert torch.equal(pack(images, 2)[1, 3:], images[3])


def test_packed_training_builds_a_wider_discriminator(tmp_path):
    trainer, run = make(tmp_path, pack=3, minibatch_std=True, batch_size=30, steps=3)
    first = next(m for m in trainer.D.modules() if isinstance(m, nn.Linear))
    assert first.in_features == 2 * 3 + 1
    assert trainer.fit(run, 3) == "finished"


def test_minibatch_stddev_feature_measures_the_batch():
    layer = MinibatchStdDev()
    same = torch.ones(8, 3, 4, 4)
    assert torch.equal(layer(same)[:, 3], torch.zeros(8, 4, 4))
    varied = torch.randn(4096, 2) * 2.0
    out = layer(varied)
    assert out.shape == (4096, 3)
    assert out[:, 2].unique().numel() == 1 and out[0, 2].item() == pytest.approx(2.0, rel=0.05)


def test_translation_moves_content_by_whole_pixels_and_fills_zeros():
    torch.manual_seed(0)
    x = torch.zeros(64, 1, 16, 16)
    x[:, :, 8, 8] = 1.0
    out = translation(x)
    for img in out[:, 0]:
        assert img.sum().item() == 1.0  # one pixel, moved, never smeared
        y, xx = (img == 1).nonzero()[0].tolist()
        assert abs(y - 8) <= 2 and abs(xx - 8) <= 2  # 16 / 8 = 2 pixels at most
    assert (out[:, 0, 8, 8] == 0).any()  # some samples did move
    edge = torch.ones(64, 1, 16, 16)
    assert (translation(edge) == 0).any()  # shifted-in borders are zero


def test_cutout_erases_a_half_size_square():
    torch.manual_seed(0)
    out = cutout(torch.ones(256, 2, 16, 16))
    erased = (out[:, 0] == 0).flatten(1).sum(1)
    assert erased.max().item() == 64  # 8 x 8 when fully inside
    assert erased.min().item() >= 16  # a corner placement still erases a quarter
    assert torch.equal(out[:, 0] == 0, out[:, 1] == 0)  # all channels


def test_diffaugment_is_differentiable_and_checks_its_policy():
    x = torch.randn(8, 3, 16, 16, requires_grad=True)
    DiffAugment("color,translation,cutout")(x).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    with pytest.raises(UserError, match="unknown policy flip"):
        DiffAugment("color,flip")


def test_gradient_norm_clipping_bounds_the_applied_gradient(tmp_path):
    trainer, run = make(tmp_path, grad_clip=1e-3, steps=2)
    out = trainer.update(0, *trainer.batches.next())
    assert out["grad_norm_d"].item() > 1e-3  # the norm before clipping is what gets logged
    total = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in trainer.D.parameters()]))
    assert total.item() <= 1e-3 * 1.0001


def test_historical_averaging_adds_the_pull_towards_the_running_mean():
    net = nn.Linear(3, 2)
    history = HistoricalAverage(net, weight=0.5)
    start = [p.detach().clone() for p in net.parameters()]
    with torch.no_grad():
        for p in net.parameters():
            p.add_(1.0)
    for p in net.parameters():
        p.grad = torch.zeros_like(p)
    history.add_gradient()
    for p in net.parameters():  # 2 * 0.5 * (theta - mean) = 1 everywhere
        assert torch.allclose(p.grad, torch.ones_like(p))
    history.update()  # the mean of two snapshots: start and start + 1
    for mean, s in zip(history.mean, start):
        assert torch.allclose(mean, s + 0.5)


def test_historical_average_is_checkpointed(tmp_path):
    trainer, run = make(tmp_path, historical_averaging=0.1, steps=5)
    trainer.fit(run, 5)
    state = trainer.state_dict()["update_state"]["history"]
    assert state["d"]["count"] == 6 and state["g"]["count"] == 6
    again, _ = make(tmp_path / "again", historical_averaging=0.1, steps=5)
    again.load_state_dict(trainer.state_dict())
    for a, b in zip(again.update.history["d"].mean, trainer.update.history["d"].mean):
        assert torch.equal(a, b)
