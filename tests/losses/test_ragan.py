"""The relativistic average loss (`ragan`) against its formula written out here, its G
gradient, the step computing D's real logits afresh for it in the G phase, and `ragan`
training dcgan and toy through the CLI.

Written independently of gantool/losses/ragan.py: with softplus(x) = log(1 + e^x), r the
real logits, f the fake logits, s the label smoothing and bars for means,
  D = mean_r[(1 - s) softplus(-(r - f_bar)) + s softplus(r - f_bar)] + mean_f[softplus(f - r_bar)]
  G = mean_f[softplus(-(f - r_bar))] + mean_r[softplus(r - f_bar)]
(BCE with target t is t softplus(-x) + (1 - t) softplus(x); smoothing is one-sided: it
softens D's real target only, as for `bce`).
"""

from __future__ import annotations

import contextlib
import copy
import math

import pytest
import torch
from torch import nn

from gantool.core.errors import UserError
from gantool.losses.ragan import RaGANLoss
from gantool.plugins import registry
from gantool.protocols import AdversarialLoss
from gantool.train.stabilizers import InputView, Stabilizers
from gantool.train.step import AdversarialStep, StepContext
from gantool.train.update import Update
from tests.conftest import gantool, read_jsonl

REAL, FAKE = [2.0, -0.5, 0.25], [0.5, -3.0, 1.5, 0.0]  # different counts: each mean is over its own set


def softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


def d_by_hand(real, fake, s=0.0) -> float:
    r_bar, f_bar = mean(real), mean(fake)
    return (mean((1 - s) * softplus(-(r - f_bar)) + s * softplus(r - f_bar) for r in real)
            + mean(softplus(f - r_bar) for f in fake))


def g_by_hand(real, fake) -> float:
    r_bar, f_bar = mean(real), mean(fake)
    return mean(softplus(-(f - r_bar)) for f in fake) + mean(softplus(r - f_bar) for r in real)


def test_is_registered_and_says_it_needs_the_real_logits():
    loss = registry().get("loss", "ragan").factory({})
    assert isinstance(loss, RaGANLoss) and isinstance(loss, AdversarialLoss)
    assert loss.needs_real_in_g and not AdversarialLoss.needs_real_in_g


@pytest.mark.parametrize("s", [0.0, 0.1, 0.3])
def test_terms_match_the_formula(s):
    loss = RaGANLoss({"label_smoothing": s})
    real, fake = torch.tensor(REAL), torch.tensor(FAKE)
    assert loss.d_loss(real, fake).item() == pytest.approx(d_by_hand(REAL, FAKE, s), rel=1e-6)
    # smoothing is one-sided: it changes D's real target and nothing of G's term
    assert loss.g_loss(fake, real).item() == pytest.approx(g_by_hand(REAL, FAKE), rel=1e-6)
    if s:
        assert loss.d_loss(real, fake).item() != pytest.approx(RaGANLoss({}).d_loss(real, fake).item())


def test_g_gradient_comes_through_both_terms():
    """dG/df_j = -(1/n) [sigmoid(r_bar - f_j) + mean_r sigmoid(r - f_bar)]: the first part from
    the fakes' own term, the second from the reals compared with the mean of the fakes."""
    fake = torch.tensor(FAKE, requires_grad=True)
    (grad,) = torch.autograd.grad(RaGANLoss({}).g_loss(fake, torch.tensor(REAL)), fake)
    n, r_bar, f_bar = len(FAKE), mean(REAL), mean(FAKE)
    through_reals = mean(sigmoid(r - f_bar) for r in REAL)
    expected = [-(sigmoid(r_bar - f) + through_reals) / n for f in FAKE]
    torch.testing.assert_close(grad, torch.tensor(expected))
    fakes_term_only = torch.tensor([-sigmoid(r_bar - f) / n for f in FAKE])
    assert not torch.allclose(grad, fakes_term_only)  # the real term's share is not lost


