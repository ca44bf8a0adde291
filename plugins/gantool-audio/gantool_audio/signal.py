"""Signal processing in numpy (torch-free: gantool sample and eval use it): band-limited
resampling, the STFT and its inverse, Griffin-Lim, and the log-magnitude spectrogram
SpecGAN trains on.

The spectrogram is fixed by the clip length: a 256-point periodic Hann window, a hop of
T / 128 and 128 frames starting at -128 samples (the signal zero-padded by half a window
each side, as `torch.stft(center=True, pad_mode="constant")` does), and the lowest 128 of
the 129 bins (the Nyquist bin is dropped, as in SpecGAN). At 8 kHz and 8,192 samples the
hop is 64 (8 ms); at the paper's 16 kHz and 16,384 it is 128 (8 ms).
"""

from __future__ import annotations

from functools import lru_cache
from math import gcd

import numpy as np

N_FFT, FRAMES, BINS = 256, 128, 128
LOG_EPS = 1e-6  # inside log(|X| + eps): silence maps to log(1e-6) instead of -inf
CLIP_STD = 3.0  # SpecGAN clips the per-bin standardised log-magnitude at 3 std


def resample(x: np.ndarray, rate_in: int, rate_out: int, half_width: int = 32) -> np.ndarray:
    """Band-limited resampling of a 1-D signal by a Kaiser-windowed sinc: each output sample
    is the sum of `2 * half_width` input samples around its position, weighted by a low-pass
    filter with its cutoff at 95% of the lower Nyquist frequency (no aliasing when going down)."""
    x = np.asarray(x, np.float64)
    if rate_in == rate_out:
        return x.astype(np.float32)
    n_out = len(x) * rate_out // rate_in
    weights, steps, period = _filter_bank(rate_in, rate_out, half_width)
    out = np.arange(n_out)
    # output n = k * period + j sits `k * steps` input samples after output j: one bank serves all
    base = (out // period) * steps + _first_taps(rate_in, rate_out, half_width)[out % period]
    index = base[:, None] + np.arange(2 * half_width)[None, :]
    inside = (index >= 0) & (index < len(x))
    values = np.where(inside, x[np.clip(index, 0, max(len(x) - 1, 0))], 0.0) if len(x) else np.zeros(index.shape)
    return (values * weights[out % period]).sum(axis=1).astype(np.float32)


@lru_cache(maxsize=8)
def _filter_bank(rate_in: int, rate_out: int, half_width: int, beta: float = 8.0) -> tuple[np.ndarray, int, int]:
    """The filter of each output phase `[period, 2 * half_width]`; the pattern repeats every
    `period` outputs, which advance `steps` input samples (rate_out/rate_in = period/steps)."""
    g = gcd(rate_in, rate_out)
    period, steps = rate_out // g, rate_in // g
    cutoff = 0.95 * min(1.0, rate_out / rate_in)  # in units of the input Nyquist frequency
    position = np.arange(period) * rate_in / rate_out  # where each output falls, in input samples
    index = _first_taps(rate_in, rate_out, half_width)[:, None] + np.arange(2 * half_width)[None, :]
    distance = position[:, None] - index
    window = np.i0(beta * np.sqrt(np.clip(1 - (distance / half_width) ** 2, 0, None))) / np.i0(beta)
    return cutoff * np.sinc(cutoff * distance) * window, steps, period


@lru_cache(maxsize=8)
def _first_taps(rate_in: int, rate_out: int, half_width: int) -> np.ndarray:
    period = rate_out // gcd(rate_in, rate_out)
    return np.floor(np.arange(period) * rate_in / rate_out).astype(np.int64) - half_width + 1


def hann(n: int = N_FFT) -> np.ndarray:
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)).astype(np.float64)  # periodic, as torch's


def hop_for(samples: int) -> int:
    if samples % FRAMES:
        raise ValueError(f"a clip of {samples} samples does not split into {FRAMES} frames")
    return samples // FRAMES


