"""Frechet distance between Gaussians fitted to features (FID when the features are Inception's).

    d^2 = |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2)

Everything in float64. The matrix square root uses eigenvalues of symmetric matrices
(`eigh`): S1^1/2 from S1's eigendecomposition, then the eigenvalues of the symmetric PSD
product S1^1/2 S2 S1^1/2, whose square roots sum to tr((S1 S2)^1/2). Tiny negative
eigenvalues from rounding are clipped to 0, so the result never goes complex.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GaussianStats:
    mu: np.ndarray  # [d]
    sigma: np.ndarray  # [d, d]
    count: int

    @classmethod
    def of(cls, features: np.ndarray) -> GaussianStats:
        x = np.asarray(features, dtype=np.float64)
        if x.ndim != 2 or len(x) < 2:
            raise ValueError(f"need at least 2 feature vectors [N, d], got shape {x.shape}")
        return cls(x.mean(axis=0), np.cov(x, rowvar=False), len(x))


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance(a: GaussianStats, b: GaussianStats) -> float:
    root_a = _sqrt_psd(a.sigma)
    middle = root_a @ b.sigma @ root_a
    trace_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()
    diff = a.mu - b.mu
    return float(diff @ diff + np.trace(a.sigma) + np.trace(b.sigma) - 2 * trace_sqrt)
