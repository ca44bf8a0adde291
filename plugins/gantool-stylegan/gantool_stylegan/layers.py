"""Building blocks shared by StyleGAN2 and ProGAN: equalized-learning-rate layers, the
[1, 3, 3, 1] FIR filter for up- and downsampling, and the modulated convolution.

Invariants that keep every network exportable to ONNX with a dynamic batch:
- no custom autograd functions (the leaky ReLU's gain is a plain multiply);
- filtering is a depthwise convolution over channels (`groups` = channels, a constant),
  never over the batch, or (upsampling) slices and sums of neighbouring pixels;
- the modulated convolution scales the activations by the style, runs one convolution
  with weights shared by the whole batch and demodulates its output afterwards
  (StyleGAN2-ADA's non-fused form), instead of a grouped convolution with groups = batch,
  whose `group` attribute ONNX fixes at export.
Equalized learning rate (Karras et al. 2018): weights are stored as N(0, 1) / lr_mul and
scaled by lr_mul / sqrt(fan_in) at every call, so Adam's per-parameter steps are the same
size relative to every layer's weights.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

LRELU_GAIN = math.sqrt(2.0)  # keeps activations' second moment through leaky ReLU(0.2)
FIR = (1.0, 3.0, 3.0, 1.0)


def lrelu(x: torch.Tensor, gain: float = LRELU_GAIN) -> torch.Tensor:
    return F.leaky_relu(x, 0.2) * gain


class EqualLinear(nn.Module):
    """A linear layer with equalized learning rate, an optional leaky ReLU and an lr
    multiplier (the mapping network's 0.01 slows it relative to the synthesis network)."""

    def __init__(self, in_features: int, out_features: int, bias_init: float = 0.0, lr_mul: float = 1.0,
                 activate: bool = False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_mul)
        self.bias = nn.Parameter(torch.full((out_features,), float(bias_init)))
        self.weight_gain = lr_mul / math.sqrt(in_features)
        self.lr_mul, self.activate = lr_mul, activate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.linear(x, self.weight * self.weight_gain, self.bias * self.lr_mul)
        return lrelu(x) if self.activate else x


class EqualConv2d(nn.Module):
    """A convolution with equalized learning rate; `down` blurs with the FIR filter and then
    strides by 2 (StyleGAN2's downsampling convolution, also its 1x1 residual skip)."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int, bias: bool = True, activate: bool = False,
                 down: bool = False, gain: float = 1.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.weight_gain = 1.0 / math.sqrt(in_channels * kernel * kernel)
        self.activate, self.down, self.gain, self.kernel = activate, down, gain, kernel
        if down:  # blur so that the stride-2 convolution sees a low-passed image
            pad = len(FIR) - 2 + kernel - 1
            self.blur = Blur(in_channels, ((pad + 1) // 2, pad // 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.weight * self.weight_gain
        if self.down:
            x = F.conv2d(self.blur(x), w, self.bias, stride=2)
        else:
            x = F.conv2d(x, w, self.bias, padding=self.kernel // 2)
        if self.activate:
            return lrelu(x, LRELU_GAIN * self.gain)
        return x * self.gain if self.gain != 1.0 else x


def fir_kernel(gain: float = 1.0) -> torch.Tensor:
    """The separable [1, 3, 3, 1] filter as a 4x4 kernel that sums to `gain`."""
    k = torch.tensor(FIR)
    k2 = k[:, None] * k[None, :]
    return k2 / k2.sum() * gain


class Blur(nn.Module):
    """A depthwise FIR filter with explicit (before, after) padding on both axes."""

    def __init__(self, channels: int, pad: tuple[int, int], gain: float = 1.0, stride: int = 1):
        super().__init__()
        self.register_buffer("kernel", fir_kernel(gain)[None, None].repeat(channels, 1, 1, 1), persistent=False)
        self.pad, self.channels, self.stride = pad, channels, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        before, after = self.pad
        x = F.pad(x, (before, after, before, after))
        return F.conv2d(x, self.kernel.to(x.dtype), stride=self.stride, groups=self.channels)


class Upsample(nn.Module):
    """2x upsampling with the [1, 3, 3, 1] filter (gain 4): zeros between the pixels, then the
    filter. Computed in its polyphase form, per axis: each new pixel is 3/4 of its source
    pixel plus 1/4 of the neighbour on its side (0 past the border); the same numbers as
    the zero-stuffed convolution, at a fraction of its cost on a CPU."""

    def __init__(self, channels: int):  # any channel count: the same arithmetic on each
        super().__init__()

    @staticmethod
    def _axis(x: torch.Tensor, dim: int) -> torch.Tensor:
        n = x.shape[dim]
        padded = F.pad(x, (1, 1) if dim == 3 else (0, 0, 1, 1))
        before, here, after = (padded.narrow(dim, start, n) for start in (0, 1, 2))
        even, odd = 0.25 * before + 0.75 * here, 0.75 * here + 0.25 * after
        shape = list(x.shape)
        shape[dim] *= 2
        return torch.stack([even, odd], dim=dim + 1).reshape(shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._axis(self._axis(x, 2), 3)


class Downsample(nn.Module):
    """2x downsampling: the FIR filter, then every second pixel."""

    def __init__(self, channels: int):
        super().__init__()
        self.blur = Blur(channels, (1, 1), stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blur(x)


class ModulatedConv2d(nn.Module):
    """StyleGAN2's convolution: each sample's style scales the input channels, one shared
    convolution runs, and (with `demodulate`) each output channel is divided by the norm its
    modulated weights would have, which is what weight demodulation computes per sample."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int, w_dim: int, demodulate: bool = True,
                 up: bool = False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel, kernel))
        self.affine = EqualLinear(w_dim, in_channels, bias_init=1.0)  # styles start at 1: plain convolutions
        self.weight_gain = 1.0 / math.sqrt(in_channels * kernel * kernel)
        self.demodulate, self.kernel = demodulate, kernel
        self.up = Upsample(in_channels) if up else None

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        styles = self.affine(w)  # [N, in]
        weight = self.weight * self.weight_gain
        x = x * styles[:, :, None, None]
        if self.up is not None:
            x = self.up(x)
        x = F.conv2d(x, weight, padding=self.kernel // 2)
        if self.demodulate:  # sum over in, kh, kw of (weight * style)^2, for each sample and output
            norms = styles.square() @ weight.square().sum(dim=(2, 3)).t()  # [N, out]
            x = x * torch.rsqrt(norms + 1e-8)[:, :, None, None]
        return x
