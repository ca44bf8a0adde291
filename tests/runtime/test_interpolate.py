"""Latent walks for `gantool sample --interpolate`, from Python (gantool/runtime/interpolate.py)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from gantool.core.errors import UserError
from gantool.core.imaging import grid
from gantool.runtime.interpolate import latent_path, slerp, walk_frames


class StubSampler:
    """Latents by seed; 'generates' 2x2 uint8 images whose pixels are the latent's first value
    (scaled) plus the label, so frames and labels can be read back."""

    info = SimpleNamespace(uint8=True)

    def __init__(self):
        self.calls = []

    def latents(self, n, seed):
        return np.random.default_rng(seed).standard_normal((n, 3), dtype=np.float32)

    def generate(self, z, labels, batch_size, progress):
        self.calls.append((z, labels, batch_size))
        if progress:
            progress(len(z))
        value = np.clip(np.rint(z[:, 0] * 20 + 100 + (0 if labels is None else labels)), 0, 255).astype(np.uint8)
        return np.broadcast_to(value[:, None, None, None], (len(z), 2, 2, 1)).copy()


def test_latent_path_runs_from_one_batch_to_the_other():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 8)).astype(np.float32), rng.standard_normal((3, 8)).astype(np.float32)
    path = latent_path(a, b, 5)
    assert path.shape == (15, 8) and path.dtype == np.float32
    np.testing.assert_allclose(path[:3], a, atol=1e-5)
    np.testing.assert_allclose(path[-3:], b, atol=1e-5)
    np.testing.assert_allclose(path[6:9], slerp(a, b, 0.5))
    with pytest.raises(UserError, match="--interpolate needs at least 2 steps"):
        latent_path(a, b, 1)


def test_walk_frames_are_grids_from_seed_to_the_next_seed_with_fixed_labels():
    sampler, advanced = StubSampler(), []
    labels = np.array([0, 1, 2, 3], dtype=np.int64)
    frames = walk_frames(sampler, 4, seed=7, steps=6, labels=labels, columns=2, batch_size=5, progress=advanced.append)
    assert len(frames) == 6 and advanced == [24]
    (z, frame_labels, batch_size), = sampler.calls
    assert z.shape == (24, 3) and batch_size == 5
    np.testing.assert_array_equal(frame_labels, np.tile(labels, 6))
    first = sampler.generate(sampler.latents(4, 7), labels, 1, None)
    last = sampler.generate(sampler.latents(4, 8), labels, 1, None)
    np.testing.assert_array_equal(frames[0], grid(first, 2))
    np.testing.assert_array_equal(frames[-1], grid(last, 2))
    unlabelled = walk_frames(StubSampler(), 4, seed=7, steps=2)
    assert len(unlabelled) == 2 and unlabelled[0].shape == grid(first).shape
