"""The default adversarial training step, described as phases.

A step is one discriminator update (phase `D`); every `n_critic` steps the generator is
updated too (phase `G`); with R1 on, every `r1_every` steps D's update also carries the R1
penalty scaled by `r1_every` (phase `D_reg`, lazy regularization as in StyleGAN2, folded
into the D update so one GradScaler step per optimizer and step still holds). When G is
due, the fake batch is generated once with autograd on and reused for both phases, as the
reference DCGAN loop does, so no G forward is wasted.
Losses come back as detached device tensors: nothing here synchronises with the host.

Conditional models (ModelSpec.conditional) get labels: G(z, y) and D(x, y), the fakes
drawn for the real batch's labels. The stabilizers
(gantool/train/stabilizers.py) shape what D sees and how gradients are applied.

A plugin whose training is not one G against one D gives its ModelSpec a `make_step`
returning an object with the same `__call__(step, real, labels) -> dict` and `phases`
(and, when it keeps state of its own, `state_dict()` / `load_state_dict()` for checkpoints).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch
from torch import nn

from gantool.losses.penalties import dragan_penalty, gradient_penalty, r1_penalty
from gantool.train.distributed import SINGLE, Shard
from gantool.train.stabilizers import HistoricalAverage, InputView, Stabilizers


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
    stabilizers: Stabilizers = Stabilizers()
    conditional: bool = False
    num_classes: int = 0
    total_steps: int = 0  # set by the Trainer before fit; anneals instance noise
    # data parallel (gantool/train/distributed.py): this process's share of each global
    # batch, and the DDP wrappers that average G's and D's gradients over the processes
    shard: Shard = SINGLE
    # the Trainer's batch source, for steps that pick their own real samples (for example
    # rows of a given category, as a tabular GAN's training-by-sampling does)
    batches: Any = None
    generator_ddp: nn.Module | None = None
    discriminator_ddp: nn.Module | None = None

    @property
    def train_generator(self) -> nn.Module:
        """G as called when its gradients are wanted (the DDP wrapper under --nproc)."""
        return self.generator if self.generator_ddp is None else self.generator_ddp

    @property
    def train_discriminator(self) -> nn.Module:
        """D as called in its own phase. The G phase calls the bare `discriminator`: D is
        frozen there, and its DDP wrapper must see exactly one backward per forward."""
        return self.discriminator if self.discriminator_ddp is None else self.discriminator_ddp

    def latents(self, n: int) -> torch.Tensor:
        return self.shard.randn(n, self.latent_dim, device=self.device)


class Conditioned:
    """Calls a network with or without labels, so one step serves both kinds of model."""

    def __init__(self, conditional: bool):
        self.conditional = conditional

    def __call__(self, net: nn.Module, x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        return net(x, labels) if self.conditional else net(x)


class AdversarialStep:
    def __init__(self, ctx: StepContext):
        self.ctx = ctx
        reg, stab = ctx.regularizers, ctx.stabilizers
        self._d_params = list(ctx.discriminator.parameters())
        self._g_phase = Phase("G", ctx.n_critic)
        # lazy R1 (StyleGAN2): every r1_every steps, scaled by r1_every
        self._r1_phase = Phase("D_reg", reg.r1_every) if reg.r1_gamma else None
        self.phases = [Phase("D", 1), *([self._r1_phase] if self._r1_phase else []), self._g_phase]
        self.call = Conditioned(ctx.conditional)
        self.view = InputView(stab, shard=ctx.shard)
        self.history = {name: HistoricalAverage(net, stab.historical_averaging)
                        for name, net in (("g", ctx.generator), ("d", ctx.discriminator))
                        } if stab.historical_averaging else {}

    def state_dict(self) -> dict:
        return {"history": {k: h.state_dict() for k, h in self.history.items()}}

    def load_state_dict(self, state: dict) -> None:
        for key, saved in state.get("history", {}).items():
            if key in self.history:
                self.history[key].load_state_dict(saved)

    def _optimize(self, loss: torch.Tensor, opt: torch.optim.Optimizer, net: str, out: dict) -> None:
        c, stab = self.ctx, self.ctx.stabilizers
        opt.zero_grad(set_to_none=True)
        c.scaler.scale(loss).backward()
        if stab.grad_clip or self.history:
            c.scaler.unscale_(opt)  # both act on true gradients; a no-op without loss scaling
            if net in self.history:
                self.history[net].add_gradient()
            if stab.grad_clip:  # the norm before clipping is logged; no host sync
                params = [p for group in opt.param_groups for p in group["params"]]
                out[f"grad_norm_{net}"] = torch.nn.utils.clip_grad_norm_(params, stab.grad_clip, foreach=True).detach()
        c.scaler.step(opt)
        if net in self.history:
            self.history[net].update()

    def _fake_labels(self, labels: torch.Tensor | None) -> torch.Tensor | None:
        """Fakes are drawn for the real batch's labels: same class balance, and a gradient
        penalty interpolates between a real and a fake image of the same class."""
        return labels if self.ctx.conditional else None

    def d_net(self, role: str) -> nn.Module:
        """The discriminator to call for `role`: "real" and "fake" train D, "generator" trains G."""
        return self.ctx.discriminator if role == "generator" else self.ctx.train_discriminator

    def judge(self, x: torch.Tensor, labels: torch.Tensor | None, role: str) -> tuple[torch.Tensor, torch.Tensor | None]:
        """D's logits for `x`, and an auxiliary loss term (None: none) that the D phase adds for
        role "real" and "fake" and the G phase for role "generator". A step for a D with an
        extra head (ACGAN's classifier) overrides this."""
        return self.call(self.d_net(role), x, labels), None

    def __call__(self, step: int, real: torch.Tensor, labels: torch.Tensor | None) -> dict[str, torch.Tensor]:
        c = self.ctx
        self.view.total_steps = c.total_steps
        g_due = self._g_phase.due(step)
        z = c.latents(real.shape[0])
        fake_labels = self._fake_labels(labels)
        with c.autocast(), torch.set_grad_enabled(g_due):
            fake = self.call(c.train_generator, z, fake_labels)
        real_in, fake_in = self.view(real, step), self.view(fake.detach(), step)
        with c.autocast():
            real_logits, real_aux = self.judge(real_in, labels, "real")
            fake_logits, fake_aux = self.judge(fake_in, fake_labels, "fake")
            loss_d = c.loss.d_loss(real_logits, fake_logits)
        out = {"loss_d": loss_d.detach(), "logit_real": real_logits.detach().float().mean(),
               "logit_fake": fake_logits.detach().float().mean()}
        aux_d = [a for a in (real_aux, fake_aux) if a is not None]
        if aux_d:
            loss_d = loss_d + sum(aux_d)
            out["aux_d"] = sum(aux_d).detach()
        loss_d = loss_d + self._penalties(step, real_in, fake_in, labels, out)
        self._optimize(loss_d, c.opt_d, "d", out)
        reg = c.regularizers
        if reg.clip_weights:  # WGAN's Lipschitz constraint, after every D update
            with torch.no_grad():
                torch._foreach_clamp_min_(self._d_params, -reg.clip_weights)
                torch._foreach_clamp_max_(self._d_params, reg.clip_weights)
        if g_due:
            c.discriminator.requires_grad_(False)  # no D weight gradients in the G phase
            with c.autocast():
                logits, aux = self.judge(self.view(fake, step), fake_labels, "generator")
                loss_g = c.loss.g_loss(logits)
            self._optimize(loss_g if aux is None else loss_g + aux, c.opt_g, "g", out)
            if aux is not None:
                out["aux_g"] = aux.detach()
            c.discriminator.requires_grad_(True)
            c.on_generator_step()
            out["loss_g"] = loss_g.detach()
        c.scaler.update()  # one scaler, updated once after both optimizers stepped
        return out

    def _penalties(self, step: int, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor | None,
                   out: dict) -> torch.Tensor | float:
        """The D regularizers, on exactly what D was shown (augmented, noised, packed)."""
        c, reg = self.ctx, self.ctx.regularizers
        net = c.train_discriminator
        d = net if not c.conditional else (lambda x: net(x, labels))
        total: torch.Tensor | float = 0.0
        if reg.gp_lambda:
            gp = gradient_penalty(d, real, fake, shard=c.shard)
            total = total + reg.gp_lambda * gp
            out["gp"] = gp.detach()
        if reg.dragan_lambda:
            dragan = dragan_penalty(d, real, shard=c.shard)
            total = total + reg.dragan_lambda * dragan
            out["dragan"] = dragan.detach()
        if self._r1_phase and self._r1_phase.due(step):  # lazy: rarely, and scaled up to match
            r1 = r1_penalty(d, real)
            total = total + 0.5 * reg.r1_gamma * reg.r1_every * r1
            out["r1"] = r1.detach()
        return total
