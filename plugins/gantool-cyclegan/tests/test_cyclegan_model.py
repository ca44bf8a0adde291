"""The networks, the pool of past fakes and the step's losses, against computations
written out independently here."""

from __future__ import annotations

import contextlib
import copy
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F

from gantool.core.errors import UserError
from gantool.losses.lsgan import LSGANLoss
from gantool.specs import ModelArgs
from gantool.train.stabilizers import InputView, Stabilizers
from gantool.train.step import StepContext
from gantool.train.update import Update
from gantool_cyclegan.networks import build, translators
from gantool_cyclegan.pool import ImagePool
from gantool_cyclegan.step import CycleGANStep


def tiny(size: int = 16, **options) -> tuple:
    torch.manual_seed(0)
    modules = build(ModelArgs(latent_dim=1, image_size=size, channels=3,
                              options={"ngf": 4, "ndf": 4, "blocks": 1, **options}))
    return modules.generator, modules.discriminator


@pytest.mark.parametrize("size, patches", [(16, 3), (28, 6), (32, 7)])
def test_shapes(size, patches):
    g, d = tiny(size)
    x = torch.rand(2, 3, size, size) * 2 - 1
    for direction, net in translators(g).items():
        y = net(x)
        assert y.shape == x.shape and y.abs().max() <= 1, direction
    assert d.a(x).shape == d.b(x).shape == (2, 1, patches, patches)  # a grid of patch logits
    assert d(x).shape == (2,)


def test_bad_options_name_the_plugin():
    with pytest.raises(UserError, match="^gantool-cyclegan: image_size must be a multiple of 4"):
        tiny(30)
    with pytest.raises(UserError, match="^gantool-cyclegan: unknown model option"):
        tiny(16, width=3)


def test_pool_fills_then_swaps_about_half():
    torch.manual_seed(0)
    pool = ImagePool(6)
    first = torch.arange(4.0).view(4, 1, 1, 1)
    assert torch.equal(pool.query(first), first)  # filling: the fakes come back as they are
    second = torch.arange(10.0, 14.0).view(4, 1, 1, 1)
    assert torch.equal(pool.query(second)[:2], second[:2])  # they take the last two free slots
    assert pool.count == 6 and set(pool.images.flatten().tolist()) <= {0, 1, 2, 3, 10, 11, 12, 13}
    swapped = 0
    for i in range(200):
        new = 100.0 + i
        before = sorted(pool.images.flatten().tolist())
        shown = pool.query(torch.full((4, 1, 1, 1), new)).flatten().tolist()
        old = [v for v in shown if v != new]  # D sees these stored fakes instead of new ones
        after = sorted(pool.images.flatten().tolist())
        assert len(after) == 6 and after.count(new) == len(old)  # each swap stores the new fake...
        kept = [v for v in after if v != new]
        assert sorted(kept + old) == before  # ...in the slot of the stored fake it showed
        swapped += len(old)
    assert 0.4 < swapped / 800 < 0.6  # probability 1/2


def test_pool_state_round_trip_continues_alike():
    torch.manual_seed(1)
    pool = ImagePool(5)
    for _ in range(3):
        pool.query(torch.randn(4, 2))
    restored = ImagePool(5)
    restored.load_state_dict(copy.deepcopy(pool.state_dict()), torch.device("cpu"))
    batch = torch.randn(4, 2)
    torch.manual_seed(7)
    want = pool.query(batch)
    torch.manual_seed(7)
    assert torch.equal(restored.query(batch), want) and torch.equal(restored.images, pool.images)


def test_step_losses_and_updates_match_the_paper():
    """With SGD at lr 1 an update is minus the gradient, so comparing weights before and
    after checks the whole G objective (adversarial + 10 cycle + 5 identity) and that the
    D update carries D's loss alone."""
    g, d = tiny(16)
    g0, d0 = copy.deepcopy(g), copy.deepcopy(d)
    x = (torch.rand(10, 3, 16, 16) * 255).to(torch.uint8)
    labels = torch.tensor([0] * 6 + [1] * 4)
    ctx = StepContext(g, d, LSGANLoss({}), 1, torch.device("cpu"), InputView(Stabilizers()),
                      batches=SimpleNamespace(x=x, labels=labels))
    step = CycleGANStep(ctx)
    optimizers = {"g": torch.optim.SGD(g.parameters(), lr=1.0), "d": torch.optim.SGD(d.parameters(), lr=1.0)}
    update = Update(step, {"g": g, "d": d}, optimizers, torch.amp.GradScaler("cpu", enabled=False),
                    contextlib.nullcontext)
    torch.manual_seed(3)
    out = update(0, torch.zeros(3, 3, 16, 16), None)

    torch.manual_seed(3)  # the same draws, written out: 3 images of A, then 3 of B
    a = x[torch.arange(6)[torch.randint(6, (3,))]].float() / 127.5 - 1
    b = x[torch.arange(6, 10)[torch.randint(4, (3,))]].float() / 127.5 - 1
    mse = F.mse_loss
    d0.requires_grad_(False)
    fake_b, fake_a = g0.a2b(a), g0.b2a(b)
    adversarial = mse(d0.b(fake_b), torch.ones(3, 1, 3, 3)) + mse(d0.a(fake_a), torch.ones(3, 1, 3, 3))
    cycle = F.l1_loss(g0.b2a(fake_b), a) + F.l1_loss(g0.a2b(fake_a), b)
    identity = F.l1_loss(g0.a2b(b), b) + F.l1_loss(g0.b2a(a), a)
    torch.testing.assert_close(out["loss_g"], adversarial.detach())
    torch.testing.assert_close(out["cycle"], cycle.detach())
    torch.testing.assert_close(out["identity"], identity.detach())
    g_params = list(g0.parameters())
    grads = torch.autograd.grad(adversarial + 10 * cycle + 5 * identity, g_params)
    for before, grad, after in zip(g_params, grads, g.parameters()):
        torch.testing.assert_close(after.detach(), (before - grad).detach(), rtol=1e-4, atol=1e-5)

    d0.requires_grad_(True)
    fa, fb = fake_a.detach(), fake_b.detach()  # the pool is filling: D sees these fakes
    loss_d = (0.5 * (mse(d0.a(a), torch.ones(3, 1, 3, 3)) + mse(d0.a(fa), torch.zeros(3, 1, 3, 3)))
              + 0.5 * (mse(d0.b(b), torch.ones(3, 1, 3, 3)) + mse(d0.b(fb), torch.zeros(3, 1, 3, 3))))
    torch.testing.assert_close(out["loss_d"], loss_d.detach())
    d_params = list(d0.parameters())
    for before, grad, after in zip(d_params, torch.autograd.grad(loss_d, d_params), d.parameters()):
        torch.testing.assert_close(after.detach(), (before - grad).detach(), rtol=1e-4, atol=1e-5)
