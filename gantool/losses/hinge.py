"""Hinge loss (Lim & Ye 2017; Miyato et al. 2018, as SNGAN and BigGAN use it)."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from gantool.losses.options import check_options
from gantool.protocols import AdversarialLoss


class HingeLoss(AdversarialLoss):
    def __init__(self, options: dict[str, Any]):
        check_options("hinge", options, {"label_smoothing"})

    def d_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return F.relu(1.0 - real.float()).mean() + F.relu(1.0 + fake.float()).mean()

    def g_loss(self, fake: torch.Tensor, real: torch.Tensor | None = None) -> torch.Tensor:
        return -fake.float().mean()
