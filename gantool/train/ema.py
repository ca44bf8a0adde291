"""An exponential moving average of the generator's weights, used for samples and export.

With `rampup` (StyleGAN2-ADA's `ema_rampup`, 0.05 there) the average's half-life, counted
in images, is at most `rampup` times the images seen so far: the first update copies G,
and early averages forget the random initial weights quickly instead of lagging behind
them for thousands of steps. `decay` is then the decay once the ramp is over; its
half-life is `batch_size * ln 0.5 / ln decay` images (0.998 at batch 32: 11k images, about
ADA's 10 kimg). Without `rampup` the decay is constant, as it always was.

The count of images the average has seen is the EMA's own state (`state_dict`), so a
resumed run continues the ramp exactly. The decay is a Python float computed from that
count: updating never synchronises with the device.
"""

from __future__ import annotations

import copy
import math

import torch
from torch import nn


def half_life_images(decay: float, batch_size: int) -> float:
    """Images over which an average of per-step `decay` halves an old weight's share."""
    return batch_size * math.log(0.5) / math.log(decay)


class EMA:
    def __init__(self, model: nn.Module, decay: float, rampup: float = 0.0, batch_size: int = 1):
        self.decay, self.rampup, self.batch_size = decay, rampup, batch_size
        self.images = 0  # images G had been trained on at each update, summed (the ramp's clock)
        self.model = copy.deepcopy(model).eval().requires_grad_(False)
        self._src = list(model.parameters())
        self._dst = list(self.model.parameters())
        self._src_buffers = list(model.buffers())
        self._dst_buffers = list(self.model.buffers())

    def current_decay(self) -> float:
        """The decay the next update uses: `decay`, or during the ramp-up a smaller one."""
        if not self.rampup:
            return self.decay
        half_life = min(half_life_images(self.decay, self.batch_size), self.images * self.rampup)
        return 0.5 ** (self.batch_size / max(half_life, 1e-8))

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        torch._foreach_lerp_(self._dst, self._src, 1.0 - self.current_decay())
        for dst, src in zip(self._dst_buffers, self._src_buffers):
            dst.copy_(src)  # BatchNorm statistics (and a StyleGAN's w average) follow the live model
        self.images += self.batch_size

    def state_dict(self) -> dict:
        """The ramp's clock; the averaged weights are `model.state_dict()`."""
        return {"images": self.images}

    def load_state_dict(self, state: dict) -> None:
        self.images = int(state.get("images", 0))
