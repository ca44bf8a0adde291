"""Latent interpolation (`gantool sample --interpolate`): a walk between two seeded latent
batches, generated with ONNX Runtime and laid out as one grid per frame.

The walk runs from the latents of `seed` to those of `seed + 1` by spherical interpolation,
the usual path between Gaussian latents (it keeps their norm, so every frame looks like a
sample rather than a washed-out average). Labels stay fixed along the walk, so a
conditional model morphs within each class. Never imports torch.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from gantool.core.errors import UserError
from gantool.core.imaging import grid


def slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Spherical interpolation between latent batches `a` and `b` ([n, d]), row by row."""
    na, nb = a / np.linalg.norm(a, axis=1, keepdims=True), b / np.linalg.norm(b, axis=1, keepdims=True)
    omega = np.arccos(np.clip((na * nb).sum(axis=1, keepdims=True), -1.0, 1.0))
    so = np.sin(omega)
    with np.errstate(invalid="ignore", divide="ignore"):  # (anti)parallel rows fall back to lerp
        out = np.where(so < 1e-6, (1 - t) * a + t * b, np.sin((1 - t) * omega) / so * a + np.sin(t * omega) / so * b)
    return out.astype(np.float32)


def latent_path(a: np.ndarray, b: np.ndarray, steps: int) -> np.ndarray:
    """`steps` points from `a` to `b`, both ends included, frame after frame: [steps * n, d]."""
    if steps < 2:
        raise UserError("--interpolate needs at least 2 steps")
    return np.concatenate([slerp(a, b, t / (steps - 1)) for t in range(steps)])


def walk_frames(sampler, n: int, seed: int, steps: int, labels: np.ndarray | None = None, columns: int | None = None,
                batch_size: int = 64, progress: Callable[[int], None] | None = None) -> list[np.ndarray]:
    """`steps` uint8 [H, W, C] grids of `n` samples each, walking from seed's latents to
    seed + 1's; `labels` (one per sample, or None) are the same in every frame. `progress`
    is called after each batch with its size; there are `n * steps` samples in all."""
    from gantool.runtime.outputs import as_uint8_images

    z = latent_path(sampler.latents(n, seed), sampler.latents(n, seed + 1), steps)
    frame_labels = None if labels is None else np.tile(labels, steps)
    images = as_uint8_images(sampler.generate(z, frame_labels, batch_size, progress), sampler.info.uint8)
    return [grid(images[i * n : (i + 1) * n], columns) for i in range(steps)]
