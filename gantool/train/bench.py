"""`gantool bench`: how fast this machine trains, samples and extracts features.

Training is timed on the shared loop's own step function and data path (synthetic data of
the model's shape, so nothing is downloaded), after warm-up steps. FLOPs per trained image
are counted once with torch's FlopCounterMode over one full step (forward and backward of
both networks); MFU divides the achieved FLOP rate by the device's peak for the precision
in use, when the device is one whose peak we know.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

# dense peak TFLOP/s by GPU name fragment and precision (vendor data sheets, SXM parts)
PEAK_TFLOPS = {
    "H200": {"bf16": 989.0, "fp16": 989.0, "fp32": 67.0},
    "H100": {"bf16": 989.0, "fp16": 989.0, "fp32": 67.0},
    "A100": {"bf16": 312.0, "fp16": 312.0, "fp32": 19.5},
    "L4": {"bf16": 121.0, "fp16": 121.0, "fp32": 30.3},
}


def peak_tflops(device: torch.device, precision: str) -> float | None:
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    for fragment, peaks in PEAK_TFLOPS.items():
        if fragment in name:
            return peaks.get(precision)
    return None


def _trainer(model: str, device: str, batch_size: int | None, sets: dict | None = None):
    from gantool.config import resolve
    from gantool.plugins import registry
    from gantool.specs import DataArrays
    from gantool.train.build import build

    reg = registry()
    spec = reg.get("model", model)
    flags = {"device": device, "steps": 1, **({"batch_size": batch_size} if batch_size else {})}
    cfg = resolve(model, spec.defaults, lambda name: reg.get("loss", name).defaults, None, flags, sets or {})
    n = max(4 * cfg.batch_size, 256)
    rng = np.random.default_rng(0)
    if spec.data_kind == "image":
        data = DataArrays(x=rng.integers(0, 256, (n, cfg.channels, cfg.image_size, cfg.image_size), dtype=np.uint8),
                          kind="image", labels=np.arange(n) % 10, num_classes=10)
    else:
        data = DataArrays(x=rng.standard_normal((n, 2)).astype(np.float32), kind="vector", labels=None)
    return build(cfg, spec, reg.get("loss", cfg.loss), data), cfg


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def train_speed(model: str, device: str, steps: int, warmup: int, batch_size: int | None,
                sets: dict | None = None) -> dict[str, Any]:
    from torch.utils.flop_counter import FlopCounterMode

    trainer, cfg = _trainer(model, device, batch_size, sets)
    step_fn, batches = trainer.update, trainer.batches
    trainer.ctx.view.total_steps = warmup + steps + 1
    for i in range(warmup):
        step_fn(i, *batches.next())
    with FlopCounterMode(display=False) as counter:  # one full step, G phase included
        step_fn(cfg.n_critic - 1, *batches.next())
    flops_per_step = counter.get_total_flops()
    _sync(trainer.device)
    start = time.perf_counter()
    for i in range(steps):
        step_fn(i, *batches.next())
    _sync(trainer.device)
    seconds = time.perf_counter() - start
    img_per_s = steps * cfg.batch_size / seconds
    flops_per_image = flops_per_step / cfg.batch_size  # of a step that also updates G
    peak = peak_tflops(trainer.device, trainer.precision.name)
    achieved = img_per_s * flops_per_image / 1e12
    return {"model": model, "device": str(trainer.device), "precision": trainer.precision.name,
            "batch_size": cfg.batch_size, "train_img_per_s": round(img_per_s, 1),
            "gflop_per_image_step": round(flops_per_image / 1e9, 4), "achieved_tflops": round(achieved, 4),
            "mfu": round(achieved / peak, 4) if peak else None, "trainer": trainer}


def sampling_speed(trainer, batch: int = 64, seconds: float = 2.0) -> dict[str, Any]:
    from gantool.export.generator import TrainedGenerator, fold_spectral_norm
    from gantool.export.onnx_export import export
    from gantool.plugins import registry
    from gantool.runtime import Sampler

    g = trainer.G.eval().requires_grad_(False)
    fold_spectral_norm(g)
    spec = registry().get("model", trainer.cfg.model)
    gen = TrainedGenerator(g.cpu(), spec, trainer.cfg, trainer.model_args, 0, "raw", None)
    z = np.random.default_rng(0).standard_normal((batch, trainer.cfg.latent_dim), dtype=np.float32)
    labels = (np.arange(batch) % trainer.model_args.num_classes) if spec.conditional else None
    with tempfile.TemporaryDirectory() as tmp:
        sampler = Sampler(export(gen, Path(tmp) / "g.onnx").path, provider="auto")
        zt = torch.from_numpy(z)
        lt = torch.from_numpy(labels) if labels is not None else None

        def eager():
            with torch.inference_mode():
                g(zt, lt) if lt is not None else g(zt)

        rates = {}
        for name, fn in (("torch", eager), ("onnxruntime", lambda: sampler.generate(z, labels, batch_size=batch))):
            fn()
            n, start = 0, time.perf_counter()
            while time.perf_counter() - start < seconds:
                fn()
                n += batch
            rates[name] = n / (time.perf_counter() - start)
        provider = sampler.provider
    return {"sample_batch": batch, "sample_torch_img_per_s": round(rates["torch"], 1),
            "sample_onnx_img_per_s": round(rates["onnxruntime"], 1), "onnx_provider": provider}


def feature_speed(batch: int = 25) -> dict[str, Any]:
    """Inception features/s in ONNX Runtime, when the FID weights are available here."""
    from gantool.core.errors import UserError
    from gantool.metrics.features import InceptionFeatures

    try:
        extractor = InceptionFeatures("onnx")
    except UserError as exc:
        return {"inception_img_per_s": None, "inception_note": str(exc).split(";")[0]}
    images = np.random.default_rng(0).uniform(-1, 1, (batch, 3, 32, 32)).astype(np.float32)
    extractor(images[:2])
    start = time.perf_counter()
    extractor(images, batch_size=batch)
    return {"inception_img_per_s": round(batch / (time.perf_counter() - start), 1)}
