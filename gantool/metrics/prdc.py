"""Precision / recall (Kynkaanniemi et al. 2019, k = 3) and density / coverage (Naeem et al.
2020, k = 5) from k-nearest-neighbour balls in feature space.

A real sample's ball has the radius of its k-th nearest real neighbour (itself excluded).
precision: fraction of fakes inside at least one real ball; recall: fraction of reals inside
at least one fake ball (radii from fakes); density: mean count of real balls containing a
fake, over k; coverage: fraction of real balls that contain at least one fake.

Inside a ball means distance <= radius for precision/recall, as Kynkaanniemi et al.'s code
counts, and distance < radius for density/coverage, as Naeem et al.'s reference (prdc)
does: with `<=` a copy of the real set would find each real point's k-th neighbour on the
edge of its ball and score density (k + 1) / k = 1.2 instead of 1.0.
"""

from __future__ import annotations

import numpy as np

K_PR = 3
K_DC = 5


CHUNK = 1024  # rows of a distance matrix held at once: memory stays O(CHUNK x N) for any N


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    sq = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return np.sqrt(np.clip(sq, 0, None))


def _chunks(n: int):
    return (slice(start, min(start + CHUNK, n)) for start in range(0, n, CHUNK))


def _radii(x: np.ndarray, k: int) -> np.ndarray:
    """Distance from each point to its k-th nearest neighbour in `x` (itself excluded)."""
    out = np.empty(len(x))
    for rows in _chunks(len(x)):
        out[rows] = np.partition(_distances(x[rows], x), k, axis=1)[:, k]  # column k: index 0 is the point itself
    return out


def _inside(points: np.ndarray, centres: np.ndarray, radii: np.ndarray,
            strict: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Per centre, how many points lie in its ball; per point, whether it lies in any ball.
    `strict`: a point exactly on a ball's edge is outside it."""
    within = np.less if strict else np.less_equal
    per_centre = np.zeros(len(centres), dtype=np.int64)
    per_point = np.zeros(len(points), dtype=bool)
    for rows in _chunks(len(centres)):
        hit = within(_distances(centres[rows], points), radii[rows, None])
        per_centre[rows] = hit.sum(axis=1)
        per_point |= hit.any(axis=0)
    return per_centre, per_point


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = K_PR) -> tuple[float, float]:
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    _, fake_in_real = _inside(fake, real, _radii(real, k))
    _, real_in_fake = _inside(real, fake, _radii(fake, k))
    return float(fake_in_real.mean()), float(real_in_fake.mean())


def density_coverage(real: np.ndarray, fake: np.ndarray, k: int = K_DC) -> tuple[float, float]:
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    fakes_per_ball, _ = _inside(fake, real, _radii(real, k), strict=True)
    return float(fakes_per_ball.sum() / (k * len(fake))), float((fakes_per_ball > 0).mean())
