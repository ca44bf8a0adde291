"""Gradient penalties on the discriminator, computed in float32 whatever the autocast.

Under fp16 autocast with loss scaling, gradients of D's outputs taken inside the graph
would be in a scaled, low-precision space; computing the penalty with autocast off keeps it
exact and lets the ordinary GradScaler handle the outer backward.
"""

from __future__ import annotations

from typing import Callable

import torch

from gantool.train.distributed import SINGLE, Shard

Discriminator = Callable[[torch.Tensor], torch.Tensor]  # a module, or D with its labels bound


def grad_norm_sq(discriminator: Discriminator, x: torch.Tensor) -> torch.Tensor:
    """Per-sample |d D(x) / d x|^2, differentiable (create_graph) so it can be trained on."""
    with torch.autocast(x.device.type, enabled=False):
        x = x.detach().float().requires_grad_(True)
        out = discriminator(x).float()
        (grad,) = torch.autograd.grad(out.sum(), x, create_graph=True)
    return grad.flatten(1).pow(2).sum(1)


def gradient_penalty(discriminator: Discriminator, real: torch.Tensor, fake: torch.Tensor,
                     shard: Shard = SINGLE) -> torch.Tensor:
    """WGAN-GP (Gulrajani et al. 2017): E[(|grad D(x_hat)| - 1)^2], x_hat on real-fake lines."""
    alpha = shard.rand(real.shape[0], *[1] * (real.dim() - 1), device=real.device)
    x_hat = alpha * real.detach().float() + (1 - alpha) * fake.detach().float()
    return ((grad_norm_sq(discriminator, x_hat) + 1e-12).sqrt() - 1).pow(2).mean()


def r1_penalty(discriminator: Discriminator, real: torch.Tensor) -> torch.Tensor:
    """R1 (Mescheder et al. 2018): E[|grad D(x_real)|^2]; the caller applies gamma / 2."""
    return grad_norm_sq(discriminator, real).mean()


def dragan_penalty(discriminator: Discriminator, real: torch.Tensor, c: float = 0.5,
                   shard: Shard = SINGLE) -> torch.Tensor:
    """DRAGAN (Kodali et al. 2017): the unit-gradient penalty around noisy copies of real data."""
    real = real.detach().float()
    noisy = real + c * real.std() * shard.rand_like(real)  # std of this process's share of the batch
    alpha = shard.rand(real.shape[0], *[1] * (real.dim() - 1), device=real.device)
    x_hat = alpha * real + (1 - alpha) * noisy
    return ((grad_norm_sq(discriminator, x_hat) + 1e-12).sqrt() - 1).pow(2).mean()
