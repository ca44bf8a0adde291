"""Loss statistics and speed between log ticks, kept on the device.

Each step's statistics are added to running sums on the device; `means()` reads them once
per log tick (the one host-device sync), averaged over every process under --nproc, and
raises TrainingDiverged on a NaN or Inf so no checkpoint is ever written from one.
"""

from __future__ import annotations

import math
import time

import torch

from gantool.core.errors import TrainingDiverged
from gantool.train.distributed import Dist


class Meter:
    def __init__(self, dist: Dist):
        self.dist = dist
        self.reset()

    def reset(self) -> None:
        self.sums: dict[str, torch.Tensor] = {}
        self.counts: dict[str, int] = {}
        self.restart_timer()

    def restart_timer(self) -> None:
        self.images = 0
        self.start = time.perf_counter()

    def add(self, out: dict[str, torch.Tensor], images: int) -> None:
        for key, value in out.items():
            prev = self.sums.get(key)
            self.sums[key] = value.float() if prev is None else prev + value.float()
            self.counts[key] = self.counts.get(key, 0) + 1
        self.images += images

    def means(self, step: int) -> dict[str, float]:
        """Read the accumulated statistics: the one host-device sync per log tick."""
        if not self.sums:
            return {}
        values = self.dist.mean(torch.stack(list(self.sums.values()))).tolist()  # all processes' mean
        means = {k: v / self.counts[k] for k, v in zip(self.sums, values)}
        bad = [k for k, v in means.items() if not math.isfinite(v)]
        if bad:
            raise TrainingDiverged(f"{bad[0]} became {means[bad[0]]} by step {step}")
        return means

    def images_per_second(self) -> float:
        seconds = time.perf_counter() - self.start
        return round(self.images / seconds, 2) if seconds > 0 else 0.0
