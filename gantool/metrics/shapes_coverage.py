"""Factor coverage on the procedural `shapes` dataset (gantool/data/shapes.py), in the
spirit of Stacked MNIST: `shapes-net` (gantool/metrics/shapes_net.py, shipped weights)
reads each generated image's shape x colour combination, one of 24; the score is how many
combinations a generator produces and how far its histogram is from uniform (the
dataset's classes are balanced).

A combination counts as covered when it holds at least a tenth of its uniform share of
the images (N / 240): a few misread images of garbage do not make a combination covered,
as "at least one" would. `kl_to_uniform` is KL(histogram || uniform) in nats (0 for a
perfectly balanced generator, ln 24 = 3.18 for a single combination).

This module is torch-free at import (it registers the `shapes-net` feature extractor at
start-up); the classifier is loaded when first used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

CLASSES = 24  # 4 shapes x 6 colours: label = shape * 6 + colour
COVERED_SHARE = 0.1  # of the uniform share of the images, for a combination to count


@dataclass(frozen=True)
class ShapesCoverage:
    covered: int  # combinations holding at least COVERED_SHARE of their uniform share
    kl_to_uniform: float
    counts: tuple[int, ...]  # images per combination

    def as_metrics(self) -> dict[str, float]:
        return {"shapes_covered": self.covered, "shapes_kl": round(self.kl_to_uniform, 6)}


def coverage_of(labels: np.ndarray) -> ShapesCoverage:
    """Coverage from the combination of each image."""
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=CLASSES)
    total = int(counts.sum())
    p = counts / max(total, 1)
    kl = float(np.sum(p[p > 0] * np.log(p[p > 0] * CLASSES)))
    covered = int((counts >= COVERED_SHARE * total / CLASSES).sum()) if total else 0
    return ShapesCoverage(covered, kl, tuple(int(c) for c in counts))


def shapes_coverage(images: np.ndarray) -> ShapesCoverage:
    """Which of the 24 shape x colour combinations `images` ([N, 3, H, W] in [-1, 1]) show."""
    from gantool.metrics import shapes_net

    return coverage_of(shapes_net.classify(images))


class ShapesFeatures:
    """shapes-net as a feature extractor: 64-d features and the 24 logits."""

    input_channels, input_size = 3, 32  # what --real/--fake load images at

    def __init__(self, arg: str | None = None):
        from gantool.metrics import shapes_net

        self.protocol = {"extractor": "shapes-net", "weights_sha256": shapes_net.weights_sha256(),
                         "input": "32x32 RGB, bilinear (antialiased) resize", "features": "fc1 (64)"}

    def __call__(self, images: np.ndarray, batch_size: int = 500) -> Any:
        from gantool.metrics import shapes_net
        from gantool.metrics.features import Features

        return Features(*shapes_net.features_and_logits(np.asarray(images, np.float32), batch_size))
