"""CTGAN's training step on the shared Trainer: conditional vectors with training-by-sampling,
WGAN-GP over packs of rows, and the generator's conditional cross-entropy.

Each step draws, per row, a discrete column uniformly and one of its categories with
probability proportional to log(1 + frequency), so rare categories are trained on; the
generator gets that condition, and D compares its rows with real rows drawn from exactly
those categories (shuffled, as in the paper, so D cannot match rows to conditions by
position). Without discrete columns the step is plain WGAN-GP with packing on the Trainer's
batch.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from gantool import Judged, Phase, PhaseLoss, StepContext, UserError
from gantool_tabular import PLUGIN
from gantool_tabular.transform import pick

GP_LAMBDA = 10.0


class CTGANStep:
    """Phases D then G (every n_critic steps); the loop applies the updates and its
    regularizers, and `ctx.view` adds instance noise to the rows D sees."""

    unsupported: dict[str, str] = {}  # the model's refusals are on its spec (TrainingHooks.unsupported)

    def __init__(self, ctx: StepContext):
        self.ctx = ctx
        self.G, self.D = ctx.generator, ctx.discriminator
        self.t = self.G.transform
        if ctx.batches.batch_size % self.D.pac:
            raise UserError(f"{PLUGIN}: --batch-size {ctx.batches.batch_size} must be a multiple of model.pac {self.D.pac}")
        self.phases = (Phase("D", "d"), Phase("G", "g", every=ctx.n_critic))
        self.rows = ctx.batches.x  # the whole table, on the device where batches are gathered
        self._index_categories()

    def _index_categories(self) -> None:
        """Row indices sorted by category, per discrete column, to draw rows of a category."""
        disc = [j for j, s in enumerate(self.t.specs) if s["kind"] != "continuous"]
        self.disc_columns = disc
        if not disc:
            return
        home = self.rows.device
        size = max(len(self.t.specs[j]["counts"]) for j in disc)
        self.log_freq = torch.zeros(len(disc), size, device=home)
        self.first = torch.zeros(len(disc), size, dtype=torch.long, device=home)
        self.count = torch.zeros(len(disc), size, dtype=torch.long, device=home)
        orders = []
        for i, j in enumerate(disc):
            cats = self.rows[:, j].long()
            orders.append(torch.argsort(cats, stable=True))
            counts = torch.bincount(cats, minlength=size)
            self.count[i] = counts
            self.first[i] = torch.cumsum(counts, 0) - counts
            weights = torch.log1p(counts.float())
            self.log_freq[i] = weights / weights.sum()
        self.order = torch.stack(orders)  # [discrete columns, rows]

    def _conditions(self, n: int):
        """(cond, column, category) for G, and real rows matching the shuffled conditions."""
        home = self.rows.device
        column = torch.randint(0, len(self.disc_columns), (n,), device=home)
        category = pick(self.log_freq[column], torch.rand(n, device=home))
        perm = torch.randperm(n, device=home)
        col_r, cat_r = column[perm], category[perm]
        offset = (torch.rand(n, device=home) * self.count[col_r, cat_r]).long()
        real = self.rows[self.order[col_r, self.first[col_r, cat_r] + offset]]
        dev = self.ctx.device
        return (self.G.condition(column, category).to(dev), column.to(dev), category.to(dev),
                real.to(dev), self.G.condition(col_r, cat_r).to(dev))

    def _cond_loss(self, raw: torch.Tensor, column: torch.Tensor, category: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of G's output in the conditioned column against the asked category."""
        loss = raw.new_zeros(())
        for i, (start, size) in enumerate(self.t.cond_spans):
            chosen = column == i
            ce = F.cross_entropy(raw[:, start : start + size].float(), category.clamp(max=size - 1), reduction="none")
            loss = loss + (ce * chosen).sum()
        return loss / raw.shape[0]

    def _gradient_penalty(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """WGAN-GP with the gradient norm taken over each pack of rows, as CTGAN does."""
        pac = self.D.pac
        alpha = torch.rand(real.shape[0] // pac, 1, 1, device=real.device).repeat(1, pac, real.shape[1])
        alpha = alpha.view(-1, real.shape[1])
        x = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
        (grad,) = torch.autograd.grad(self.D(x).sum(), x, create_graph=True)
        return ((grad.reshape(-1, pac * real.shape[1]).norm(dim=1) - 1) ** 2).mean()

    def _draw(self, n: int, real_batch: torch.Tensor | None):
        noise = torch.randn(n, self.G.noise_dim, device=self.ctx.device)
        if self.t.cond_dim:
            return (noise, *self._conditions(n))
        empty = noise.new_zeros(n, 0)
        return noise, empty, None, None, real_batch, empty

    def begin(self, step: int, real: torch.Tensor, labels: torch.Tensor | None, due) -> None:
        self.real = real

    def loss(self, phase: Phase, step: int) -> PhaseLoss:
        return self._d_loss(step) if phase.net == "d" else self._g_loss(step)

    def _d_loss(self, step: int) -> PhaseLoss:
        view, n = self.ctx.view, self.real.shape[0]
        noise, cond, _, _, real_rows, cond_real = self._draw(n, self.real)
        # encoded once: the encoding draws each value's mode, and the penalty must see the same rows
        real_in = view(torch.cat([self.t.encode(real_rows), cond_real], dim=1), step)
        fake = self.G.activate(self.G.generate(noise, cond))
        fake_in = view(torch.cat([fake.detach(), cond], dim=1), step)
        d_real, d_fake = self.D(real_in), self.D(fake_in)
        gp = self._gradient_penalty(real_in, fake_in)
        loss_d = d_fake.float().mean() - d_real.float().mean() + GP_LAMBDA * gp
        stats = {"loss_d": loss_d, "gp_pac": gp, "logit_real": d_real.float().mean(), "logit_fake": d_fake.float().mean()}
        return PhaseLoss(loss_d, stats, judged=[Judged(self.D, real_in, fake_in)])

    def _g_loss(self, step: int) -> PhaseLoss:
        # fresh noise and conditions for G, as in the paper
        noise, cond, column, category, _, _ = self._draw(self.real.shape[0], self.real)
        raw = self.G.generate(noise, cond)
        adversarial = -self.D(self.ctx.view(torch.cat([self.G.activate(raw), cond], dim=1), step)).float().mean()
        conditional = self._cond_loss(raw, column, category) if column is not None else raw.new_zeros(())
        return PhaseLoss(adversarial + conditional, {"loss_g": adversarial, "cond_loss": conditional})


def make_step(ctx: StepContext) -> CTGANStep:
    return CTGANStep(ctx)
