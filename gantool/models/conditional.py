"""Class-conditional GANs on the DCGAN backbone: `cgan` (projection discriminator) and the
generator `acgan` shares.

G: the label's learned embedding (10-d by default, `model.embed_dim`) is concatenated to z,
then the DCGAN generator runs on the longer vector. A wide embedding (50-d) let G lean on
the label alone: within 400 steps on MNIST every z gave the same image per class.
D (projection, Miyato & Koyama 2018): the DCGAN discriminator's conv body gives features
h(x), summed over space; the logit is w . h + embed(y) . h, so the label enters as an inner
product with the features rather than as an extra input channel.
"""

from __future__ import annotations

import torch
from torch import nn

from gantool.core.errors import UserError
from gantool.models.dcgan import SIZES, DCGANDiscriminator, DCGANGenerator, init_weights
from gantool.specs import GanModules, ModelArgs


class ConditionalGenerator(nn.Module):
    def __init__(self, latent_dim: int, num_classes: int, channels: int, image_size: int, ngf: int, embed_dim: int):
        super().__init__()
        self.embed = nn.Embedding(num_classes, embed_dim)
        self.net = DCGANGenerator(latent_dim + embed_dim, channels, image_size, ngf)

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([z, self.embed(labels).to(z.dtype)], dim=1))


class DCGANFeatures(nn.Module):
    """The DCGAN discriminator without its last layer, summed over space: [B, width]."""

    def __init__(self, channels: int, image_size: int, ndf: int, batchnorm: bool):
        super().__init__()
        body = DCGANDiscriminator(channels, image_size, ndf, batchnorm).net
        self.net = nn.Sequential(*list(body)[:-1])
        self.width = body[-1].in_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).sum(dim=(2, 3))


class ProjectionDiscriminator(nn.Module):
    def __init__(self, channels: int, image_size: int, ndf: int, num_classes: int, batchnorm: bool):
        super().__init__()
        self.features = DCGANFeatures(channels, image_size, ndf, batchnorm)
        self.linear = nn.Linear(self.features.width, 1)
        self.embed = nn.Embedding(num_classes, self.features.width)
        # small heads, as DCGAN initialises its last conv: the default N(0, 1) class embedding
        # against features summed over space would start D at logits in the tens
        for weight in (self.linear.weight, self.embed.weight):
            nn.init.normal_(weight, 0.0, 0.02)
        nn.init.zeros_(self.linear.bias)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        h = self.features(x)
        return self.linear(h).squeeze(1) + (self.embed(labels).to(h.dtype) * h).sum(dim=1)


def build_conditional(args: ModelArgs, model: str, discriminator_class: type[nn.Module]) -> GanModules:
    """The shared conditional generator with `discriminator_class(channels, image_size, ndf,
    num_classes, batchnorm)` on DCGAN features; both with DCGAN's initialisation."""
    if args.image_size not in SIZES:
        raise UserError(f"{model} supports image sizes {', '.join(map(str, SIZES))}, not {args.image_size}")
    if args.num_classes < 2:
        raise UserError(f"{model} needs a labelled dataset with at least 2 classes")
    # D first, then G: the order the random initialisation was drawn in when results were measured
    d = discriminator_class(args.channels, args.image_size, args.int_option("ndf", 64), args.num_classes,
                            batchnorm=args.bool_option("batchnorm_d", True))
    d.apply(init_weights)
    g = ConditionalGenerator(args.latent_dim, args.num_classes, args.channels, args.image_size,
                             args.int_option("ngf", 64), args.int_option("embed_dim", 10))
    g.apply(init_weights)
    return GanModules(g, d)


def build_cgan(args: ModelArgs) -> GanModules:
    return build_conditional(args, "cgan", ProjectionDiscriminator)
