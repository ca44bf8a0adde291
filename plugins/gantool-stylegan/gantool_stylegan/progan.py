"""ProGAN's networks (Karras et al. 2018): both grow from 4x4 one resolution at a time.

The generator maps a pixel-normalised z through a dense layer to 4x4, then per resolution
a nearest-neighbour 2x upsampling and two 3x3 convolutions, each followed by leaky ReLU
and pixel norm; a 1x1 toRGB per resolution reads out the image. The discriminator mirrors
it: a 1x1 fromRGB per resolution, two 3x3 convolutions and 2x average pooling per block,
and at 4x4 the minibatch standard deviation, a convolution and two dense layers. Every
layer has an equalized learning rate.

Where training stands, `Progress(level, alpha)`, is shared by G, D and the EMA copy of G
(its deepcopy is itself), so one assignment by the step moves all three: level 0 is 4x4,
level k is 4 * 2^k; while a new level fades in (alpha < 1) its output is blended with the
previous level's, upsampled (G) or read from the pooled input (D). G's `progress_state`
buffer [level, alpha] carries it into checkpoints and exports. `G(z)` returns images at the
final size (nearest-neighbour upsampled from the current level), so sample grids line up
and the export is always at the final size; the step trains with `G.native(z)`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gantool import GanModules, ModelArgs, UserError
from gantool_stylegan import PLUGIN
from gantool_stylegan.layers import EqualConv2d, EqualLinear
from gantool_stylegan.options import PROGAN
from gantool_stylegan.stylegan2 import MinibatchStd, channels_at, log2_size


class Progress:
    """The current level and fade-in alpha; deep copies share it (the EMA generator follows)."""

    def __init__(self, level: int = 0, alpha: float = 1.0):
        self.level, self.alpha = level, alpha

    def __deepcopy__(self, memo: dict) -> Progress:
        return self


def pixel_norm(x: torch.Tensor) -> torch.Tensor:
    return x * torch.rsqrt(x.square().mean(dim=1, keepdim=True) + 1e-8)


def upsample(x: torch.Tensor, factor: int = 2) -> torch.Tensor:
    """Nearest neighbour, as a reshape (exports as Expand/Reshape with a dynamic batch)."""
    if factor == 1:
        return x
    n, c, h, w = x.shape
    return x[:, :, :, None, :, None].expand(n, c, h, factor, w, factor).reshape(n, c, h * factor, w * factor)


class GBlock(nn.Module):
    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv0 = EqualConv2d(in_channels, out_channels, 3, activate=True)
        self.conv1 = EqualConv2d(out_channels, out_channels, 3, activate=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return pixel_norm(self.conv1(pixel_norm(self.conv0(upsample(x)))))


class Generator(nn.Module):
    def __init__(self, z_dim: int, size: int, channels: int, o: dict, progress: Progress):
        super().__init__()
        top = log2_size(size)
        ch = [channels_at(2**k, o["channel_base"], o["channel_max"]) for k in range(2, top + 1)]
        self.dense = EqualLinear(z_dim, ch[0] * 16, activate=True)
        self.conv4 = EqualConv2d(ch[0], ch[0], 3, activate=True)
        self.blocks = nn.ModuleList(GBlock(a, b) for a, b in zip(ch, ch[1:]))
        self.torgb = nn.ModuleList(EqualConv2d(c, channels, 1) for c in ch)
        self.max_level, self.size, self.progress = top - 2, size, progress
        self.register_buffer("progress_state", torch.tensor([0.0, 1.0]))  # [level, alpha], for checkpoints
        self.register_load_state_dict_post_hook(_restore_progress)  # loaded weights come with their level

    def set_progress(self, level: int, alpha: float) -> None:
        self.progress.level, self.progress.alpha = level, alpha
        self.progress_state[0], self.progress_state[1] = float(level), float(alpha)  # no host sync

    def native(self, z: torch.Tensor) -> torch.Tensor:
        """Images at the current level's resolution, faded in with the previous level's."""
        level, alpha = self.progress.level, self.progress.alpha
        x = self.dense(pixel_norm(z)).reshape(z.shape[0], -1, 4, 4)
        x = pixel_norm(self.conv4(pixel_norm(x)))
        previous = x
        for block in self.blocks[:level]:
            previous, x = x, block(x)
        image = self.torgb[level](x)
        if level > 0 and alpha < 1.0:
            old = upsample(self.torgb[level - 1](previous))
            image = old + alpha * (image - old)
        return image

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Images at the final size, whatever the level (nearest-neighbour upsampled)."""
        return upsample(self.native(z), 2 ** (self.max_level - self.progress.level))


