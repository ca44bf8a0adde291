"""SNGAN (Miyato et al. 2018): the ResNet pair of the paper's 32 px experiments, spectral
normalisation on every D layer, trained with the hinge loss.

G: z -> linear 4x4 -> three up-sampling residual blocks -> BN, ReLU, 3x3 conv, tanh.
D: an "optimized" first down block, one more down block, two plain blocks, ReLU, sum over
space, linear. Widths: `model.ch_g` (256) and `model.ch_d` (128), as in the paper.
Export folds the spectral norm into plain weights (gantool.export.generator).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from gantool.core.errors import UserError
from gantool.specs import GanModules, ModelArgs


class UpBlock(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.bn1, self.conv1 = nn.BatchNorm2d(cin), nn.Conv2d(cin, cout, 3, padding=1)
        self.bn2, self.conv2 = nn.BatchNorm2d(cout), nn.Conv2d(cout, cout, 3, padding=1)
        self.shortcut = nn.Conv2d(cin, cout, 1)

    def forward(self, x):
        h = F.interpolate(F.relu(self.bn1(x)), scale_factor=2.0, mode="nearest")
        h = self.conv2(F.relu(self.bn2(self.conv1(h))))
        return h + self.shortcut(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class SNGANGenerator(nn.Module):
    def __init__(self, latent_dim: int, channels: int, ch: int):
        super().__init__()
        self.ch = ch
        self.linear = nn.Linear(latent_dim, 4 * 4 * ch)
        self.blocks = nn.Sequential(UpBlock(ch, ch), UpBlock(ch, ch), UpBlock(ch, ch))
        self.out = nn.Sequential(nn.BatchNorm2d(ch), nn.ReLU(), nn.Conv2d(ch, channels, 3, padding=1), nn.Tanh())

    def forward(self, z):
        return self.out(self.blocks(self.linear(z).view(z.shape[0], self.ch, 4, 4)))


class DownBlock(nn.Module):
    """Pre-activation residual block; `first` is the paper's optimized block (no ReLU on the
    image, pooling before the shortcut's 1x1 conv)."""

    def __init__(self, cin: int, cout: int, down: bool, first: bool = False):
        super().__init__()
        self.down, self.first = down, first
        self.conv1 = spectral_norm(nn.Conv2d(cin, cout, 3, padding=1))
        self.conv2 = spectral_norm(nn.Conv2d(cout, cout, 3, padding=1))
        self.shortcut = spectral_norm(nn.Conv2d(cin, cout, 1)) if (cin != cout or down) else None

    def forward(self, x):
        h = self.conv2(F.relu(self.conv1(x if self.first else F.relu(x))))
        if self.down:
            h = F.avg_pool2d(h, 2)
        s = x
        if self.shortcut is not None:
            if self.first:
                s = self.shortcut(F.avg_pool2d(x, 2))
            else:
                s = self.shortcut(x)
                s = F.avg_pool2d(s, 2) if self.down else s
        return h + s


class SNGANDiscriminator(nn.Module):
    def __init__(self, channels: int, ch: int):
        super().__init__()
        self.blocks = nn.Sequential(DownBlock(channels, ch, down=True, first=True), DownBlock(ch, ch, down=True),
                                    DownBlock(ch, ch, down=False), DownBlock(ch, ch, down=False))
        self.linear = spectral_norm(nn.Linear(ch, 1))

    def forward(self, x):
        return self.linear(F.relu(self.blocks(x)).sum(dim=(2, 3))).squeeze(1)


def init_weights(module: nn.Module) -> None:
    if isinstance(module, (nn.Conv2d, nn.Linear)):
        weight = module.parametrizations.weight.original if hasattr(module, "parametrizations") else module.weight
        nn.init.xavier_uniform_(weight, gain=1.0 if getattr(module, "kernel_size", (3,))[0] == 1 else 2 ** 0.5)
        nn.init.zeros_(module.bias)


def build(args: ModelArgs) -> GanModules:
    if args.image_size != 32:
        raise UserError(f"sngan is the paper's 32 px ResNet; set image_size = 32 (got {args.image_size})")
    g = SNGANGenerator(args.latent_dim, args.channels, args.int_option("ch_g", 256))
    d = SNGANDiscriminator(args.channels, args.int_option("ch_d", 128))
    with torch.no_grad():
        g.apply(init_weights)
        d.apply(init_weights)
    return GanModules(g, d)
