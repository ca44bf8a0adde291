"""The default adversarial training step, and the context every step is built from.

Phases: `D` every step, `G` every `n_critic` steps (the loop adds `D_reg`, lazy R1, when
it is on). The step only computes losses (gantool.protocols.TrainingStep); the loop
(gantool/train/update.py) applies them. When G is due, the fake batch is generated once
with autograd on in `begin` and reused by both phases, as the reference DCGAN loop does,
so no G forward is wasted. Nothing here synchronises with the host.

Conditional models (ModelSpec.conditional) get labels: G(z, y) and D(x, y), the fakes
drawn for the real batch's labels. Everything D judges goes through `ctx.view` (DiffAugment,
instance noise, packing: gantool/train/stabilizers.py).

A plugin whose training is not one G against one D gives its ModelSpec a `make_step(ctx)`
returning its own TrainingStep; it gets the same StepContext.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Sequence

import torch
from torch import nn

from gantool.protocols import AdversarialLoss, Judged, Phase, PhaseLoss
from gantool.train.distributed import SINGLE, Shard
from gantool.train.stabilizers import InputView, Stabilizers


@dataclass
class StepContext:
    """Everything the loop owns that a step reads. Steps never step optimizers: the loop does."""

    generator: nn.Module
    discriminator: nn.Module
    loss: AdversarialLoss
    latent_dim: int
    device: torch.device
    view: InputView  # call on everything D judges: ctx.view(x, step)
    n_critic: int = 1
    stabilizers: Stabilizers = Stabilizers()
    conditional: bool = False
    num_classes: int = 0
    # data parallel (gantool/train/distributed.py): this process's share of each global
    # batch, and the DDP wrappers that average G's and D's gradients over the processes
    shard: Shard = SINGLE
    # the loop's batch source, for steps that pick their own real samples (for example
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
    """One G against one D with the run's loss; ACGAN overrides `judge` for its classifier."""

    unsupported: ClassVar[dict[str, str]] = {}

    def __init__(self, ctx: StepContext):
        self.ctx = ctx
        self.phases: Sequence[Phase] = (Phase("D", "d"), Phase("G", "g", every=ctx.n_critic))
        self.call = Conditioned(ctx.conditional)

    def begin(self, step: int, real: torch.Tensor, labels: torch.Tensor | None, due: Sequence[Phase]) -> None:
        c = self.ctx
        g_due = any(p.net == "g" for p in due)
        z = c.latents(real.shape[0])
        # fakes are drawn for the real batch's labels: same class balance, and a gradient
        # penalty interpolates between a real and a fake image of the same class
        self.labels = labels if c.conditional else None
        with torch.set_grad_enabled(g_due):
            self.fake = self.call(c.train_generator, z, self.labels)
        self.real_in = c.view(real, step)
        self.real_logits: torch.Tensor | None = None

    def d_net(self, role: str) -> nn.Module:
        """The discriminator to call for `role`: "real" and "fake" train D, "generator" trains G."""
        return self.ctx.discriminator if role == "generator" else self.ctx.train_discriminator

    def judge(self, x: torch.Tensor, labels: torch.Tensor | None, role: str) -> tuple[torch.Tensor, torch.Tensor | None]:
        """D's logits for `x`, and an auxiliary loss term (None: none) that the D phase adds for
        role "real" and "fake" and the G phase for role "generator". A step for a D with an
        extra head (ACGAN's classifier) overrides this."""
        return self.call(self.d_net(role), x, labels), None

    def loss(self, phase: Phase, step: int) -> PhaseLoss:
        return self._d_loss(step) if phase.net == "d" else self._g_loss(step)

    def _d_loss(self, step: int) -> PhaseLoss:
        c = self.ctx
        fake_in = c.view(self.fake.detach(), step)
        real_logits, real_aux = self.judge(self.real_in, self.labels, "real")
        fake_logits, fake_aux = self.judge(fake_in, self.labels, "fake")
        self.real_logits = real_logits.detach()
        loss_d = c.loss.d_loss(real_logits, fake_logits)
        stats = {"loss_d": loss_d, "logit_real": real_logits.float().mean(), "logit_fake": fake_logits.float().mean()}
        aux = [a for a in (real_aux, fake_aux) if a is not None]
        total = loss_d
        if aux:
            stats["aux_d"] = sum(aux)
            total = loss_d + stats["aux_d"]
        net = c.train_discriminator
        judge: Callable[[torch.Tensor], torch.Tensor] = net if not c.conditional else (lambda x: net(x, self.labels))
        return PhaseLoss(total, stats, judged=[Judged(judge, self.real_in, fake_in)])

    def _g_loss(self, step: int) -> PhaseLoss:
        c = self.ctx
        logits, aux = self.judge(c.view(self.fake, step), self.labels, "generator")
        real_logits = self.real_logits
        if c.loss.needs_real_in_g:  # a relativistic loss compares with D's current view of the reals
            with torch.no_grad():
                real_logits, _ = self.judge(self.real_in, self.labels, "generator")
        loss_g = c.loss.g_loss(logits, real_logits)
        stats = {"loss_g": loss_g}
        if aux is not None:
            stats["aux_g"] = aux
        return PhaseLoss(loss_g if aux is None else loss_g + aux, stats)
