"""StyleGAN2's networks (Karras et al. 2020, config F's design scaled down for small images).

Generator = mapping (z -> w: a normalised z through `mapping_layers` equalized linear
layers at lr multiplier 0.01) + synthesis (a learned 4x4 constant, then per resolution a
2x-upsampling modulated convolution and a plain one, each with its own noise input and
learned noise strength, and a toRGB whose output is added to the upsampled image so far:
the skip architecture). The synthesis network takes `ws` [N, num_ws, w_dim], one w per
layer, which is what style mixing and truncation act on; `w_avg`, the running mean of w
the training step keeps, is a buffer, so checkpoints, the EMA copy and exports carry it.

Noise: random per call while training; in eval mode (sample grids, export) each layer's
fixed `noise_const` buffer, so exported graphs are deterministic and batch-independent.

Discriminator = StyleGAN2's residual D: fromRGB, one block per resolution (two 3x3
convolutions, the second downsampling, plus a 1x1 downsampling skip, summed and scaled by
1/sqrt(2)), then at 4x4 the minibatch standard deviation, a convolution and two dense layers.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from gantool import GanModules, ModelArgs, UserError
from gantool_stylegan import PLUGIN
from gantool_stylegan.layers import EqualConv2d, EqualLinear, ModulatedConv2d, Upsample, lrelu
from gantool_stylegan.options import STYLEGAN2

DEFAULTS = STYLEGAN2
SQRT_HALF = math.sqrt(0.5)


def channels_at(res: int, base: int, most: int) -> int:
    return max(1, min(base // res, most))


def log2_size(size: int) -> int:
    if size < 8 or size & (size - 1):
        raise UserError(f"{PLUGIN}: image_size must be a power of two, at least 8 (32, 64, 128, 256), not {size}")
    return int(math.log2(size))


class Mapping(nn.Module):
    """z [N, z_dim] (+ labels [N]) -> w [N, w_dim]. z, and a conditional model's class
    embedding concatenated to it, are each normalised to unit second moment first."""

    def __init__(self, z_dim: int, w_dim: int, layers: int, lr_mul: float, num_classes: int = 0):
        super().__init__()
        self.embed = nn.Parameter(torch.randn(num_classes, w_dim)) if num_classes else None
        dims = [z_dim + (w_dim if num_classes else 0)] + [w_dim] * layers
        self.net = nn.Sequential(*[EqualLinear(a, b, lr_mul=lr_mul, activate=True) for a, b in zip(dims, dims[1:])])

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        x = normalize(z)
        if self.embed is not None:
            x = torch.cat([x, normalize(self.embed[labels])], dim=1)
        return self.net(x)


def normalize(x: torch.Tensor) -> torch.Tensor:
    return x * torch.rsqrt(x.square().mean(dim=1, keepdim=True) + 1e-8)


class SynthesisLayer(nn.Module):
    """Modulated 3x3 convolution (optionally upsampling), noise, bias, leaky ReLU."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, res: int, up: bool, seed: int):
        super().__init__()
        self.conv = ModulatedConv2d(in_channels, out_channels, 3, w_dim, up=up)
        self.noise_strength = nn.Parameter(torch.zeros([]))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        noise = torch.randn(1, 1, res, res, generator=torch.Generator().manual_seed(seed))
        self.register_buffer("noise_const", noise)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        x = self.conv(x, w)
        if self.training:  # fresh noise per image; eval (grids, export) uses the fixed one
            noise = torch.randn(x.shape[0], 1, x.shape[2], x.shape[3], device=x.device, dtype=x.dtype)
        else:
            noise = self.noise_const.to(x.dtype)
        x = x + noise * self.noise_strength + self.bias[None, :, None, None]
        return lrelu(x)


