"""Class-conditional GANs on the DCGAN backbone: `cgan` and the generator `acgan` shares.

G: the label's learned embedding (10-d by default, `model.embed_dim`) is concatenated to z,
then the DCGAN generator runs on the longer vector. A wide embedding (50-d) let G lean on
the label alone: within 400 steps on MNIST every z gave the same image per class.
`model.class_norm` (the default since 2026-12-02) also gives every BatchNorm of G a scale
and shift per class, so the label reaches every resolution.
D (projection, Miyato & Koyama 2018): the DCGAN discriminator's conv body gives features
h(x), summed over space; the logit is w . h + embed(y) . h. Projected only, the label never
got tied to the digit on MNIST: G drew one consistent shape per label, often another digit's.
`model.label_planes` (the default since 2026-12-02) also shows D the label as one-hot
planes beside the image, so its first conv already judges the (image, label) pair.
Runs made before these options keep their networks: a missing option means off.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gantool.core.errors import UserError
from gantool.models.dcgan import SIZES, DCGANDiscriminator, DCGANGenerator, init_weights
from gantool.specs import GanModules, ModelArgs


class ClassBatchNorm(nn.Module):
    """BatchNorm whose scale and shift are looked up per class (categorical conditional
    BatchNorm, as the projection-discriminator paper's generator uses)."""

    def __init__(self, width: int, num_classes: int):
        super().__init__()
        self.norm = nn.BatchNorm2d(width, affine=False)
        self.scale = nn.Embedding(num_classes, width)
        self.shift = nn.Embedding(num_classes, width)
        nn.init.normal_(self.scale.weight, 1.0, 0.02)  # DCGAN's BatchNorm init, per class
        nn.init.zeros_(self.shift.weight)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        h = self.norm(x)
        return h * self.scale(labels).to(h.dtype)[:, :, None, None] + self.shift(labels).to(h.dtype)[:, :, None, None]


class ConditionalGenerator(nn.Module):
    def __init__(self, latent_dim: int, num_classes: int, channels: int, image_size: int, ngf: int, embed_dim: int,
                 class_norm: bool = False):
        super().__init__()
        self.embed = nn.Embedding(num_classes, embed_dim)
        self.net = DCGANGenerator(latent_dim + embed_dim, channels, image_size, ngf)
        if class_norm:
            for i, layer in enumerate(self.net.net):
                if isinstance(layer, nn.BatchNorm2d):
                    self.net.net[i] = ClassBatchNorm(layer.num_features, num_classes)

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        x = torch.cat([z, self.embed(labels).to(z.dtype)], dim=1).view(z.shape[0], -1, 1, 1)
        for layer in self.net.net:
            x = layer(x, labels) if isinstance(layer, ClassBatchNorm) else layer(x)
        return x


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
    def __init__(self, channels: int, image_size: int, ndf: int, num_classes: int, batchnorm: bool,
                 label_planes: bool = False):
        super().__init__()
        self.num_classes = num_classes if label_planes else 0
        self.features = DCGANFeatures(channels + self.num_classes, image_size, ndf, batchnorm)
        self.linear = nn.Linear(self.features.width, 1)
        self.embed = nn.Embedding(num_classes, self.features.width)
        # small heads, as DCGAN initialises its last conv: the default N(0, 1) class embedding
        # against features summed over space would start D at logits in the tens
        for weight in (self.linear.weight, self.embed.weight):
            nn.init.normal_(weight, 0.0, 0.02)
        nn.init.zeros_(self.linear.bias)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        if self.num_classes:  # the label as one-hot planes beside the image, seen by the first conv
            planes = F.one_hot(labels, self.num_classes).to(x.dtype)[:, :, None, None]
            x = torch.cat([x, planes.expand(-1, -1, *x.shape[2:])], dim=1)
        h = self.features(x)
        return self.linear(h).squeeze(1) + (self.embed(labels).to(h.dtype) * h).sum(dim=1)


def build_conditional(args: ModelArgs, model: str, discriminator_class: type[nn.Module], **d_options) -> GanModules:
    """The shared conditional generator with `discriminator_class(channels, image_size, ndf,
    num_classes, batchnorm)` on DCGAN features; both with DCGAN's initialisation."""
    if args.image_size not in SIZES:
        raise UserError(f"{model} supports image sizes {', '.join(map(str, SIZES))}, not {args.image_size}")
    if args.num_classes < 2:
        raise UserError(f"{model} needs a labelled dataset with at least 2 classes")
    # D first, then G: the order the random initialisation was drawn in when results were measured
    d = discriminator_class(args.channels, args.image_size, args.int_option("ndf", 64), args.num_classes,
                            batchnorm=args.bool_option("batchnorm_d", True), **d_options)
    d.apply(init_weights)
    g = ConditionalGenerator(args.latent_dim, args.num_classes, args.channels, args.image_size,
                             args.int_option("ngf", 64), args.int_option("embed_dim", 10),
                             class_norm=args.bool_option("class_norm", False))
    g.apply(init_weights)
    return GanModules(g, d)


def build_cgan(args: ModelArgs) -> GanModules:
    return build_conditional(args, "cgan", ProjectionDiscriminator,
                             label_planes=args.bool_option("label_planes", False))
