"""The default adversarial training step, described as phases.

A step is one discriminator update (phase `D`); every `n_critic` steps the generator is
updated too (phase `G`); with R1 on, every `r1_every` steps D's update also carries the R1
penalty scaled by `r1_every` (phase `D_reg`, lazy regularization as in StyleGAN2, folded
into the D update so one GradScaler step per optimizer and step still holds). When G is
due, the fake batch is generated once with autograd on and reused for both phases, as the
reference DCGAN loop does, so no G forward is wasted.
Losses come back as detached device tensors: nothing here synchronises with the host.

A plugin whose training is not one G against one D gives its ModelSpec a `make_step`
returning an object with the same `__call__(step, real, labels) -> dict` and `phases`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch
from torch import nn

from gantool.losses.penalties import dragan_penalty, gradient_penalty, r1_penalty


@dataclass(frozen=True)
class Phase:
    name: str
    every: int  # runs on steps where (step + 1) % every == 0

    def due(self, step: int) -> bool:
        return (step + 1) % self.every == 0


@dataclass(frozen=True)
class Regularizers:
    """D regularizers the default step applies, whatever the loss (0 switches one off)."""

    clip_weights: float = 0.0
    gp_lambda: float = 0.0
    r1_gamma: float = 0.0
    r1_every: int = 16
    dragan_lambda: float = 0.0


@dataclass
class StepContext:
    """Everything the Trainer owns that a step needs."""

    generator: nn.Module
    discriminator: nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    loss: Any
    latent_dim: int
    device: torch.device
    autocast: Callable[[], Any]
    scaler: torch.amp.GradScaler
    n_critic: int = 1
    on_generator_step: Callable[[], None] = lambda: None  # the Trainer's EMA update
    regularizers: Regularizers = Regularizers()


class AdversarialStep:
    def __init__(self, ctx: StepContext):
        self.ctx = ctx
        reg = ctx.regularizers
        self._d_params = list(ctx.discriminator.parameters())
        self._g_phase = Phase("G", ctx.n_critic)
        # lazy R1 (StyleGAN2): every r1_every steps, scaled by r1_every
        self._r1_phase = Phase("D_reg", reg.r1_every) if reg.r1_gamma else None
        self.phases = [Phase("D", 1), *([self._r1_phase] if self._r1_phase else []), self._g_phase]

    def _optimize(self, loss: torch.Tensor, opt: torch.optim.Optimizer) -> None:
        opt.zero_grad(set_to_none=True)
        self.ctx.scaler.scale(loss).backward()
        self.ctx.scaler.step(opt)

    def __call__(self, step: int, real: torch.Tensor, labels: torch.Tensor | None) -> dict[str, torch.Tensor]:
        c = self.ctx
        g_due = self._g_phase.due(step)
        z = torch.randn(real.shape[0], c.latent_dim, device=c.device)
        with c.autocast(), torch.set_grad_enabled(g_due):
            fake = c.generator(z)
        with c.autocast():
            real_logits = c.discriminator(real)
            fake_logits = c.discriminator(fake.detach())
            loss_d = c.loss.d_loss(real_logits, fake_logits)
        out = {"loss_d": loss_d.detach(), "logit_real": real_logits.detach().float().mean(),
               "logit_fake": fake_logits.detach().float().mean()}
        reg = c.regularizers
        if reg.gp_lambda:
            gp = gradient_penalty(c.discriminator, real, fake)
            loss_d = loss_d + reg.gp_lambda * gp
            out["gp"] = gp.detach()
        if reg.dragan_lambda:
            dragan = dragan_penalty(c.discriminator, real)
            loss_d = loss_d + reg.dragan_lambda * dragan
            out["dragan"] = dragan.detach()
        if self._r1_phase and self._r1_phase.due(step):  # lazy: rarely, and scaled up to match
            r1 = r1_penalty(c.discriminator, real)
            loss_d = loss_d + 0.5 * reg.r1_gamma * reg.r1_every * r1
            out["r1"] = r1.detach()
        self._optimize(loss_d, c.opt_d)
        if reg.clip_weights:  # WGAN's Lipschitz constraint, after every D update
            with torch.no_grad():
                torch._foreach_clamp_min_(self._d_params, -reg.clip_weights)
                torch._foreach_clamp_max_(self._d_params, reg.clip_weights)
        if g_due:
            c.discriminator.requires_grad_(False)  # no D weight gradients in the G phase
            with c.autocast():
                loss_g = c.loss.g_loss(c.discriminator(fake))
            self._optimize(loss_g, c.opt_g)
            c.discriminator.requires_grad_(True)
            c.on_generator_step()
            out["loss_g"] = loss_g.detach()
        c.scaler.update()  # one scaler, updated once after both optimizers stepped
        return out