class ToRGB(nn.Module):
    """Modulated 1x1 convolution without demodulation, plus bias: the image at one resolution."""

    def __init__(self, in_channels: int, channels: int, w_dim: int):
        super().__init__()
        self.conv = ModulatedConv2d(in_channels, channels, 1, w_dim, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return self.conv(x, w) + self.bias[None, :, None, None]


class SynthesisBlock(nn.Module):
    """One resolution: (upsampling conv,) conv, toRGB added to the upsampled image so far."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, res: int, channels: int):
        super().__init__()
        self.first = res == 4
        if self.first:
            self.const = nn.Parameter(torch.randn(out_channels, 4, 4))
        else:
            self.conv0 = SynthesisLayer(in_channels, out_channels, w_dim, res, up=True, seed=2 * res)
            self.up_rgb = Upsample(channels)
        self.conv1 = SynthesisLayer(out_channels, out_channels, w_dim, res, up=False, seed=2 * res + 1)
        self.torgb = ToRGB(out_channels, channels, w_dim)
        self.num_conv = 1 if self.first else 2

    def forward(self, x: torch.Tensor | None, img: torch.Tensor | None, ws: torch.Tensor) -> tuple:
        """`ws` [N, num_conv + 1, w_dim]: this block's convolutions' and its toRGB's."""
        if self.first:
            x = self.const[None].expand(ws.shape[0], -1, -1, -1)
            x = self.conv1(x, ws[:, 0])
        else:
            x = self.conv1(self.conv0(x, ws[:, 0]), ws[:, 1])
        rgb = self.torgb(x, ws[:, self.num_conv])
        img = rgb if img is None else self.up_rgb(img) + rgb
        return x, img


class Synthesis(nn.Module):
    """ws [N, num_ws, w_dim] -> images [N, C, size, size] (not clamped while training)."""

    def __init__(self, w_dim: int, size: int, channels: int, channel_base: int, channel_max: int):
        super().__init__()
        blocks, in_ch = [], 0
        for k in range(2, log2_size(size) + 1):
            out_ch = channels_at(2**k, channel_base, channel_max)
            blocks.append(SynthesisBlock(in_ch, out_ch, w_dim, 2**k, channels))
            in_ch = out_ch
        self.blocks = nn.ModuleList(blocks)
        # consecutive blocks share a w: a block's toRGB takes the one the next block's first conv takes
        self.num_ws = sum(b.num_conv for b in blocks) + 1
        self.w_dim = w_dim

    def forward(self, ws: torch.Tensor) -> torch.Tensor:
        x = img = None
        index = 0
        for block in self.blocks:
            x, img = block(x, img, ws[:, index : index + block.num_conv + 1])
            index += block.num_conv
        return img


class Generator(nn.Module):
    """G(z) = synthesis(mapping(z) for every layer); `truncation_psi` pulls w toward `w_avg`.

    Training settings the step reads travel with the network (as CycleGAN's loss weights do):
    `style_mixing` (probability), `pl_weight` and `pl_every` (path length regularization),
    `w_avg_beta` (the running mean's decay)."""

    def __init__(self, z_dim: int, size: int, channels: int, o: dict, num_classes: int = 0):
        super().__init__()
        self.z_dim, self.w_dim, self.num_classes = z_dim, o["w_dim"], num_classes
        self.mapping = Mapping(z_dim, o["w_dim"], o["mapping_layers"], o["mapping_lr_mul"], num_classes)
        self.synthesis = Synthesis(o["w_dim"], size, channels, o["channel_base"], o["channel_max"])
        self.num_ws = self.synthesis.num_ws
        self.register_buffer("w_avg", torch.zeros(o["w_dim"]))
        self.style_mixing, self.pl_weight, self.pl_every = o["style_mixing"], o["pl_weight"], o["pl_every"]
        self.w_avg_beta = o["w_avg_beta"]

    def truncate(self, w: torch.Tensor, psi: torch.Tensor | float) -> torch.Tensor:
        return self.w_avg + psi * (w - self.w_avg)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None,
                truncation_psi: torch.Tensor | float | None = None) -> torch.Tensor:
        w = self.mapping(z, labels)
        if truncation_psi is not None:
            w = self.truncate(w, truncation_psi)
        return self.synthesis(w[:, None].expand(-1, self.num_ws, -1))

    @torch.no_grad()
    def track_w_avg(self, w: torch.Tensor) -> None:
        """The running mean of w (for truncation): updated from every batch mapped in training."""
        self.w_avg.lerp_(w.detach().float().mean(dim=0), 1.0 - self.w_avg_beta)


