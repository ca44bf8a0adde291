"""The MLP GAN of the seed tutorials: 100 -> 256 -> 512 -> 1024 -> image, and back to 1."""

from __future__ import annotations

import math

from torch import nn

from gantool.specs import GanModules, ModelArgs


class MLPGenerator(nn.Module):
    def __init__(self, latent_dim: int, shape: tuple[int, int, int], widths=(256, 512, 1024)):
        super().__init__()
        layers: list[nn.Module] = []
        prev = latent_dim
        for width in widths:
            layers += [nn.Linear(prev, width), nn.LeakyReLU(0.2)]
            prev = width
        layers += [nn.Linear(prev, math.prod(shape)), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.shape = shape

    def forward(self, z):
        return self.net(z).view(z.shape[0], *self.shape)


class MLPDiscriminator(nn.Module):
    def __init__(self, shape: tuple[int, int, int], widths=(1024, 512, 256), dropout: float = 0.3):
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        prev = math.prod(shape)
        for width in widths:
            layers += [nn.Linear(prev, width), nn.LeakyReLU(0.2), nn.Dropout(dropout)]
            prev = width
        layers.append(nn.Linear(prev, 1))  # a logit: losses apply the sigmoid themselves
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x).squeeze(1)


def build(args: ModelArgs) -> GanModules:
    shape = (args.channels, args.image_size, args.image_size)
    dropout = args.float_option("dropout", 0.3, 0.0, 1.0)
    return GanModules(MLPGenerator(args.latent_dim, shape), MLPDiscriminator(shape, dropout=dropout))
