"""StyleGAN2's training step on the shared loop (StyleGAN2-ADA's phases, gantool's update).

Phases: `D` every step (the loop adds lazy R1 as its `D_reg` phase when `r1_gamma` is set,
which the model's defaults do), `G` every step, and `G_reg`, lazy path length
regularization, every `pl_every` steps when `model.pl_weight` > 0 (scaled by the interval,
as lazy R1 is). The loss is the run's (`bce` by default: the non-saturating logistic loss).

Each step maps one batch of latents with style mixing (with probability `style_mixing`,
every layer from a random cutoff on takes the w of a second latent: one cutoff per batch,
drawn on the device without a host sync), updates the running mean of w that truncation
uses, and draws the fakes once; the D phase judges them detached, the G phase through G.
The path length mean is the step's state, in the checkpoint, so resume stays exact.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import torch

from gantool import Judged, Phase, PhaseLoss, StepContext

PL_DECAY = 0.01  # the path length mean's update rate
PL_BATCH_SHRINK = 2  # the path length phase maps half a batch


def mix_styles(g: torch.nn.Module, w: torch.Tensor, w2: torch.Tensor, probability: float) -> torch.Tensor:
    """ws [N, num_ws, w_dim]: `w` for every layer, or, with `probability`, `w` before a random
    cutoff layer and `w2` from it on. One draw per batch, as StyleGAN2 does."""
    ws = w[:, None].expand(-1, g.num_ws, -1)
    if probability <= 0:
        return ws
    device = w.device
    cutoff = torch.randint(1, g.num_ws, (), device=device)
    cutoff = torch.where(torch.rand((), device=device) < probability, cutoff, torch.full_like(cutoff, g.num_ws))
    first = torch.arange(g.num_ws, device=device)[None, :, None] < cutoff
    return torch.where(first, ws, w2[:, None].expand(-1, g.num_ws, -1))


class StyleGAN2Step:
    """D, (D_reg by the loop), G and lazy G_reg; the loop applies every update."""

    unsupported: dict[str, str] = {}  # the model's refusals are on its spec

    def __init__(self, ctx: StepContext):
        self.ctx = ctx
        g = ctx.generator
        phases = [Phase("D", "d"), Phase("G", "g")]
        if g.pl_weight > 0:
            phases.append(Phase("G_reg", "g", every=g.pl_every))
        self.phases: Sequence[Phase] = tuple(phases)
        self.pl_mean = torch.zeros((), device=ctx.device)

    def state_dict(self) -> dict:
        return {"pl_mean": self.pl_mean}

    def load_state_dict(self, state: dict) -> None:
        if "pl_mean" in state:
            self.pl_mean = state["pl_mean"].to(self.ctx.device)

    def styles(self, n: int, labels: torch.Tensor | None, track: bool) -> torch.Tensor:
        """ws for `n` new latents (of the classes `labels`), style-mixed; `track` updates G's
        running mean of w. Both latents of a mixed sample have its class."""
        g, c = self.ctx.generator, self.ctx
        w = g.mapping(c.latents(n), labels)
        if track:
            g.track_w_avg(w)
        w2 = g.mapping(c.latents(n), labels) if g.style_mixing > 0 else w
        return mix_styles(g, w, w2, g.style_mixing)

    def begin(self, step: int, real: torch.Tensor, labels: torch.Tensor | None, due: Sequence[Phase]) -> None:
        c = self.ctx
        # a conditional model draws its fakes for the real batch's classes, as gantool's default step does
        self.labels = labels if c.conditional else None
        with torch.set_grad_enabled(any(p.net == "g" for p in due)):  # keep G's graph only when G trains
            self.fake = c.generator.synthesis(self.styles(real.shape[0], self.labels, track=True))
        self.real_in = c.view(real, step)
        self.real_logits: torch.Tensor | None = None

    def judge(self, d: torch.nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
        """D with the batch's labels bound (what the loop's penalties differentiate)."""
        return d if self.labels is None else (lambda x: d(x, self.labels))

    def loss(self, phase: Phase, step: int) -> PhaseLoss:
        if phase.net == "d":
            return self._d_loss(step)
        return self._path_length(step) if phase.name == "G_reg" else self._g_loss(step)

    def _d_loss(self, step: int) -> PhaseLoss:
        c = self.ctx
        d = self.judge(c.train_discriminator)
        fake_in = c.view(self.fake.detach(), step)
        real_logits, fake_logits = d(self.real_in), d(fake_in)
        self.real_logits = real_logits.detach()
        loss_d = c.loss.d_loss(real_logits, fake_logits)
        stats = {"loss_d": loss_d, "logit_real": real_logits.float().mean(), "logit_fake": fake_logits.float().mean()}
        return PhaseLoss(loss_d, stats, judged=[Judged(d, self.real_in, fake_in)])

    def _g_loss(self, step: int) -> PhaseLoss:
        c = self.ctx
        d = self.judge(c.discriminator)  # D is frozen here: the bare module
        logits = d(c.view(self.fake, step))
        real_logits = self.real_logits
        if c.loss.needs_real_in_g:  # a relativistic loss compares with D's current view of the reals
            with torch.no_grad():
                real_logits = d(self.real_in)
        loss_g = c.loss.g_loss(logits, real_logits)
        return PhaseLoss(loss_g, {"loss_g": loss_g})

    def _path_length(self, step: int) -> PhaseLoss:
        """|J_w^T y| for random image-space y should stay constant (Karras et al. 2020, eq. 4)."""
        g = self.ctx.generator
        n = max(1, self.fake.shape[0] // PL_BATCH_SHRINK)
        labels = None if self.labels is None else self.labels[:n]
        ws = self.styles(n, labels, track=False).clone()  # a tensor of its own, not a view, to differentiate at
        images = g.synthesis(ws)
        noise = torch.randn_like(images) / math.sqrt(images.shape[2] * images.shape[3])
        grads, = torch.autograd.grad((images * noise).sum(), ws, create_graph=True)
        lengths = grads.float().square().sum(dim=2).mean(dim=1).sqrt()
        self.pl_mean = self.pl_mean.lerp(lengths.mean().detach(), PL_DECAY)
        penalty = (lengths - self.pl_mean).square().mean()
        return PhaseLoss(penalty * g.pl_weight * g.pl_every, {"pl_penalty": penalty, "pl_mean": self.pl_mean})


def make_step(ctx: StepContext) -> StyleGAN2Step:
    return StyleGAN2Step(ctx)
