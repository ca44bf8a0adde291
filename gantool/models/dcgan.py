"""DCGAN: strided (transposed) convolutions, BatchNorm, ReLU in G and LeakyReLU in D.

The generator starts from a 4x4 map (7x7 for 28 px) and doubles it until the image size;
the discriminator mirrors it. Weights use the paper's init: conv N(0, 0.02), BN N(1, 0.02).
"""

from __future__ import annotations

from torch import nn

from gantool.core.errors import UserError
from gantool.specs import GanModules, ModelArgs

SIZES = {28: (7, 2), 32: (4, 3), 64: (4, 4)}  # image size -> (start size, upsamplings)


class DCGANGenerator(nn.Module):
    def __init__(self, latent_dim: int, channels: int, image_size: int, ngf: int = 64):
        super().__init__()
        start, ups = SIZES[image_size]
        width = ngf * 2 ** (ups - 1)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(latent_dim, width, start, 1, 0, bias=False),
            nn.BatchNorm2d(width), nn.ReLU(True),
        ]
        for _ in range(ups - 1):
            layers += [nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(width // 2), nn.ReLU(True)]
            width //= 2
        layers += [nn.ConvTranspose2d(width, channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z):
        return self.net(z.view(z.shape[0], -1, 1, 1))


class DCGANDiscriminator(nn.Module):
    """`batchnorm=False` gives the WGAN critic: a gradient penalty is per sample, and
    BatchNorm would mix the samples of a batch (Gulrajani et al. 2017)."""

    def __init__(self, channels: int, image_size: int, ndf: int = 64, batchnorm: bool = True):
        super().__init__()
        start, ups = SIZES[image_size]
        layers: list[nn.Module] = [nn.Conv2d(channels, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True)]
        width = ndf
        for _ in range(ups - 1):
            norm = [nn.BatchNorm2d(width * 2)] if batchnorm else []
            layers += [nn.Conv2d(width, width * 2, 4, 2, 1, bias=not batchnorm), *norm, nn.LeakyReLU(0.2, True)]
            width *= 2
        layers.append(nn.Conv2d(width, 1, start, 1, 0, bias=False))  # a logit per image
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x).flatten()


def init_weights(module: nn.Module) -> None:
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d) and module.affine:
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def build(args: ModelArgs) -> GanModules:
    if args.image_size not in SIZES:
        raise UserError(f"dcgan supports image sizes {', '.join(map(str, SIZES))}, not {args.image_size}")
    g = DCGANGenerator(args.latent_dim, args.channels, args.image_size, args.int_option("ngf", 64))
    d = DCGANDiscriminator(args.channels, args.image_size, args.int_option("ndf", 64),
                           batchnorm=args.bool_option("batchnorm_d", True))
    g.apply(init_weights)
    d.apply(init_weights)
    return GanModules(g, d)
