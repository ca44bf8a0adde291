"""Kernel Inception Distance (Binkowski et al. 2018): the unbiased MMD^2 between feature sets
with the cubic polynomial kernel k(x, y) = (x . y / d + 1)^3, averaged over random subsets.

When both sets hold no more than `subset_size` samples every "subset" would be the whole
set: the MMD^2 is computed once and there is no std to report (None). torch-fidelity refuses
that case; gantool scores it and says so, since small-N KID is what KID is for.
"""

from __future__ import annotations

import numpy as np

SUBSETS = 100
SUBSET_SIZE = 1000


def _mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    d = x.shape[1]
    kxx = (x @ x.T / d + 1) ** 3
    kyy = (y @ y.T / d + 1) ** 3
    kxy = (x @ y.T / d + 1) ** 3
    m, n = len(x), len(y)
    return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
                 - 2 * kxy.mean())


def kernel_inception_distance(real: np.ndarray, fake: np.ndarray, subsets: int = SUBSETS,
                              subset_size: int = SUBSET_SIZE, seed: int = 0) -> tuple[float, float | None]:
    """(mean, std) of the MMD^2 over `subsets` draws of min(subset_size, N) samples from each
    set; (MMD^2 of the whole sets, None) when neither set is larger than `subset_size`."""
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    size = min(subset_size, len(real), len(fake))
    if size < 2:
        raise ValueError("KID needs at least 2 samples in each set")
    if len(real) <= subset_size and len(fake) <= subset_size:
        return _mmd2_unbiased(real, fake), None
    rng = np.random.default_rng(seed)
    values = [_mmd2_unbiased(real[rng.choice(len(real), size, replace=False)],
                             fake[rng.choice(len(fake), size, replace=False)]) for _ in range(subsets)]
    return float(np.mean(values)), float(np.std(values))
