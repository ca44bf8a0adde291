"""Relativistic average GAN loss (Jolicoeur-Martineau 2018), on logits.

D judges whether real data is more realistic than the average fake, and the other way
round: with C the critic's logits, D minimises BCE(C(x_r) - mean C(x_f), 1) +
BCE(C(x_f) - mean C(x_r), 0), and G the same with the targets swapped. G's term thus
depends on the real logits too (`needs_real_in_g`): the step computes them afresh, with
D frozen, in the G phase, so the gradient reaches G through the fake logits and through
the mean of the fakes that the real logits are compared with.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from gantool.core.typed_options import read_float
from gantool.losses.options import check_options
from gantool.protocols import AdversarialLoss


def _relative(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return a.float() - b.float().mean()


class RaGANLoss(AdversarialLoss):
    needs_real_in_g = True

    def __init__(self, options: dict[str, Any]):
        check_options("ragan", options, {"label_smoothing"})
        self.real_target = 1.0 - read_float(options, "label_smoothing", 0.0, 0.0, 0.5, scope="loss")

    def d_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        real_rel, fake_rel = _relative(real, fake), _relative(fake, real)
        return (F.binary_cross_entropy_with_logits(real_rel, torch.full_like(real_rel, self.real_target))
                + F.binary_cross_entropy_with_logits(fake_rel, torch.zeros_like(fake_rel)))

    def g_loss(self, fake: torch.Tensor, real: torch.Tensor | None = None) -> torch.Tensor:
        if real is None:
            raise ValueError("the relativistic loss needs D's logits on real data in the G phase")
        real_rel, fake_rel = _relative(real.detach(), fake), _relative(fake, real.detach())
        return (F.binary_cross_entropy_with_logits(fake_rel, torch.ones_like(fake_rel))
                + F.binary_cross_entropy_with_logits(real_rel, torch.zeros_like(real_rel)))
