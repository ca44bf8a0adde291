"""`--eval-every N`: score the generator during training and log it into metrics.jsonl.

The reference features are computed once per run from a fixed subset of the training data;
the generated side uses fixed latents (and, for conditional models, labels cycling through
the classes), so successive values differ only because the generator changed.
"""

from __future__ import annotations

import numpy as np
import torch

from gantool.core.errors import UserError
from gantool.metrics.evaluate import as_float_images, compute, parse_metrics
from gantool.plugins import split_name
from gantool.specs import DataArrays


class PeriodicEval:
    def __init__(self, registry, metrics: str, features: str, n: int, data: DataArrays, seed: int, latent_dim: int,
                 num_classes: int):
        if data.kind != "image":
            raise UserError(f"--eval-every scores images; this run trains on {data.kind} data"
                            + (" (mode coverage is logged anyway)" if data.kind == "vector" else ""))
        self.metrics = parse_metrics(metrics)
        name, arg = split_name(features)
        self.extractor = registry.get("feature extractor", name).factory(arg)
        n = min(n, len(data.x))
        pick = np.sort(np.random.default_rng(seed).permutation(len(data.x))[:n])
        self._real_images = as_float_images(data.x[pick])
        self._real = None  # extracted on first use, so a run that never evaluates pays nothing
        gen = torch.Generator().manual_seed(seed + 2)
        self.z = torch.randn(n, latent_dim, generator=gen)
        self.labels = torch.arange(n) % num_classes if num_classes else None

    @torch.no_grad()
    def __call__(self, generator: torch.nn.Module, device: torch.device, batch_size: int = 500) -> dict[str, float]:
        if self._real is None:
            self._real = self.extractor(self._real_images)
            self._real_images = None
        was_training = generator.training
        generator.eval()
        chunks = []
        for start in range(0, len(self.z), batch_size):
            z = self.z[start : start + batch_size].to(device)
            args = (z,) if self.labels is None else (z, self.labels[start : start + batch_size].to(device))
            chunks.append(generator(*args).float().cpu().numpy())
        generator.train(was_training)
        images = np.concatenate(chunks)
        values = compute(self.metrics, self._real, self.extractor(images), images)
        return {k: round(float(v), 6) for k, v in values.items()}


def for_run(cfg, data: DataArrays, latent_dim: int, num_classes: int, is_main: bool) -> PeriodicEval | None:
    """The run's `--eval-every` scorer (rank 0 only), or None when periodic evaluation is off."""
    if not cfg.eval_every or not is_main:
        return None
    from gantool.plugins import registry

    return PeriodicEval(registry(), cfg.eval_metrics, cfg.eval_features, cfg.eval_n, data, cfg.seed, latent_dim,
                        num_classes)
