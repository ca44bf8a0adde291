"""ProGAN's training step: progressive growing on the shared loop.

Before each step the schedule (gantool_stylegan.progan.schedule) turns the number of real
images shown so far into (level, alpha), which G, D and the EMA generator share. The real
batch (the loop's, at the final size) is cut to the level's batch size, average-pooled to
the level's resolution and, during a fade-in, blended with its own 2x-coarser version as
the paper does, so D sees reals made the way the fakes are. Phases: `D` every step, `G`
every `n_critic` steps; the loss is the run's (`wgan-gp-drift`: WGAN-GP plus the drift
term), the gradient penalty is the loop's, on what D judged.

The images shown so far are the step's state (in the checkpoint); level and alpha follow
from them, so resume is exact. Both are logged in metrics.jsonl each step.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from gantool import ExportGraph, ExportInput, Judged, ModelArgs, Phase, PhaseLoss, StepContext, onnx_meta
from gantool_stylegan.progan import schedule, upsample


class ProGANStep:
    unsupported: dict[str, str] = {}  # the model's refusals are on its spec

    def __init__(self, ctx: StepContext):
        self.ctx = ctx
        self.phases: Sequence[Phase] = (Phase("D", "d"), Phase("G", "g", every=ctx.n_critic))
        self.images = 0  # real images shown so far: the schedule's clock
        self.g = ctx.generator
        self.place(self.images)

    def state_dict(self) -> dict:
        return {"images": self.images}

    def load_state_dict(self, state: dict) -> None:
        self.images = int(state.get("images", 0))
        self.place(self.images)

    def place(self, images: int) -> tuple[int, float]:
        level, alpha = schedule(images, self.g.phase_images, self.g.max_level)
        self.g.set_progress(level, alpha)
        return level, alpha

    def batch_size(self, level: int, available: int) -> int:
        sizes = self.g.batch_sizes
        return min(available, sizes[min(level, len(sizes) - 1)]) if sizes else available

    def reals(self, real: torch.Tensor, level: int, alpha: float) -> torch.Tensor:
        """The real batch at the level's resolution, blended with its coarser self while fading in."""
        x = F.avg_pool2d(real, 2 ** (self.g.max_level - level)) if level < self.g.max_level else real
        if level > 0 and alpha < 1.0:
            x = torch.lerp(upsample(F.avg_pool2d(x, 2)), x, alpha)
        return x

    def begin(self, step: int, real: torch.Tensor, labels: torch.Tensor | None, due: Sequence[Phase]) -> None:
        c = self.ctx
        level, alpha = self.place(self.images)
        n = self.batch_size(level, real.shape[0])
        self.images += n
        with torch.set_grad_enabled(any(p.net == "g" for p in due)):
            self.fake = self.g.native(c.latents(n))
        self.real_in = c.view(self.reals(real[:n], level, alpha), step)
        self.progress = {"level": torch.full((), float(level), device=c.device),
                         "alpha": torch.full((), float(alpha), device=c.device)}

    def loss(self, phase: Phase, step: int) -> PhaseLoss:
        c = self.ctx
        if phase.net == "d":
            d = c.train_discriminator
            fake_in = c.view(self.fake.detach(), step)
            real_logits, fake_logits = d(self.real_in), d(fake_in)
            loss_d = c.loss.d_loss(real_logits, fake_logits)
            stats = {"loss_d": loss_d, "logit_real": real_logits.float().mean(),
                     "logit_fake": fake_logits.float().mean(), **self.progress}
            return PhaseLoss(loss_d, stats, judged=[Judged(d, self.real_in, fake_in)])
        real_logits = None
        if c.loss.needs_real_in_g:
            with torch.no_grad():
                real_logits = c.discriminator(self.real_in)
        loss_g = c.loss.g_loss(c.discriminator(c.view(self.fake, step)), real_logits)
        return PhaseLoss(loss_g, {"loss_g": loss_g})


def make_step(ctx: StepContext) -> ProGANStep:
    return ProGANStep(ctx)


def exports(g: torch.nn.Module, args: ModelArgs) -> dict[str, ExportGraph]:
    """generator.onnx at the final size, from the level and alpha the checkpoint holds."""
    level, alpha = g.progress_state.tolist()
    g.set_progress(int(level), float(alpha))  # fixed while tracing: the graph is that level's
    z = ExportInput(onnx_meta.INPUT_Z, "float32", ("batch", args.latent_dim))
    return {"": ExportGraph(g, (z,), onnx_meta.OUTPUT_IMAGES, {"level": str(int(level)), "alpha": f"{alpha:g}"})}
