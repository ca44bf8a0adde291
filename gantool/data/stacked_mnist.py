"""Stacked MNIST (Metz et al. 2017, used by PacGAN and VEEGAN): three random MNIST digits as
the R, G and B channels of one 28 px image, so the data has 10^3 = 1000 equally likely modes.

The label of an image is its mode, 100 * red digit + 10 * green digit + blue digit. The
sample is fixed by the split's seed, so every run sees the same stacked images.
"""

from __future__ import annotations

import numpy as np

from gantool.core.errors import UserError
from gantool.data.mnist import load as load_mnist
from gantool.specs import DataArrays, DataRequest

SIZE = {"train": 128_000, "test": 10_000}
SEEDS = {"train": 0, "test": 1}
MODES = 1000


def load(arg: str | None, request: DataRequest) -> DataArrays:
    split = arg or request.split
    if split not in SIZE:
        raise UserError(f"stacked-mnist has splits 'train' and 'test', not {split!r}")
    if request.channels != 3:
        raise UserError(f"stacked-mnist images have 3 channels; set channels = 3 (got {request.channels})")
    digits = load_mnist(split, DataRequest(image_size=request.image_size, channels=1, split=split,
                                           progress=request.progress))
    rng = np.random.default_rng(SEEDS[split])
    picks = rng.integers(len(digits.x), size=(SIZE[split], 3))
    x = digits.x[picks, 0]  # [N, 3, H, W]: one digit per channel
    labels = (digits.labels[picks] * np.array([100, 10, 1])).sum(axis=1)
    return DataArrays(x=np.ascontiguousarray(x), kind="image", labels=labels.astype(np.int64), num_classes=MODES,
                      description=f"Stacked MNIST {split} ({len(x)} images, 1000 modes)")
