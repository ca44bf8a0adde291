"""LSGAN, hinge and Wasserstein losses by hand; GP, R1 and DRAGAN against independent autograd."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from gantool.config import RunConfig
from gantool.core.errors import UserError
from gantool.data.toy2d import load_ring
from gantool.losses.hinge import HingeLoss
from gantool.losses.lsgan import LSGANLoss
from gantool.losses.wasserstein import WassersteinLoss
from gantool.plugins import registry
from gantool.specs import DataRequest
from gantool.train.penalties import dragan_penalty, gradient_penalty, r1_penalty
from tests.conftest import train_checkpoint

REAL, FAKE = torch.tensor([2.0, -0.5, 0.25]), torch.tensor([0.5, -3.0, 1.5])


def grad_of(loss_fn, x):
    x = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(loss_fn(x), x)
    return g


def test_lsgan_by_hand():
    loss = LSGANLoss({})
    d = 0.5 * (((2 - 1) ** 2 + (-0.5 - 1) ** 2 + (0.25 - 1) ** 2) / 3 + (0.25 + 9 + 2.25) / 3)
    assert loss.d_loss(REAL, FAKE).item() == pytest.approx(d)
    assert loss.g_loss(FAKE).item() == pytest.approx(0.5 * ((0.5 - 1) ** 2 + 16 + 0.25) / 3)
    torch.testing.assert_close(grad_of(loss.g_loss, FAKE), (FAKE - 1) / 3)
    smoothed = LSGANLoss({"label_smoothing": 0.1}).d_loss(REAL, FAKE).item()
    assert smoothed != pytest.approx(d)


def test_hinge_by_hand():
    loss = HingeLoss({})
    # relu(1 - real): [0, 1.5, 0.75]; relu(1 + fake): [1.5, 0, 2.5]
    assert loss.d_loss(REAL, FAKE).item() == pytest.approx((0 + 1.5 + 0.75) / 3 + (1.5 + 0 + 2.5) / 3)
    torch.testing.assert_close(grad_of(lambda r: loss.d_loss(r, FAKE), REAL), torch.tensor([0.0, -1 / 3, -1 / 3]))
    assert loss.g_loss(FAKE).item() == pytest.approx(1 / 3)


def test_wasserstein_by_hand():
    loss = WassersteinLoss({})
    assert loss.d_loss(REAL, FAKE).item() == pytest.approx(FAKE.mean().item() - REAL.mean().item())
    torch.testing.assert_close(grad_of(loss.g_loss, FAKE), torch.full((3,), -1 / 3))
    with pytest.raises(UserError, match=r"^loss .wgan. has no option loss\.minimax \(it takes none\)$"):
        WassersteinLoss({"minimax": True})


def critic():
    torch.manual_seed(1)
    return nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 1), nn.Flatten(0))


def per_sample_norms(d, x):
    """|grad D(x_i)| one sample at a time: an independent computation of the penalties' core."""
    norms = []
    for row in x:
        xi = row[None].clone().requires_grad_(True)
        (g,) = torch.autograd.grad(d(xi).sum(), xi)
        norms.append(g.norm())
    return torch.stack(norms)


def test_gradient_penalty_matches_independent_autograd():
    d, real, fake = critic(), torch.randn(6, 4), torch.randn(6, 4)
    torch.manual_seed(7)
    gp = gradient_penalty(d, real, fake)
    torch.manual_seed(7)
    alpha = torch.rand(6, 1)
    x_hat = alpha * real + (1 - alpha) * fake
    torch.testing.assert_close(gp, ((per_sample_norms(d, x_hat) - 1) ** 2).mean())
    gp.backward()  # the penalty trains D: its gradient reaches the weights
    assert d[0].weight.grad is not None and d[0].weight.grad.abs().sum() > 0


def test_linear_critic_has_the_closed_form_penalties():
    d = nn.Linear(4, 1, bias=False)
    with torch.no_grad():
        d.weight.copy_(torch.tensor([[3.0, 0.0, 4.0, 0.0]]))  # |w| = 5 everywhere
    real, fake = torch.randn(5, 4), torch.randn(5, 4)
    assert gradient_penalty(d, real, fake).item() == pytest.approx(16.0)
    assert r1_penalty(d, real).item() == pytest.approx(25.0)
    assert dragan_penalty(d, real).item() == pytest.approx(16.0)


def test_r1_matches_independent_autograd_and_survives_autocast():
    d, real = critic(), torch.randn(6, 4)
    torch.testing.assert_close(r1_penalty(d, real), (per_sample_norms(d, real) ** 2).mean())
    torch.manual_seed(3)
    exact = gradient_penalty(d, real, real.flip(0))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        torch.manual_seed(3)
        mixed = gradient_penalty(d, real, real.flip(0))
        r1_mixed = r1_penalty(d, real)
    assert mixed.dtype == torch.float32 and r1_mixed.dtype == torch.float32
    torch.testing.assert_close(mixed, exact)


def test_presets_drive_the_trainer(tmp_path):
    data = load_ring(None, DataRequest())
    wgan = train_checkpoint(tmp_path / "w", "toy", data, steps=10, loss="wgan", optimizer="rmsprop", lr=5e-5,
                            clip_weights=0.01, n_critic=5, latent_dim=2)
    state = torch.load(wgan / "checkpoints" / "last.pt", weights_only=True)
    assert all(v.abs().max() <= 0.01 + 1e-9 for k, v in state["discriminator"].items() if k.endswith("weight"))
    assert "square_avg" in next(iter(state["opt_d"]["state"].values()))  # RMSprop

    def ticks(run):  # the loss lines (on ring data, mode-coverage lines come in between)
        lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
        return [line for line in lines if "loss_d" in line]

    gp_run = train_checkpoint(tmp_path / "g", "toy", data, steps=4, loss="wgan-gp", gp_lambda=10.0, latent_dim=2)
    assert "gp" in ticks(gp_run)[-1]
    r1_run = train_checkpoint(tmp_path / "r", "toy", data, steps=32, loss="r1", r1_gamma=10.0, r1_every=16,
                              latent_dim=2, log_every=16)
    assert len(ticks(r1_run)) == 2 and all("r1" in line for line in ticks(r1_run))


def test_loss_defaults_reach_the_config():
    from gantool.config import resolve

    reg = registry()
    cfg = resolve("dcgan", reg.get("model", "dcgan").defaults, lambda n: reg.get("loss", n).defaults, None,
                  {"loss": "wgan-gp"}, {})
    assert (cfg.lr, cfg.beta1, cfg.beta2, cfg.gp_lambda, cfg.n_critic) == (1e-4, 0.0, 0.9, 10.0, 5)
    cfg = resolve("dcgan", reg.get("model", "dcgan").defaults, lambda n: reg.get("loss", n).defaults, None,
                  {"loss": "wgan"}, {})
    assert (cfg.optimizer, cfg.lr, cfg.clip_weights, cfg.n_critic) == ("rmsprop", 5e-5, 0.01, 5)
    assert isinstance(cfg, RunConfig)
