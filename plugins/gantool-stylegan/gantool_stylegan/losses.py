"""`wgan-gp-drift`: ProGAN's loss, the Wasserstein critic loss plus the drift term
eps * E[D(x_real)^2], which keeps the critic's outputs near 0 (Karras et al. 2018, A.1).
The gradient penalty itself is the loop's (`gp_lambda`, 10 by this loss's defaults)."""

from __future__ import annotations

from typing import Any

import torch

from gantool import AdversarialLoss, typed_options

DRIFT = 0.001


class WassersteinDrift(AdversarialLoss):
    def __init__(self, options: dict[str, Any]):
        given = {k: v for k, v in options.items() if k != "label_smoothing"}  # every loss gets it
        typed_options.check_known(given, ("drift",), owner="loss 'wgan-gp-drift'", scope="loss")
        self.drift = typed_options.read_float(given, "drift", DRIFT, 0.0, scope="loss")

    def d_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        real, fake = real.float(), fake.float()
        return fake.mean() - real.mean() + self.drift * real.square().mean()

    def g_loss(self, fake: torch.Tensor, real: torch.Tensor | None = None) -> torch.Tensor:
        return -fake.float().mean()
