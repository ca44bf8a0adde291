"""Least squares GAN (Mao et al. 2017): a = 0, b = c = 1, halved as in the paper."""

from __future__ import annotations

from typing import Any

import torch

from gantool.core.typed_options import read_float
from gantool.losses.options import check_options
from gantool.protocols import AdversarialLoss


class LSGANLoss(AdversarialLoss):
    def __init__(self, options: dict[str, Any]):
        check_options("lsgan", options, {"label_smoothing"})
        self.real_target = 1.0 - read_float(options, "label_smoothing", 0.0, 0.0, 0.5, scope="loss")

    def d_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return 0.5 * ((real.float() - self.real_target).pow(2).mean() + fake.float().pow(2).mean())

    def g_loss(self, fake: torch.Tensor, real: torch.Tensor | None = None) -> torch.Tensor:
        return 0.5 * (fake.float() - 1.0).pow(2).mean()