def test_g_term_without_the_real_logits_is_refused():
    with pytest.raises(ValueError, match="real"):
        RaGANLoss({}).g_loss(torch.tensor(FAKE))
    with pytest.raises(UserError, match="ragan"):
        RaGANLoss({"minimax": True})


class RecordingRaGAN(RaGANLoss):
    """ragan, keeping the real logits each term was given."""

    def __init__(self):
        super().__init__({})
        self.d_real: list[torch.Tensor] = []
        self.g_real: list[torch.Tensor | None] = []

    def d_loss(self, real, fake):
        self.d_real.append(real.detach().clone())
        return super().d_loss(real, fake)

    def g_loss(self, fake, real=None):
        self.g_real.append(None if real is None else real.detach().clone())
        return super().g_loss(fake, real)


def one_step():
    """One D then G update of a tiny 2-D GAN with SGD at lr 1 (an update is minus the gradient)."""
    torch.manual_seed(0)
    g = nn.Linear(2, 2)
    d = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1), nn.Flatten(0))
    g0 = copy.deepcopy(g)
    loss = RecordingRaGAN()
    ctx = StepContext(g, d, loss, 2, torch.device("cpu"), InputView(Stabilizers()))
    optimizers = {"g": torch.optim.SGD(g.parameters(), lr=1.0), "d": torch.optim.SGD(d.parameters(), lr=1.0)}
    update = Update(AdversarialStep(ctx), {"g": g, "d": d}, optimizers, torch.amp.GradScaler("cpu", enabled=False),
                    contextlib.nullcontext)
    real = torch.randn(6, 2) + 2.0
    torch.manual_seed(3)
    update(0, real, None)
    torch.manual_seed(3)  # the step's draw, again: the latents of this batch
    z = torch.randn(6, 2)
    return g0, g, d, loss, real, z


def test_g_phase_computes_the_real_logits_afresh():
    _, _, d, loss, real, _ = one_step()
    assert len(loss.g_real) == 1 and loss.g_real[0] is not None
    with torch.no_grad():
        now = d(real)  # D after its update; the G phase leaves D as it is
    torch.testing.assert_close(loss.g_real[0], now)
    assert not torch.allclose(loss.g_real[0], loss.d_real[0])  # not the D phase's stale logits


def test_g_update_follows_both_terms_through_g():
    g0, g, d, _, real, z = one_step()
    d.requires_grad_(False)
    params = list(g0.parameters())
    f, r = d(g0(z)), d(real)
    r_bar, f_bar = r.mean(), f.mean()
    full = nn.functional.softplus(-(f - r_bar)).mean() + nn.functional.softplus(r - f_bar).mean()
    grads = torch.autograd.grad(full, params, retain_graph=True)
    for before, grad, after in zip(params, grads, g.parameters()):
        torch.testing.assert_close(after.detach(), (before - grad).detach(), rtol=1e-5, atol=1e-6)
    fakes_only = torch.autograd.grad(nn.functional.softplus(-(f - r_bar)).mean(), params)
    assert any(not torch.allclose(a, b) for a, b in zip(grads, fakes_only))


@pytest.mark.parametrize("model, data", [("dcgan", "npz"), ("toy", "ring")])
def test_ragan_trains_through_the_cli(tmp_path, tiny_images, model, data):
    args = (["--data", f"npz:{tiny_images}", "--set", "model.ngf=8", "--set", "model.ndf=8"] if data == "npz"
            else ["--data", "ring", "--set", "model.hidden=16"])
    out = gantool("train", model, *args, "--loss", "ragan", "--steps", "3", "--batch-size", "16", "--log-every", "1",
                  "--sample-every", "0", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    run = tmp_path / "runs" / model / "exp"
    assert 'loss = "ragan"' in (run / "config.toml").read_text()
    losses = [m for m in read_jsonl(run / "metrics.jsonl") if "loss_d" in m]
    assert [m["step"] for m in losses] == [1, 2, 3]
    assert all(math.isfinite(m[key]) for m in losses for key in ("loss_d", "loss_g"))
