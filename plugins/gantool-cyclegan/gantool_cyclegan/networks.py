"""CycleGAN's networks, sized for small images: a ResNet generator per direction and a
PatchGAN discriminator per domain.

The generator is the paper's c7s1-k, two stride-2 downsamplings, residual blocks, two
stride-2 upsamplings and c7s1-C with tanh, with instance norm and reflection padding; the
default width (ngf 32, 6 blocks) suits 32 px images. The discriminator is a PatchGAN with
two stride-2 layers and a stride-1 output convolution: on 32 px inputs it scores a 7 x 7
grid of overlapping 22 px patches (the paper's 70 px patches would see all of a small image).
"""

from __future__ import annotations

import torch
from torch import nn

from gantool import ExportGraph, ExportInput, GanModules, ModelArgs, UserError, onnx_meta
from gantool_cyclegan import PLUGIN

DOWNSAMPLINGS = 2
OPTIONS = {"ngf": 32, "ndf": 64, "blocks": 6, "d_layers": 2, "lambda_cycle": 10.0, "lambda_identity": 0.5}


class ResidualBlock(nn.Module):
    def __init__(self, ch: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(ch, ch, 3), nn.InstanceNorm2d(ch), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(ch, ch, 3), nn.InstanceNorm2d(ch),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """Image in [-1, 1] -> image of the same shape in [-1, 1]."""

    def __init__(self, channels: int, ngf: int, blocks: int):
        super().__init__()
        layers: list[nn.Module] = [nn.ReflectionPad2d(3), nn.Conv2d(channels, ngf, 7), nn.InstanceNorm2d(ngf), nn.ReLU(True)]
        ch = ngf
        for _ in range(DOWNSAMPLINGS):
            layers += [nn.Conv2d(ch, ch * 2, 3, stride=2, padding=1), nn.InstanceNorm2d(ch * 2), nn.ReLU(True)]
            ch *= 2
        layers += [ResidualBlock(ch) for _ in range(blocks)]
        for _ in range(DOWNSAMPLINGS):
            layers += [nn.ConvTranspose2d(ch, ch // 2, 3, stride=2, padding=1, output_padding=1),
                       nn.InstanceNorm2d(ch // 2), nn.ReLU(True)]
            ch //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, channels, 7), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class PatchDiscriminator(nn.Module):
    """Image -> a map of logits, one per overlapping patch, [N, 1, h, w]."""

    def __init__(self, channels: int, ndf: int, layers: int):
        super().__init__()
        blocks: list[nn.Module] = [nn.Conv2d(channels, ndf, 4, stride=2, padding=1), nn.LeakyReLU(0.2, True)]
        ch = ndf
        for _ in range(layers - 1):
            blocks += [nn.Conv2d(ch, ch * 2, 4, stride=2, padding=1), nn.InstanceNorm2d(ch * 2), nn.LeakyReLU(0.2, True)]
            ch *= 2
        blocks += [nn.Conv2d(ch, 1, 4, stride=1, padding=1)]
        self.net = nn.Sequential(*blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class Generators(nn.Module):
    """Both directions; the Trainer's "generator" (one optimizer over both, as in the paper).
    Called directly it translates A -> B; export writes each direction on its own."""

    def __init__(self, channels: int, ngf: int, blocks: int, lambda_cycle: float, lambda_identity: float):
        super().__init__()
        self.a2b = ResnetGenerator(channels, ngf, blocks)
        self.b2a = ResnetGenerator(channels, ngf, blocks)
        # the loss weights travel with the networks, so the step reads them from here
        self.lambda_cycle, self.lambda_identity = lambda_cycle, lambda_identity

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.a2b(x)


class Discriminators(nn.Module):
    """D_A judges domain A, D_B domain B. Called directly: D_B's mean patch logit per image."""

    def __init__(self, channels: int, ndf: int, layers: int):
        super().__init__()
        self.a = PatchDiscriminator(channels, ndf, layers)
        self.b = PatchDiscriminator(channels, ndf, layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(x).flatten(1).mean(1)


def options(args: ModelArgs) -> dict:
    unknown = sorted(set(args.options) - set(OPTIONS))
    if unknown:
        raise UserError(f"{PLUGIN}: unknown model option(s) {', '.join(unknown)}; cyclegan takes {', '.join(OPTIONS)}")
    opts = {key: args.int_option(key, OPTIONS[key]) for key in ("ngf", "ndf", "d_layers")}
    opts["blocks"] = args.int_option("blocks", OPTIONS["blocks"], minimum=0)
    opts.update({key: args.float_option(key, OPTIONS[key], 0.0) for key in ("lambda_cycle", "lambda_identity")})
    if args.image_size % 2 ** DOWNSAMPLINGS or args.image_size < 8:
        raise UserError(f"{PLUGIN}: image_size must be a multiple of 4 and at least 8, not {args.image_size}")
    return opts


def build(args: ModelArgs) -> GanModules:
    o = options(args)
    return GanModules(
        Generators(args.channels, o["ngf"], o["blocks"], o["lambda_cycle"], o["lambda_identity"]),
        Discriminators(args.channels, o["ndf"], o["d_layers"]),
    )


def translators(generators: Generators) -> dict[str, nn.Module]:
    """The network of each direction."""
    return {"a2b": generators.a2b, "b2a": generators.b2a}


def exports(generators: Generators, args: ModelArgs) -> dict[str, ExportGraph]:
    """What `gantool export` writes: one ONNX file per direction (generator-a2b.onnx, ...),
    input `image` [batch, C, H, W] in [-1, 1], output `images` of the same shape; the
    `direction` in its metadata tells `gantool translate` which way it maps."""
    image = ExportInput(onnx_meta.INPUT_IMAGE, "float32", ("batch", args.channels, args.image_size, args.image_size),
                        example="uniform")
    return {direction: ExportGraph(net, (image,), onnx_meta.OUTPUT_IMAGES, {onnx_meta.DIRECTION: direction})
            for direction, net in translators(generators).items()}
