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

from gantool.core.errors import UserError
from gantool.train.step import Phase, StepContext

from gantool_cyclegan import PLUGIN
from gantool_cyclegan.pool import ImagePool

POOL_SIZE = 50
# gantool's lsgan halves the squared error (Mao et al.); CycleGAN's reference weighs each
# generator's adversarial term as the plain mean squared error against lambda = 10 cycle
ADVERSARIAL_WEIGHT = 2.0


class CycleGANStep:
    def __init__(self, ctx: StepContext, pool_size: int = POOL_SIZE):
        self.ctx = ctx
        self.G, self.D = ctx.generator, ctx.discriminator
        self.phases = [Phase("G", 1), Phase("D", 1)]
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

    def _optimize(self, loss: torch.Tensor, opt: torch.optim.Optimizer) -> None:
        opt.zero_grad(set_to_none=True)
        self.ctx.scaler.scale(loss).backward()
        self.ctx.scaler.step(opt)

    def __call__(self, step: int, real: torch.Tensor, labels: torch.Tensor | None) -> dict[str, torch.Tensor]:
        c, G, D = self.ctx, self.G, self.D
        n = real.shape[0]
        real_a, real_b = self.draw(0, n), self.draw(1, n)
        lam, lam_id = G.lambda_cycle, G.lambda_cycle * G.lambda_identity

        D.requires_grad_(False)  # the G phase must not leave gradients on D's weights
        with c.autocast():
            fake_b = G.a2b(real_a)
            fake_a = G.b2a(real_b)
            loss_gan = ADVERSARIAL_WEIGHT * (c.loss.g_loss(D.b(fake_b).flatten()) + c.loss.g_loss(D.a(fake_a).flatten()))
            cycle = F.l1_loss(G.b2a(fake_b).float(), real_a) + F.l1_loss(G.a2b(fake_a).float(), real_b)
            loss_g = loss_gan + lam * cycle
            if lam_id:
                identity = F.l1_loss(G.a2b(real_b).float(), real_b) + F.l1_loss(G.b2a(real_a).float(), real_a)
                loss_g = loss_g + lam_id * identity
        self._optimize(loss_g, c.opt_g)
        D.requires_grad_(True)
        c.on_generator_step()

        past_a, past_b = self.pools["a"].query(fake_a), self.pools["b"].query(fake_b)
        with c.autocast():
            real_logits = torch.cat([D.a(real_a).flatten(), D.b(real_b).flatten()])
            fake_logits = torch.cat([D.a(past_a).flatten(), D.b(past_b).flatten()])
            # both Ds in one loss: each half is that domain's LSGAN term, as the paper sums them
            loss_d = 2 * c.loss.d_loss(real_logits, fake_logits)
        self._optimize(loss_d, c.opt_d)
        c.scaler.update()  # one scaler, updated once after both optimizers stepped
        out = {"loss_g": loss_gan.detach(), "loss_d": loss_d.detach(), "cycle": cycle.detach(),
               "logit_real": real_logits.detach().float().mean(), "logit_fake": fake_logits.detach().float().mean()}
        if lam_id:
            out["identity"] = identity.detach()
        return out


def make_step(ctx: StepContext) -> CycleGANStep:
    return CycleGANStep(ctx)