def _restore_progress(g: Generator, incompatible_keys) -> None:
    level, alpha = g.progress_state.tolist()  # a host sync, once per load
    g.progress.level, g.progress.alpha = int(level), float(alpha)


class DBlock(nn.Module):
    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv0 = EqualConv2d(in_channels, in_channels, 3, activate=True)
        self.conv1 = EqualConv2d(in_channels, out_channels, 3, activate=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(self.conv1(self.conv0(x)), 2)


class Discriminator(nn.Module):
    """Images at the current level's resolution -> one logit each, [N]."""

    def __init__(self, size: int, channels: int, o: dict, progress: Progress):
        super().__init__()
        top = log2_size(size)
        ch = [channels_at(2**k, o["channel_base"], o["channel_max"]) for k in range(2, top + 1)]
        self.fromrgb = nn.ModuleList(EqualConv2d(channels, c, 1, activate=True) for c in ch)
        self.blocks = nn.ModuleList(DBlock(b, a) for a, b in zip(ch, ch[1:]))  # blocks[k-1] takes level k down to k-1
        self.mbstd = MinibatchStd(o["mbstd_group"])
        self.conv = EqualConv2d(ch[0] + 1, ch[0], 3, activate=True)
        self.fc = EqualLinear(ch[0] * 16, ch[0], activate=True)
        self.out = EqualLinear(ch[0], 1)
        self.progress = progress

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        level, alpha = self.progress.level, self.progress.alpha
        x = self.fromrgb[level](image)
        if level > 0:
            x = self.blocks[level - 1](x)
            if alpha < 1.0:
                old = self.fromrgb[level - 1](F.avg_pool2d(image, 2))
                x = old + alpha * (x - old)
        for block in reversed(self.blocks[: max(level - 1, 0)]):
            x = block(x)
        x = self.conv(self.mbstd(x))
        return self.out(self.fc(x.flatten(1))).squeeze(1)


def options(args: ModelArgs) -> dict:
    o = {key: args.int_option(key, PROGAN[key]) for key in ("channel_base", "channel_max", "mbstd_group",
                                                             "phase_images")}
    text = args.options.get("batch_sizes", PROGAN["batch_sizes"])
    try:
        o["batch_sizes"] = [int(b) for b in str(text).split(",") if b.strip()]
    except ValueError:
        o["batch_sizes"] = [0]
    if any(b < 1 for b in o["batch_sizes"]):
        raise UserError(f"{PLUGIN}: model.batch_sizes is a comma-separated list of batch sizes per level "
                        f"(4 px first), not {text!r}")
    return o


def build(args: ModelArgs) -> GanModules:
    if args.channels not in (1, 3):
        raise UserError(f"{PLUGIN}: progan draws 1 or 3 channels, not {args.channels}")
    o = options(args)
    progress = Progress()
    g = Generator(args.latent_dim, args.image_size, args.channels, o, progress)
    g.phase_images, g.batch_sizes = o["phase_images"], o["batch_sizes"]  # the schedule the step reads
    return GanModules(g, Discriminator(args.image_size, args.channels, o, progress))


def schedule(images: int, phase_images: int, max_level: int) -> tuple[int, float]:
    """(level, alpha) after `images` real images: level 0 for one phase, then each level fades
    in over one phase (alpha 0 -> 1) and trains for another; the last level stays."""
    if images < phase_images:
        return 0, 1.0
    level, within = divmod(images - phase_images, 2 * phase_images)
    level += 1
    if level > max_level:
        return max_level, 1.0
    return level, min(1.0, within / phase_images)

