"""The BCE loss against hand-computed values and gradients."""

from __future__ import annotations

import math

import pytest
import torch

from gantool.core.errors import UserError
from gantool.losses.bce import BCELoss


def softplus(x):
    return math.log1p(math.exp(x))


def test_discriminator_loss_by_hand():
    real, fake = torch.tensor([2.0, -1.0]), torch.tensor([0.5, -3.0])
    expected = (softplus(-2.0) + softplus(1.0)) / 2 + (softplus(0.5) + softplus(-3.0)) / 2
    assert BCELoss({}).d_loss(real, fake).item() == pytest.approx(expected, rel=1e-6)


def test_one_sided_label_smoothing_changes_only_the_real_target():
    real, fake = torch.tensor([2.0]), torch.tensor([0.5])
    s = 0.1
    # BCE with target t: t * softplus(-x) + (1 - t) * softplus(x)
    expected = (1 - s) * softplus(-2.0) + s * softplus(2.0) + softplus(0.5)
    assert BCELoss({"label_smoothing": s}).d_loss(real, fake).item() == pytest.approx(expected, rel=1e-6)
    assert BCELoss({"label_smoothing": s}).d_loss(real, fake).item() != pytest.approx(BCELoss({}).d_loss(real, fake).item())


def test_generator_losses_and_gradients():
    x = torch.tensor([-4.0, 0.0, 1.5], requires_grad=True)
    ns = BCELoss({}).g_loss(x)
    assert ns.item() == pytest.approx(sum(softplus(-v) for v in (-4.0, 0.0, 1.5)) / 3, rel=1e-6)
    (grad,) = torch.autograd.grad(ns, x)
    sig = torch.sigmoid(x.detach())
    torch.testing.assert_close(grad, (sig - 1) / 3)  # d/dx softplus(-x) = sigmoid(x) - 1

    mm = BCELoss({"minimax": True}).g_loss(x)
    assert mm.item() == pytest.approx(-sum(softplus(v) for v in (-4.0, 0.0, 1.5)) / 3, rel=1e-6)
    (grad_mm,) = torch.autograd.grad(mm, x)
    torch.testing.assert_close(grad_mm, -sig / 3)
    # the reason for the non-saturating loss: where D rejects fakes (x = -4) its gradient is far larger
    assert abs(grad[0]) > 10 * abs(grad_mm[0])


def test_unknown_option():
    with pytest.raises(UserError, match="no option"):
        BCELoss({"gamma": 1})