def stft(x: np.ndarray, hop: int) -> np.ndarray:
    """Complex STFT of signals `[..., T]` -> `[..., BINS, FRAMES]`."""
    padded = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(N_FFT // 2, N_FFT // 2)])
    starts = np.arange(FRAMES) * hop
    frames = padded[..., starts[:, None] + np.arange(N_FFT)[None, :]] * hann()
    return np.swapaxes(np.fft.rfft(frames, axis=-1)[..., :BINS], -1, -2)


def istft(spec: np.ndarray, hop: int, samples: int) -> np.ndarray:
    """Least-squares inverse of `stft` (weighted overlap-add), `[..., BINS, FRAMES]` -> `[..., T]`."""
    full = np.concatenate([spec, np.zeros_like(spec[..., :1, :])], axis=-2)  # the dropped Nyquist bin
    frames = np.fft.irfft(np.swapaxes(full, -1, -2), n=N_FFT, axis=-1) * hann()
    length = samples + N_FFT
    out = np.zeros(frames.shape[:-2] + (length,))
    norm = np.zeros(length)
    for i in range(FRAMES):
        out[..., i * hop : i * hop + N_FFT] += frames[..., i, :]
        norm[i * hop : i * hop + N_FFT] += hann() ** 2
    out = out / np.maximum(norm, 1e-8)
    return out[..., N_FFT // 2 : N_FFT // 2 + samples]


def log_magnitude(x: np.ndarray, hop: int) -> np.ndarray:
    return np.log(np.abs(stft(x, hop)) + LOG_EPS)


def normalise(log_mag: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """SpecGAN's input: per-bin standardised, clipped at 3 std, scaled into [-1, 1]."""
    z = (log_mag - mean[:, None]) / std[:, None]
    return np.clip(z, -CLIP_STD, CLIP_STD) / CLIP_STD


def denormalise(spec: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Normalised spectrogram `[..., BINS, FRAMES]` -> magnitude."""
    return np.exp(spec * CLIP_STD * std[:, None] + mean[:, None])


def spectrogram_stats(waves: np.ndarray, limit: int = 2000, chunk: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Per-bin mean and standard deviation of the log-magnitude over the first `limit` clips
    `[N, 1, T]` (SpecGAN's normalisation; a fixed subset, so the statistics do not depend on
    a run's seed)."""
    x = waves.reshape(len(waves), -1)[:limit].astype(np.float64)
    hop = hop_for(x.shape[1])
    total, squares, count = np.zeros(BINS), np.zeros(BINS), 0
    for start in range(0, len(x), chunk):
        logmag = log_magnitude(x[start : start + chunk], hop)  # [n, BINS, FRAMES]
        total += logmag.sum(axis=(0, 2))
        squares += (logmag**2).sum(axis=(0, 2))
        count += logmag.shape[0] * logmag.shape[2]
    mean = total / count
    std = np.sqrt(np.maximum(squares / count - mean**2, 1e-12))
    return mean, np.maximum(std, 1e-3)


def griffin_lim(magnitude: np.ndarray, hop: int, samples: int, iterations: int = 32, momentum: float = 0.99,
                seed: int = 0) -> np.ndarray:
    """Waveforms whose STFT magnitude is close to `magnitude` `[N, BINS, FRAMES]`: the fast
    Griffin-Lim algorithm (Perraudin et al. 2013), from seeded random phases."""
    rng = np.random.default_rng(seed)
    angles = np.exp(2j * np.pi * rng.random(magnitude.shape))
    previous = np.zeros_like(angles)
    for _ in range(iterations):
        rebuilt = stft(istft(magnitude * angles, hop, samples), hop)
        accelerated = rebuilt - (momentum / (1 + momentum)) * previous
        previous = rebuilt
        angles = accelerated / np.maximum(np.abs(accelerated), 1e-12)
    return np.clip(istft(magnitude * angles, hop, samples), -1.0, 1.0).astype(np.float32)
