"""DiffAugment (Zhao et al. 2020): differentiable augmentations applied to every image D sees.

Real and generated images go through the same random transformations, in both the D and
the G phase, so D cannot memorise a small dataset while G still receives gradients
through the augmentation. Images are [N, C, H, W] in [-1, 1]; each sample draws its own
parameters.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from gantool.core.errors import UserError
from gantool.train.distributed import SINGLE, Shard

TRANSLATION_RATIO = 1 / 8  # shift by up to 1/8 of the image size
CUTOUT_RATIO = 1 / 2  # erase a square of half the image size


def _per_sample(x: torch.Tensor, shard: Shard) -> torch.Tensor:
    return shard.rand(x.shape[0], 1, 1, 1, device=x.device, dtype=x.dtype)


def color(x: torch.Tensor, shard: Shard = SINGLE) -> torch.Tensor:
    x = x + (_per_sample(x, shard) - 0.5)  # brightness
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * (_per_sample(x, shard) * 2) + mean  # saturation
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (_per_sample(x, shard) + 0.5) + mean  # contrast


def translation(x: torch.Tensor, shard: Shard = SINGLE) -> torch.Tensor:
    """Integer shifts with zero fill, done as a nearest-neighbour resampling so it is differentiable."""
    n, _, h, w = x.shape
    max_shift = torch.tensor([w * TRANSLATION_RATIO, h * TRANSLATION_RATIO], device=x.device).round()
    shift = torch.round((shard.rand(n, 2, device=x.device) * 2 - 1) * max_shift)  # pixels, (dx, dy)
    theta = torch.zeros(n, 2, 3, device=x.device, dtype=x.dtype)
    theta[:, 0, 0] = theta[:, 1, 1] = 1
    theta[:, :, 2] = (-2 * shift / torch.tensor([w, h], device=x.device)).to(x.dtype)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="nearest", padding_mode="zeros", align_corners=False)


def cutout(x: torch.Tensor, shard: Shard = SINGLE) -> torch.Tensor:
    n, _, h, w = x.shape
    size_h, size_w = int(h * CUTOUT_RATIO + 0.5), int(w * CUTOUT_RATIO + 0.5)
    # the square's centre may sit anywhere, so it can be partly outside the image
    top = shard.randint(0, h + (1 - size_h % 2), n, 1, 1, device=x.device) - size_h // 2
    left = shard.randint(0, w + (1 - size_w % 2), n, 1, 1, device=x.device) - size_w // 2
    rows = torch.arange(h, device=x.device).view(1, h, 1)
    cols = torch.arange(w, device=x.device).view(1, 1, w)
    inside = (rows >= top) & (rows < top + size_h) & (cols >= left) & (cols < left + size_w)
    return x * (~inside).unsqueeze(1).to(x.dtype)


POLICIES = {"color": color, "translation": translation, "cutout": cutout}


class DiffAugment:
    def __init__(self, policy: str, shard: Shard = SINGLE):
        self.shard = shard
        names = [p.strip() for p in policy.split(",") if p.strip()]
        unknown = [p for p in names if p not in POLICIES]
        if unknown or not names:
            raise UserError(f"diffaugment: unknown policy {', '.join(unknown) or repr(policy)}; "
                            f"choose from {', '.join(POLICIES)} (comma-separated)")
        self.steps = [POLICIES[p] for p in names]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4:
            raise UserError("diffaugment works on images; this model's data is not images")
        for step in self.steps:
            x = step(x, self.shard)
        return x.contiguous()
