"""The original GAN loss on logits (numerically safe: no Sigmoid followed by BCELoss)."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from gantool.core.typed_options import read_bool, read_float
from gantool.losses.options import check_options
from gantool.protocols import AdversarialLoss


class BCELoss(AdversarialLoss):
    """D: BCE(real, 1 - smoothing) + BCE(fake, 0). G: non-saturating -log D(G(z)) by default.

    One-sided label smoothing (Salimans et al. 2016) only softens the real target.
    `minimax=True` uses the original log(1 - D(G(z))), which saturates early in training.
    """

    def __init__(self, options: dict[str, Any]):
        check_options("bce", options, {"label_smoothing", "minimax"})
        self.smoothing = read_float(options, "label_smoothing", 0.0, 0.0, 0.5, scope="loss")
        self.minimax = read_bool(options, "minimax", False, scope="loss")

    def d_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        target = torch.full_like(real, 1.0 - self.smoothing)
        return F.binary_cross_entropy_with_logits(real, target) + F.binary_cross_entropy_with_logits(
            fake, torch.zeros_like(fake)
        )

    def g_loss(self, fake: torch.Tensor, real: torch.Tensor | None = None) -> torch.Tensor:
        if self.minimax:
            return -F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
        return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))
