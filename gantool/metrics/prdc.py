"""Precision / recall (Kynkaanniemi et al. 2019, k = 3) and density / coverage (Naeem et al.
2020, k = 5) from k-nearest-neighbour balls in feature space.

A real sample's ball has the radius of its k-th nearest real neighbour (itself excluded).
precision: fraction of fakes inside at least one real ball; recall: fraction of reals inside
at least one fake ball (radii from fakes); density: mean count of real balls containing a
fake, over k; coverage: fraction of real balls that contain at least one fake.
"""

from __future__ import annotations

import numpy as np

K_PR = 3
K_DC = 5


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    sq = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return np.sqrt(np.clip(sq, 0, None))


def _radii(x: np.ndarray, k: int) -> np.ndarray:
    d = _distances(x, x)
    return np.partition(d, k, axis=1)[:, k]  # index 0 is the point itself (distance 0)


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = K_PR) -> tuple[float, float]:
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    cross = _distances(real, fake)  # [real, fake]
    precision = (cross <= _radii(real, k)[:, None]).any(axis=0).mean()
    recall = (cross <= _radii(fake, k)[None, :]).any(axis=1).mean()
    return float(precision), float(recall)


def density_coverage(real: np.ndarray, fake: np.ndarray, k: int = K_DC) -> tuple[float, float]:
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    inside = _distances(real, fake) <= _radii(real, k)[:, None]  # [real, fake]
    density = inside.sum() / (k * len(fake))
    coverage = inside.any(axis=1).mean()
    return float(density), float(coverage)
