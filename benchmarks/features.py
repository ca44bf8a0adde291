"""Inception features/s: PyTorch eager vs ONNX Runtime on CPU, the same network, one run.

Uses the real FID weights when they are available (cache or GANTOOL_INCEPTION_WEIGHTS),
otherwise random weights of the same architecture: speed does not depend on the values.
Alternating rounds, median images/s per engine and the ratio.

    python benchmarks/features.py [--batch 50] [--rounds 5] [--seconds 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from gantool.core.errors import UserError
from gantool.metrics import inception
from gantool.metrics.features import InceptionFeatures


def weights(tmp: Path) -> tuple[Path, str]:
    try:
        return inception.weights_path(), "FID weights"
    except UserError:
        path = tmp / "random.pth"
        torch.save(inception.FIDInception().state_dict(), path)
        return path, "random weights (FID weights not available here)"


def rate(extractor, images: np.ndarray, seconds: float) -> float:
    extractor(images[:2])  # warm-up (and the one-time ONNX export)
    time.sleep(0.5)  # let the other engine's threads go idle
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        extractor(images, batch_size=len(images))
        n += len(images)
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    images = np.random.default_rng(0).uniform(-1, 1, (args.batch, 3, 32, 32)).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        path, what = weights(Path(tmp))
        engines = {"pytorch": InceptionFeatures("torch", weights=path),
                   "onnxruntime": InceptionFeatures("onnx", weights=path, provider="cpu")}
        rates: dict[str, list[float]] = {name: [] for name in engines}
        for _ in range(args.rounds):
            for name, extractor in engines.items():
                rates[name].append(rate(extractor, images, args.seconds))
    ratio = statistics.median(o / p for o, p in zip(rates["onnxruntime"], rates["pytorch"]))
    print(f"Inception-v3 features, 32 px inputs resized to 299, batch {args.batch}, {what}; "
          f"torch {torch.__version__} ({torch.get_num_threads()} threads)")
    print(f"{'engine':<14}{'images/s':>10}")
    for name, values in rates.items():
        print(f"{name:<14}{statistics.median(values):>10.1f}")
    print(f"onnxruntime / pytorch: {ratio:.2f}x")


if __name__ == "__main__":
    main()
