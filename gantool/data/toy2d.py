"""2-D Gaussian mixtures used to measure mode collapse (the PacGAN protocol)."""

from __future__ import annotations

import numpy as np

from gantool.core.errors import UserError
from gantool.specs import DataArrays, DataRequest

POINTS = 100_000
SEEDS = {"train": 0, "test": 1}


def ring_modes() -> np.ndarray:
    angles = np.arange(8) * (2 * np.pi / 8)
    return np.stack([np.cos(angles), np.sin(angles)], axis=1)


def grid_modes() -> np.ndarray:
    ticks = np.array([-4.0, -2.0, 0.0, 2.0, 4.0])
    return np.stack(np.meshgrid(ticks, ticks, indexing="ij"), axis=-1).reshape(-1, 2)


def mixture(modes: np.ndarray, sigma: float, n: int, seed: int) -> DataArrays:
    rng = np.random.default_rng(seed)
    which = rng.integers(len(modes), size=n)
    x = modes[which] + sigma * rng.standard_normal((n, 2))
    return DataArrays(x=x.astype(np.float32), kind="vector", labels=which.astype(np.int64),
                      num_classes=len(modes), description=f"{len(modes)}-mode mixture, sigma {sigma} ({n} points)",
                      modes=modes, mode_sigma=sigma)


def _split(arg: str | None, request: DataRequest) -> int:
    split = arg or request.split
    if split not in SEEDS:
        raise UserError(f"toy datasets have splits 'train' and 'test', not {split!r}")
    return SEEDS[split]


def load_ring(arg: str | None, request: DataRequest) -> DataArrays:
    return mixture(ring_modes(), 0.01, POINTS, _split(arg, request))


def load_grid(arg: str | None, request: DataRequest) -> DataArrays:
    return mixture(grid_modes(), 0.05, POINTS, _split(arg, request))
