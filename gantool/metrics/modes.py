"""Mode coverage on Gaussian mixtures (the PacGAN protocol, Lin et al. 2018).

A sample is high quality when it lies within 3 sigma of its nearest mode; a mode is covered
when it is the nearest mode of at least one high-quality sample. The reverse KL compares the
histogram of high-quality samples over the modes with the uniform distribution the data has.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SAMPLES = 2500


@dataclass(frozen=True)
class ModeCoverage:
    modes_covered: int
    num_modes: int
    high_quality: float  # fraction of samples within 3 sigma of a mode
    reverse_kl: float  # KL(generated mode histogram || uniform); inf when no sample is high quality

    def as_metrics(self) -> dict[str, float]:
        return {"modes_covered": self.modes_covered, "high_quality_pct": round(100 * self.high_quality, 3),
                "reverse_kl": round(self.reverse_kl, 6) if math.isfinite(self.reverse_kl) else None}


def mode_coverage(samples: np.ndarray, modes: np.ndarray, sigma: float) -> ModeCoverage:
    samples, modes = np.asarray(samples, dtype=np.float64), np.asarray(modes, dtype=np.float64)
    dist = np.linalg.norm(samples[:, None, :] - modes[None, :, :], axis=-1)
    nearest, closest = dist.argmin(axis=1), dist.min(axis=1)
    good = closest <= 3 * sigma
    counts = np.bincount(nearest[good], minlength=len(modes))
    if counts.sum() == 0:
        return ModeCoverage(0, len(modes), 0.0, math.inf)
    p = counts / counts.sum()
    kl = float(np.sum(p[p > 0] * np.log(p[p > 0] * len(modes))))
    return ModeCoverage(int((counts > 0).sum()), len(modes), float(good.mean()), kl)
