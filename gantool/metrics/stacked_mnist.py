"""Mode coverage on Stacked MNIST: each channel of a generated image is read by lenet-mnist,
the three digits name one of 1000 modes; report modes covered and KL(generated mode
histogram || uniform), as PacGAN and VEEGAN do (usually from 26,000 samples)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from gantool.metrics import lenet

MODES = 1000


@dataclass(frozen=True)
class StackedModes:
    modes_covered: int
    kl_to_uniform: float

    def as_metrics(self) -> dict[str, float]:
        return {"stacked_modes": self.modes_covered, "stacked_kl": round(self.kl_to_uniform, 6)}


def stacked_modes(images: np.ndarray) -> np.ndarray:
    """The mode (0..999) of each [N, 3, 28, 28] image in [-1, 1]."""
    x = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))
    if x.dim() != 4 or x.shape[1] != 3:
        raise ValueError(f"stacked MNIST images are [N, 3, H, W], got {tuple(x.shape)}")
    digits = [lenet.classify(x[:, c : c + 1]).numpy() for c in range(3)]
    return digits[0] * 100 + digits[1] * 10 + digits[2]


def stacked_mnist_coverage(images: np.ndarray) -> StackedModes:
    counts = np.bincount(stacked_modes(images), minlength=MODES)
    p = counts / counts.sum()
    kl = float(np.sum(p[p > 0] * np.log(p[p > 0] * MODES)))
    return StackedModes(int((counts > 0).sum()), kl)
