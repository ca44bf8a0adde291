"""WaveGAN and SpecGAN networks (Donahue, McAuley & Puckette 2019, "Adversarial Audio
Synthesis"), sized by `width` (the paper's d = 64; 8 by default here for CPUs).

WaveGAN is DCGAN flattened to one dimension: G is a dense layer to `[16d, T/1024]` and five
transposed convolutions (kernel 25, stride 4) that each make the signal 4x longer, ReLU
between them and tanh at the end; D mirrors it with strided convolutions, LeakyReLU(0.2) and
phase shuffle (each layer's activations moved by a random -n..n samples, per example, with
reflection at the edges) so that D cannot judge by the fixed phase of upsampling artefacts.
SpecGAN is DCGAN in two dimensions (kernel 5, stride 2) on 128 x 128 spectrograms.
Neither uses batch normalisation, as in the paper. A conditional G takes the one-hot label
beside z; a conditional D adds a projection term (Miyato & Koyama 2018).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gantool_audio.signal import BINS, CLIP_STD, FRAMES, LOG_EPS, N_FFT

LAYERS = 5  # WaveGAN's upsampling convolutions: T = start * 4^5


class PhaseShuffle(nn.Module):
    """Shift each example by a random integer in [-n, n] samples, reflecting at the edges
    (training only; the draw uses torch's RNG, so a resumed run draws the same shifts)."""

    def __init__(self, n: int):
        super().__init__()
        self.n = n

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.n == 0:
            return x
        shifts = torch.randint(-self.n, self.n + 1, (x.shape[0],), device=x.device)
        padded = F.pad(x, (self.n, self.n), mode="reflect")
        length = x.shape[-1]
        out = torch.zeros_like(x)
        for k in range(-self.n, self.n + 1):  # 2n + 1 slices, each kept for the examples that drew it
            chosen = (shifts == k).to(x.dtype)[:, None, None]
            out = out + chosen * padded[..., self.n - k : self.n - k + length]
        return out


class _Conditioning(nn.Module):
    def __init__(self, num_classes: int):
        super().__init__()
        self.num_classes = num_classes

    def latent(self, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        if not self.num_classes:
            return z
        return torch.cat([z, F.one_hot(labels, self.num_classes).to(z.dtype)], dim=1)


class WaveGenerator(_Conditioning):
    def __init__(self, latent_dim: int, samples: int, width: int = 16, num_classes: int = 0):
        super().__init__(num_classes)
        self.start = samples // 4**LAYERS
        channels = [width * 16 // 2**i for i in range(LAYERS)] + [1]  # 16d, 8d, 4d, 2d, d, 1
        self.dense = nn.Linear(latent_dim + num_classes, channels[0] * self.start)
        self.ups = nn.ModuleList(nn.ConvTranspose1d(c_in, c_out, 25, stride=4, padding=11, output_padding=1)
                                 for c_in, c_out in zip(channels, channels[1:]))

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        x = F.relu(self.dense(self.latent(z, labels)).view(z.shape[0], -1, self.start))
        for i, up in enumerate(self.ups):
            x = up(x)
            x = torch.tanh(x) if i == len(self.ups) - 1 else F.relu(x)
        return x  # [N, 1, T]


class _Projection(nn.Module):
    """The final linear logit, plus <embed(label), features> for a conditional D."""

    def __init__(self, features: int, num_classes: int):
        super().__init__()
        self.linear = nn.Linear(features, 1)
        self.embed = nn.Embedding(num_classes, features) if num_classes else None

    def forward(self, h: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        logit = self.linear(h).squeeze(1)
        if self.embed is not None:
            logit = logit + (self.embed(labels) * h).sum(dim=1)
        return logit


class WaveDiscriminator(nn.Module):
    def __init__(self, samples: int, width: int = 16, num_classes: int = 0, phase_shuffle: int = 2,
                 in_channels: int = 1):
        super().__init__()
        channels = [in_channels] + [width * 2**i for i in range(LAYERS)]  # 1, d, 2d, 4d, 8d, 16d
        self.convs = nn.ModuleList(nn.Conv1d(c_in, c_out, 25, stride=4, padding=11)
                                   for c_in, c_out in zip(channels, channels[1:]))
        self.shuffle = PhaseShuffle(phase_shuffle)
        self.head = _Projection(channels[-1] * (samples // 4**LAYERS), num_classes)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        for i, conv in enumerate(self.convs):
            x = F.leaky_relu(conv(x), 0.2)
            if i < len(self.convs) - 1:
                x = self.shuffle(x)
        return self.head(x.flatten(1), labels)


class SpecGenerator(_Conditioning):
    """z -> normalised log-magnitude spectrogram [N, 1, 128, 128] in [-1, 1]. It carries the
    training data's per-bin statistics (buffers) and turns real waveforms into the same
    representation (`spectrogram`), so the training step and the preview need nothing else."""

    def __init__(self, latent_dim: int, samples: int, mean: list[float], std: list[float], width: int = 16,
                 num_classes: int = 0):
        super().__init__(num_classes)
        self.hop = samples // FRAMES
        self.register_buffer("spectrogram_mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("spectrogram_std", torch.tensor(std, dtype=torch.float32))
        self.register_buffer("window", torch.hann_window(N_FFT), persistent=False)
        channels = [width * 16 // 2**i for i in range(LAYERS)] + [1]
        self.dense = nn.Linear(latent_dim + num_classes, channels[0] * 16)
        self.ups = nn.ModuleList(nn.ConvTranspose2d(c_in, c_out, 5, stride=2, padding=2, output_padding=1)
                                 for c_in, c_out in zip(channels, channels[1:]))

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        x = F.relu(self.dense(self.latent(z, labels)).view(z.shape[0], -1, 4, 4))
        for i, up in enumerate(self.ups):
            x = up(x)
            x = torch.tanh(x) if i == len(self.ups) - 1 else F.relu(x)
        return x

    def spectrogram(self, waves: torch.Tensor) -> torch.Tensor:
        """Waveforms [N, 1, T] -> the normalised log-magnitude spectrograms G makes (as
        gantool_audio.signal does in numpy: centred frames, Nyquist bin dropped)."""
        spec = torch.stft(waves.float().flatten(1), N_FFT, self.hop, window=self.window, center=True,
                          pad_mode="constant", return_complex=True)[:, :BINS, :FRAMES]
        logmag = torch.log(spec.abs() + LOG_EPS)
        z = (logmag - self.spectrogram_mean[:, None]) / self.spectrogram_std[:, None]
        return (z.clamp(-CLIP_STD, CLIP_STD) / CLIP_STD)[:, None]


class SpecDiscriminator(nn.Module):
    def __init__(self, width: int = 16, num_classes: int = 0, in_channels: int = 1):
        super().__init__()
        channels = [in_channels] + [width * 2**i for i in range(LAYERS)]
        self.convs = nn.ModuleList(nn.Conv2d(c_in, c_out, 5, stride=2, padding=2)
                                   for c_in, c_out in zip(channels, channels[1:]))
        self.head = _Projection(channels[-1] * 16, num_classes)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        for conv in self.convs:
            x = F.leaky_relu(conv(x), 0.2)
        return self.head(x.flatten(1), labels)