class MinibatchStd(nn.Module):
    """Appends the mean standard deviation over groups of `group` samples as one channel."""

    def __init__(self, group: int):
        super().__init__()
        self.group = group

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        g = math.gcd(self.group, n)  # the largest group size that divides this batch
        y = x.reshape(g, n // g, c, h, w).float()
        y = (y.var(dim=0, unbiased=False) + 1e-8).sqrt().mean(dim=(1, 2, 3))  # [n // g]
        y = y.to(x.dtype).reshape(1, n // g, 1, 1, 1).expand(g, -1, 1, h, w).reshape(n, 1, h, w)
        return torch.cat([x, y], dim=1)


class DBlock(nn.Module):
    """Residual: (conv, downsampling conv) + downsampling 1x1 skip, both scaled by 1/sqrt(2)."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv0 = EqualConv2d(in_channels, in_channels, 3, activate=True)
        self.conv1 = EqualConv2d(in_channels, out_channels, 3, activate=True, down=True, gain=SQRT_HALF)
        self.skip = EqualConv2d(in_channels, out_channels, 1, bias=False, down=True, gain=SQRT_HALF)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.skip(x) + self.conv1(self.conv0(x))


class Discriminator(nn.Module):
    """images [N, C, size, size] (+ labels [N]) -> one logit each, [N]. A conditional D
    projects: its last layer gives a vector, dotted with the class's learned embedding."""

    def __init__(self, size: int, channels: int, channel_base: int, channel_max: int, mbstd_group: int,
                 num_classes: int = 0):
        super().__init__()
        top = log2_size(size)
        ch = {2**k: channels_at(2**k, channel_base, channel_max) for k in range(2, top + 1)}
        self.fromrgb = EqualConv2d(channels, ch[size], 1, activate=True)
        self.blocks = nn.Sequential(*[DBlock(ch[2**k], ch[2 ** (k - 1)]) for k in range(top, 2, -1)])
        self.mbstd = MinibatchStd(mbstd_group)
        self.conv = EqualConv2d(ch[4] + 1, ch[4], 3, activate=True)
        self.fc = EqualLinear(ch[4] * 16, ch[4], activate=True)
        self.cmap = nn.Parameter(torch.randn(num_classes, ch[4])) if num_classes else None
        self.out = EqualLinear(ch[4], ch[4] if num_classes else 1)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        x = self.blocks(self.fromrgb(x))
        x = self.out(self.fc(self.conv(self.mbstd(x)).flatten(1)))
        if self.cmap is None:
            return x.squeeze(1)
        return (x * self.cmap[labels]).sum(dim=1) / math.sqrt(x.shape[1])


def options(args: ModelArgs) -> dict:
    """The model's `--set model.KEY` options, checked (unknown keys are refused by the spec)."""
    o = {key: args.int_option(key, DEFAULTS[key]) for key in ("w_dim", "mapping_layers", "channel_base",
                                                                "channel_max", "mbstd_group", "pl_every")}
    o["mapping_lr_mul"] = args.float_option("mapping_lr_mul", DEFAULTS["mapping_lr_mul"], 1e-6, 1.0)
    o["style_mixing"] = args.float_option("style_mixing", DEFAULTS["style_mixing"], 0.0, 1.0)
    o["w_avg_beta"] = args.float_option("w_avg_beta", DEFAULTS["w_avg_beta"], 0.0, 1.0)
    # path length regularization: optional at small sizes (StyleGAN2-ADA's CIFAR config has none)
    o["pl_weight"] = args.float_option("pl_weight", 2.0 if args.image_size >= 128 else 0.0, 0.0)
    return o


def build(args: ModelArgs, conditional: bool = False) -> GanModules:
    """stylegan2; `conditional` (stylegan2-cond) embeds the class into the mapping's input and
    projects it in D. An unconditional model ignores the labels its data may have."""
    if args.channels not in (1, 3):
        raise UserError(f"{PLUGIN}: stylegan2 draws 1 or 3 channels, not {args.channels}")
    log2_size(args.image_size)
    o = options(args)
    classes = args.num_classes if conditional else 0
    return GanModules(
        Generator(args.latent_dim, args.image_size, args.channels, o, classes),
        Discriminator(args.image_size, args.channels, o["channel_base"], o["channel_max"], o["mbstd_group"], classes),
    )


def build_conditional(args: ModelArgs) -> GanModules:
    return build(args, conditional=True)
