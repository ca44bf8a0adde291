"""The Wasserstein critic loss (Arjovsky et al. 2017). The Lipschitz constraint comes from the
config: weight clipping (`clip_weights`, loss `wgan`) or a gradient penalty (`gp_lambda`,
loss `wgan-gp`); both are applied by the training step."""

from __future__ import annotations

from typing import Any

import torch

from gantool.losses.options import check_options
from gantool.protocols import AdversarialLoss


class WassersteinLoss(AdversarialLoss):
    def __init__(self, options: dict[str, Any]):
        check_options("wgan", options, {"label_smoothing"})

    def d_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return fake.float().mean() - real.float().mean()

    def g_loss(self, fake: torch.Tensor, real: torch.Tensor | None = None) -> torch.Tensor:
        return -fake.float().mean()
