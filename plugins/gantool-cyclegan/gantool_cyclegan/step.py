"""CycleGAN's training step on the shared Trainer.

Each step draws a batch from each domain (the dataset holds both, labelled 0 = A, 1 = B),
then updates both generators together on the adversarial loss (LSGAN by default: the run's
`--loss`), the cycle loss lambda * (|G_BA(G_AB(a)) - a| + |G_AB(G_BA(b)) - b|) and the
identity loss lambda * lambda_identity * (|G_AB(b) - b| + |G_BA(a) - a|), and then both
discriminators on real images against fakes drawn from a pool of 50 past fakes per domain.
Patch logits are flattened, so any gantool loss applies to them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from gantool import Judged, Phase, PhaseLoss, StepContext, UserError
from gantool_cyclegan import PLUGIN
from gantool_cyclegan.pool import ImagePool

POOL_SIZE = 50
# gantool's lsgan halves the squared error (Mao et al.); CycleGAN's reference weighs each
# generator's adversarial term as the plain mean squared error against lambda = 10 cycle
ADVERSARIAL_WEIGHT = 2.0


class CycleGANStep:
    """Phases G (both generators) then D (both discriminators); the loop applies the updates,
    its regularizers judge each domain's D, and `ctx.view` shapes everything D sees."""

    unsupported: dict[str, str] = {}  # the model's refusals are on its spec (TrainingHooks.unsupported)

    def __init__(self, ctx: StepContext, pool_size: int = POOL_SIZE):
        self.ctx = ctx
        self.G, self.D = ctx.generator, ctx.discriminator
        self.phases = (Phase("G", "g"), Phase("D", "d"))
        batches = ctx.batches
        if batches.labels is None:
            raise UserError(f"{PLUGIN}: cyclegan trains on two domains; use --data-a A --data-b B")
        self.x = batches.x  # both domains, uint8, where the Trainer keeps the data
        # row indices of each domain, found once (a host sync here, at start-up, is fine)
        self.index = [torch.nonzero(batches.labels == d).flatten().to(self.x.device) for d in (0, 1)]
        if not all(len(i) for i in self.index):
            raise UserError(f"{PLUGIN}: both domains need images (A has {len(self.index[0])}, B has {len(self.index[1])})")
        self.pools = {"a": ImagePool(pool_size), "b": ImagePool(pool_size)}

    def draw(self, domain: int, n: int) -> torch.Tensor:
        """`n` images of a domain, drawn uniformly with replacement, as floats in [-1, 1]."""
        index = self.index[domain]
        rows = index[torch.randint(len(index), (n,), device=index.device)]
        return self.x[rows].to(self.ctx.device, non_blocking=True).float().div_(127.5).sub_(1.0)

    def state_dict(self) -> dict:
        return {"pools": {k: p.state_dict() for k, p in self.pools.items()}}

    def load_state_dict(self, state: dict) -> None:
        for key, saved in state.get("pools", {}).items():
            self.pools[key].load_state_dict(saved, self.ctx.device)

    def begin(self, step: int, real: torch.Tensor, labels: torch.Tensor | None, due) -> None:
        n = real.shape[0]
        self.real_a, self.real_b = self.draw(0, n), self.draw(1, n)

    def loss(self, phase: Phase, step: int) -> PhaseLoss:
        return self._g_loss(step) if phase.net == "g" else self._d_loss(step)

    def _adversarial(self, d: torch.nn.Module, fake: torch.Tensor, real: torch.Tensor, step: int) -> torch.Tensor:
        view, loss = self.ctx.view, self.ctx.loss
        real_logits = None
        if loss.needs_real_in_g:  # a relativistic loss compares with D's view of the reals
            with torch.no_grad():
                real_logits = d(view(real, step)).flatten()
        return loss.g_loss(d(view(fake, step)).flatten(), real_logits)

    def _g_loss(self, step: int) -> PhaseLoss:
        G, D, real_a, real_b = self.G, self.D, self.real_a, self.real_b
        lam, lam_id = G.lambda_cycle, G.lambda_cycle * G.lambda_identity
        fake_b, fake_a = G.a2b(real_a), G.b2a(real_b)
        loss_gan = ADVERSARIAL_WEIGHT * (self._adversarial(D.b, fake_b, real_b, step)
                                         + self._adversarial(D.a, fake_a, real_a, step))
        cycle = F.l1_loss(G.b2a(fake_b).float(), real_a) + F.l1_loss(G.a2b(fake_a).float(), real_b)
        loss_g = loss_gan + lam * cycle
        stats = {"loss_g": loss_gan, "cycle": cycle}
        if lam_id:
            identity = F.l1_loss(G.a2b(real_b).float(), real_b) + F.l1_loss(G.b2a(real_a).float(), real_a)
            loss_g = loss_g + lam_id * identity
            stats["identity"] = identity
        self.fake_a, self.fake_b = fake_a.detach(), fake_b.detach()
        return PhaseLoss(loss_g, stats)

    def _d_loss(self, step: int) -> PhaseLoss:
        D, view = self.D, self.ctx.view
        past_a, past_b = self.pools["a"].query(self.fake_a), self.pools["b"].query(self.fake_b)
        shown = [(D.a, view(self.real_a, step), view(past_a, step)), (D.b, view(self.real_b, step), view(past_b, step))]
        real_logits = torch.cat([d(real).flatten() for d, real, _ in shown])
        fake_logits = torch.cat([d(fake).flatten() for d, _, fake in shown])
        # both Ds in one loss: each half is that domain's LSGAN term, as the paper sums them
        loss_d = 2 * self.ctx.loss.d_loss(real_logits, fake_logits)
        stats = {"loss_d": loss_d, "logit_real": real_logits.float().mean(), "logit_fake": fake_logits.float().mean()}
        return PhaseLoss(loss_d, stats, judged=[Judged(d, real, fake) for d, real, fake in shown])


def make_step(ctx: StepContext) -> CycleGANStep:
    return CycleGANStep(ctx)
