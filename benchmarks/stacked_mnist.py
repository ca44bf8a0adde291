"""Mode collapse on Stacked MNIST: built-in recipes x seeds, one fixed budget.

The standard protocol (Metz et al. 2017; PacGAN, VEEGAN): each of an image's three channels
is an independently drawn MNIST digit, so the data has 1,000 equally likely modes. Every
recipe trains `dcgan` on `stacked-mnist` (28 px, 3 channels) for the same number of steps
and batch size; then 26,000 samples (from the EMA generator where the recipe keeps one)
have each channel read by the shipped `lenet-mnist`, giving the modes covered and the KL
divergence of the mode histogram to uniform. Prints mean +- std over the seeds and how many
seeds covered all 1,000 modes with KL <= 0.1.

    python benchmarks/stacked_mnist.py [--steps 3000] [--seeds 5] [--workers 2]
                                       [--recipes dcgan,pack2,mbstd,...|all] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

SAMPLES = 26_000  # the protocol's sample count
MODES = 1000

# recipe -> config overrides on top of dcgan's defaults (the stacked data needs 3 channels)
RECIPES: dict[str, dict] = {
    "dcgan": {},
    "pack2": {"pack": 2},
    "mbstd": {"minibatch_std": True},
    "r1-ema": {"loss": "r1", "ema": True, "ema_decay": 0.999},
    "pack2-ema": {"pack": 2, "ema": True, "ema_decay": 0.999},
}
DEFAULT_RECIPES = ("dcgan", "pack2", "mbstd", "r1-ema")


def sample_images(generator, latent_dim: int, n: int, seed: int, batch_size: int = 1000):
    """`n` images in [-1, 1] as numpy, from fixed latents."""
    import numpy as np
    import torch

    # all latents drawn at once: the images do not depend on the batch size
    z = torch.randn(n, latent_dim, generator=torch.Generator().manual_seed(seed))
    was_training = generator.training
    generator.eval()
    chunks = []
    with torch.no_grad():
        for start in range(0, n, batch_size):
            chunks.append(generator(z[start : start + batch_size]).float().numpy())
    generator.train(was_training)
    return np.concatenate(chunks)


def train_one(recipe: str, seed: int, steps: int, batch_size: int, samples: int = SAMPLES, threads: int = 1) -> dict:
    import torch

    torch.set_num_threads(threads)
    from gantool.config import resolve
    from gantool.metrics.stacked_mnist import stacked_mnist_coverage
    from gantool.plugins import registry
    from gantool.run import RunDir
    from gantool.specs import DataRequest
    from gantool.train.trainer import Trainer

    reg = registry()
    model = reg.get("model", "dcgan")
    overrides = {**RECIPES[recipe], "data": "stacked-mnist", "channels": 3, "image_size": 28, "seed": seed,
                 "steps": steps, "batch_size": batch_size, "sample_every": 0, "checkpoint_every": 0,
                 "log_every": max(1, steps // 10)}
    cfg = resolve("dcgan", model.defaults, lambda name: reg.get("loss", name).defaults, None, overrides, {})
    data = reg.get("dataset", "stacked-mnist").load(None, DataRequest(image_size=28, channels=3))
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(cfg, model, reg.get("loss", cfg.loss), data)
        trainer.fit(RunDir.create(Path(tmp), "dcgan", recipe), steps)
        generator = trainer.ema.model if trainer.ema else trainer.G
        trained = time.perf_counter() - start
        images = sample_images(generator.cpu(), cfg.latent_dim, samples, seed=10_000 + seed)
    coverage = stacked_mnist_coverage(images)
    return {"recipe": recipe, "seed": seed, "steps": steps, "batch_size": batch_size, "samples": samples,
            "train_seconds": round(trained, 1), "seconds": round(time.perf_counter() - start, 1),
            "modes": coverage.modes_covered, "kl": round(coverage.kl_to_uniform, 4)}


def summarize(results: list[dict], recipes: list[str], kl_target: float = 0.1) -> list[str]:
    def spread(values):
        return statistics.fmean(values), (statistics.pstdev(values) if len(values) > 1 else 0.0)

    lines = ["| recipe | modes covered (of 1000) | KL to uniform | seeds with 1000 modes and KL <= 0.1 | s/run |",
             "| --- | --- | --- | --- | --- |"]
    for recipe in recipes:
        rows = [r for r in results if r["recipe"] == recipe]
        if not rows:
            continue
        (m, ms), (k, ks) = spread([r["modes"] for r in rows]), spread([r["kl"] for r in rows])
        full = sum(r["modes"] == MODES and r["kl"] <= kl_target for r in rows)
        seconds = statistics.fmean(r["seconds"] for r in rows)
        lines.append(f"| {recipe} | {m:.1f} ± {ms:.1f} | {k:.3f} ± {ks:.3f} | {full}/{len(rows)} | {seconds:.0f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=3000, help="D steps per run (the fixed budget)")
    parser.add_argument("--batch-size", type=int, default=64, help="divisible by every pack size")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--samples", type=int, default=SAMPLES, help="generated images scored per run")
    parser.add_argument("--workers", type=int, default=2, help="runs in parallel, one CPU thread each")
    parser.add_argument("--recipes", default=",".join(DEFAULT_RECIPES), help=f"comma-separated, or 'all' ({', '.join(RECIPES)})")
    parser.add_argument("--json", type=Path, help="also write every run's result here (rewritten after each run)")
    args = parser.parse_args()
    recipes = list(RECIPES) if args.recipes == "all" else args.recipes.split(",")
    unknown = [r for r in recipes if r not in RECIPES]
    if unknown:
        parser.error(f"unknown recipe {unknown[0]!r}; choose from {', '.join(RECIPES)}")
    bad = [r for r in recipes if args.batch_size % RECIPES[r].get("pack", 1)]
    if bad:
        parser.error(f"--batch-size {args.batch_size} is not divisible by the pack size of {', '.join(bad)}")
    # seeds outermost: a benchmark stopped early has the same seeds done for every recipe
    jobs = [(r, s, args.steps, args.batch_size, args.samples) for s in range(args.seeds) for r in recipes]
    start = time.perf_counter()
    results = []
    with ProcessPoolExecutor(args.workers) as pool:
        for i, result in enumerate(pool.map(train_one, *zip(*jobs)), 1):
            results.append(result)
            if args.json:
                args.json.write_text(json.dumps(results, indent=1))
            print(f"[{i}/{len(jobs)}] {result['recipe']:<10} seed {result['seed']}: {result['modes']}/1000 modes, "
                  f"KL {result['kl']:.3f}, {result['seconds']:.0f} s", flush=True)
    print(f"\ndcgan on stacked-mnist, {args.steps} steps x batch {args.batch_size}, {args.samples} samples scored, "
          f"{args.seeds} seeds, {(time.perf_counter() - start) / 60:.1f} min in all\n")
    print("\n".join(summarize(results, recipes)))


if __name__ == "__main__":
    main()
