"""Score a generator (or one image set against another) the way papers do, and say how.

Generated images come from ONNX Runtime; real images from any dataset plugin. Features of
the real set are cached under a key of the whole protocol (dataset, split, N, seed, image
shape, extractor and its weights), so a second evaluation against the same reference
costs only the generated side. Every result carries that protocol.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from gantool.core.cache import cache_dir
from gantool.core.errors import UserError
from gantool.core.fsutil import atomic_write
from gantool.metrics.features import Features

METRICS = ("fid", "kid", "is", "pr", "dc", "stacked")


@dataclass
class EvalResult:
    values: dict[str, float]
    protocol: dict[str, Any]
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"values": self.values, "protocol": self.protocol, "seconds": round(self.seconds, 2)}


def parse_metrics(text: str) -> list[str]:
    names = [m.strip().lower() for m in text.split(",") if m.strip()]
    unknown = [m for m in names if m not in METRICS]
    if unknown or not names:
        raise UserError(f"unknown metric {', '.join(unknown) or repr(text)}; choose from {', '.join(METRICS)}")
    return names


def as_float_images(images: np.ndarray) -> np.ndarray:
    """Dataset uint8 [N, C, H, W] or generator output (float NCHW, or uint8 NHWC) -> float [-1, 1] NCHW."""
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 127.5 - 1.0
    return np.asarray(images, dtype=np.float32)


def dataset_images(registry, text: str, n: int, seed: int, image_size: int, channels: int,
                   default_split: str = "train") -> np.ndarray:
    """`n` images (all when n is 0) drawn without replacement by `seed` from a dataset."""
    from gantool.specs import DataRequest
    from gantool.train.session import split_data_name

    name, arg = split_data_name(text)
    spec = registry.get("dataset", name)
    if spec.data_kind != "image":
        raise UserError(f"dataset {name!r} is {spec.data_kind} data; image metrics need images")
    data = spec.load(arg, DataRequest(image_size=image_size, channels=channels, split=default_split))
    if n and n > len(data.x):
        raise UserError(f"-n {n} is more than the {len(data.x)} images in {text}")
    index = np.random.default_rng(seed).permutation(len(data.x))[:n] if n else np.arange(len(data.x))
    return as_float_images(data.x[np.sort(index)])


def _cache_key(parts: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:24]


def reference_features(extractor, load_images: Callable[[], np.ndarray], protocol: dict[str, Any]) -> tuple[Features, bool]:
    """The real set's features, from the cache when this exact protocol was computed before."""
    path = cache_dir("eval", "reference") / f"{_cache_key(protocol)}.npz"
    if path.is_file():
        try:
            with np.load(path) as saved:
                logits = saved["logits"] if "logits" in saved.files else None
                return Features(saved["features"], logits), True
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache entry is recomputed and replaced
    feats = extractor(load_images())
    arrays = {"features": feats.features, **({"logits": feats.logits} if feats.logits is not None else {})}
    atomic_write(path, lambda fh: np.savez(fh, protocol=json.dumps(protocol), **arrays), mode="wb")
    return feats, False


def compute(metrics: list[str], real: Features, fake: Features, fake_images: np.ndarray | None = None) -> dict[str, float]:
    from gantool.metrics.frechet import GaussianStats, frechet_distance

    values: dict[str, float] = {}
    for metric in metrics:
        if metric == "fid":
            values["fid"] = frechet_distance(GaussianStats.of(real.features), GaussianStats.of(fake.features))
        elif metric == "kid":
            from gantool.metrics.kid import kernel_inception_distance

            values["kid"], values["kid_std"] = kernel_inception_distance(real.features, fake.features)
        elif metric == "is":
            if fake.logits is None:
                raise UserError("IS needs a feature extractor with class logits (lenet-mnist, inception)")
            from gantool.metrics.inception_score import inception_score

            values["is"], values["is_std"] = inception_score(fake.logits)
        elif metric == "pr":
            from gantool.metrics.prdc import precision_recall

            values["precision"], values["recall"] = precision_recall(real.features, fake.features)
        elif metric == "dc":
            from gantool.metrics.prdc import density_coverage

            values["density"], values["coverage"] = density_coverage(real.features, fake.features)
        elif metric == "stacked":
            if fake_images is None or fake_images.shape[1] != 3:
                raise UserError("the stacked metric needs 3-channel Stacked MNIST generations")
            from gantool.metrics.stacked_mnist import stacked_mnist_coverage

            coverage = stacked_mnist_coverage(fake_images)
            values["stacked_modes"], values["stacked_kl"] = coverage.modes_covered, coverage.kl_to_uniform
    return values


def write_result(result: EvalResult, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = folder / f"{stamp}.json"
    suffix = 2
    while path.exists():  # never replace an earlier result
        path = folder / f"{stamp}-{suffix}.json"
        suffix += 1
    atomic_write(path, lambda fh: json.dump(result.to_json(), fh, indent=1))
    return path
