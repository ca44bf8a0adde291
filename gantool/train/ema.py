"""An exponential moving average of the generator's weights, used for samples and export."""

from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    def __init__(self, model: nn.Module, decay: float):
        self.decay = decay
        self.model = copy.deepcopy(model).eval().requires_grad_(False)
        self._src = list(model.parameters())
        self._dst = list(self.model.parameters())
        self._src_buffers = list(model.buffers())
        self._dst_buffers = list(self.model.buffers())

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        torch._foreach_lerp_(self._dst, self._src, 1.0 - self.decay)
        for dst, src in zip(self._dst_buffers, self._src_buffers):
            dst.copy_(src)  # BatchNorm statistics follow the live model
