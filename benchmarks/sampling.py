"""Sampling throughput: ONNX Runtime vs PyTorch eager for the same generator, in one run.

Each generator is built once, exported once with gantool's exporter, then timed at batch
1, 64 and 256 by both engines, alternating rounds. Prints images/s and the ratio.
With a usable CUDA provider and a CUDA torch, the GPU pair is measured too.

    python benchmarks/sampling.py [--models dcgan,gan] [--seconds 1.5] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from gantool.config import RunConfig
from gantool.export.generator import TrainedGenerator, fold_spectral_norm
from gantool.export.onnx_export import export
from gantool.plugins import registry
from gantool.runtime import Sampler
from gantool.runtime.providers import usable_providers
from gantool.specs import ModelArgs

BATCHES = (1, 64, 256)


def build(model: str) -> TrainedGenerator:
    spec = registry().get("model", model)
    cfg = RunConfig(model=model, **{k: v for k, v in spec.defaults.items() if k in RunConfig.__dataclass_fields__})
    args = ModelArgs(latent_dim=cfg.latent_dim, image_size=cfg.image_size, channels=cfg.channels)
    torch.manual_seed(0)
    g = spec.build(args).generator.eval().requires_grad_(False)
    fold_spectral_norm(g)
    return TrainedGenerator(g, spec, cfg, args, step=0, weights="raw", run_dir=None)


def rate(fn, batch: int, seconds: float) -> float:
    # Both engines keep their worker threads spinning for a while after a call; a pause lets
    # the other engine's threads go idle so neither is measured against the other's spin.
    time.sleep(0.5)
    fn()  # warm-up
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        n += batch
    return n / (time.perf_counter() - start)


def measure(gen: TrainedGenerator, path: Path, device: str, seconds: float, rounds: int) -> list[tuple]:
    sampler = Sampler(path, provider="cuda" if device == "cuda" else "cpu")
    module = gen.module.to(device)
    rows = []
    for batch in BATCHES:
        z = np.random.default_rng(0).standard_normal((batch, gen.args.latent_dim), dtype=np.float32)
        zt = torch.from_numpy(z).to(device)

        def eager(zt=zt):
            with torch.inference_mode():
                out = module(zt)
            if device == "cuda":
                torch.cuda.synchronize()
            return out

        def onnx(z=z, batch=batch):
            return sampler.generate(z, batch_size=batch)

        ours, ref = [], []
        for _ in range(rounds):
            ref.append(rate(eager, batch, seconds))
            ours.append(rate(onnx, batch, seconds))
        # the ratio is the median of per-round ratios: a pair measured back to back shares the
        # machine's momentary speed, which on a shared VM drifts by tens of percent
        ratio = statistics.median(o / r for o, r in zip(ours, ref))
        rows.append((gen.cfg.model, device, batch, statistics.median(ref), statistics.median(ours), ratio))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="dcgan,gan")
    parser.add_argument("--seconds", type=float, default=1.5, help="time per measurement")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() and "CUDAExecutionProvider" in usable_providers() else [])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models.split(","):
            gen = build(model)
            path = export(gen, Path(tmp) / f"{model}.onnx").path
            for device in devices:
                rows += measure(gen, path, device, args.seconds, args.rounds)
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads); ONNX Runtime providers: {', '.join(usable_providers())}")
    print(f"{'model':<8}{'device':<7}{'batch':>6}{'torch eager img/s':>20}{'onnxruntime img/s':>20}{'ratio':>8}")
    for model, device, batch, ref, ours, ratio in rows:
        print(f"{model:<8}{device:<7}{batch:>6}{ref:>20.0f}{ours:>20.0f}{ratio:>7.2f}x")


if __name__ == "__main__":
    main()
