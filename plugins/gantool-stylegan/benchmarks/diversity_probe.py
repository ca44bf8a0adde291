"""How varied a generator stays while it trains: the tool that settled stylegan2's mode
collapse on MNIST (the plugin's README, "Mode collapse").

Trains MODEL in this process with gantool's own parts (`gantool.train.build`, the same
update the loop runs, no run folder) and every `--every` steps draws `-n` images from the
raw generator (and the EMA one, if kept) and prints: the LeNet-MNIST class histogram of
those images, how many classes hold at least 5% of them, and the spread across z (the
per-pixel standard deviation over the batch, averaged; MNIST's own is printed first).

    nice -n 10 python benchmarks/diversity_probe.py stylegan2 --steps 600 --every 100 \
        --set model.channel_max=32 --set lr=0.001

`--set KEY=VALUE` takes run-config keys (lr, batch_size, r1_gamma, ...) and model.KEY
options, as `gantool train --set` does. CPU seconds are printed beside wall seconds: on a
shared machine the CPU time (divided by the threads) is the comparable number.
"""

from __future__ import annotations

import argparse
import ast
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F


def spread(images: torch.Tensor) -> float:
    return images.float().std(dim=0).mean().item()


def histogram(images: torch.Tensor) -> list[int]:
    from gantool.metrics.lenet import classify

    x = images.float().clamp(-1, 1)
    if x.shape[1] == 3:
        x = x.mean(dim=1, keepdim=True)
    if x.shape[-1] != 28:
        x = F.interpolate(x, size=(28, 28), mode="area" if x.shape[-1] > 28 else "bilinear", align_corners=None)
    return torch.bincount(classify(x), minlength=10).tolist()


def describe(name: str, images: torch.Tensor) -> str:
    counts = histogram(images)
    modes = sum(c >= 0.05 * len(images) for c in counts)
    return f"{name}: spread {spread(images):.3f}  classes>=5% {modes:2d}  hist {counts}"


@torch.no_grad()
def draw(g: torch.nn.Module, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
    was = g.training
    g.eval()
    try:
        return g(z, labels) if labels is not None else g(z)
    finally:
        g.train(was)


def parse_sets(pairs: list[str]) -> dict:
    out = {}
    for pair in pairs:
        key, _, text = pair.partition("=")
        try:
            out[key] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            out[key] = text
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--every", type=int, default=100)
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--set", action="append", default=[], dest="sets")
    parser.add_argument("--grid", type=Path, help="a PNG of 64 samples (raw, and EMA beside it), rewritten at every report")
    parser.add_argument("--save", type=Path, help="at the end, a folder with checkpoints/last.pt, the full "
                        "training state (gantool export FOLDER/checkpoints/last.pt reads it)")
    a = parser.parse_args()
    torch.set_num_threads(a.threads)

    from gantool.config import resolve
    from gantool.plugins import registry
    from gantool.train.build import build
    from gantool.train.session import load_data

    reg = registry()
    spec = reg.get("model", a.model)
    cfg = resolve(a.model, spec.defaults, lambda name: reg.get("loss", name).defaults, None, {}, parse_sets(a.sets))
    data = load_data(reg, cfg)
    parts = build(cfg, spec, reg.get("loss", cfg.loss), data)
    real = torch.from_numpy(data.x[: a.n]).float().div(127.5).sub(1)
    print(f"{a.model} {' '.join(a.sets)}: {describe('real', real)}", flush=True)
    gen = torch.Generator().manual_seed(1234)
    z = torch.randn(a.n, cfg.latent_dim, generator=gen)
    labels = torch.arange(a.n) % data.num_classes if spec.conditional else None
    parts.G.train()
    parts.D.train()
    wall, cpu = time.perf_counter(), time.process_time()
    for step in range(a.steps + 1):
        if step % a.every == 0:
            line = describe("raw", draw(parts.G, z, labels))
            if parts.ema is not None:
                line += "  |  " + describe("ema", draw(parts.ema.model, z, labels))
            print(f"step {step:5d} ({time.perf_counter() - wall:6.0f} s wall, {time.process_time() - cpu:6.0f} s cpu) "
                  f"{line}", flush=True)
            if a.grid:  # rewritten at every report: a run stopped early leaves its latest grid
                save_grids(parts, z[:64], None if labels is None else labels[:64], a.grid)
        if step < a.steps:
            x, y = parts.batches.next()
            parts.update(step, x, y)
    if a.save:
        save_checkpoint(parts, a.steps, a.save)


def save_grids(parts, z: torch.Tensor, labels: torch.Tensor | None, path: Path) -> None:
    from gantool.core.imaging import grid, save_png, to_uint8, upscale_for

    nets = [parts.G] + ([parts.ema.model] if parts.ema is not None else [])
    pictures = [grid(to_uint8(draw(g, z, labels).clamp(-1, 1).numpy()), columns=8) for g in nets]
    gap = np.zeros((pictures[0].shape[0], 8, pictures[0].shape[2]), np.uint8)
    picture = np.concatenate([pictures[0]] + [x for p in pictures[1:] for x in (gap, p)], axis=1)
    save_png(picture, path, upscale=upscale_for(picture))


def save_checkpoint(parts, step: int, path: Path) -> None:
    from gantool.run import checkpoint
    from gantool.train.state import Progress, rng_snapshot, state_dict

    progress = Progress(step=step, fixed_z=torch.randn(64, parts.cfg.latent_dim), rng=rng_snapshot(parts.device))
    (path / "checkpoints").mkdir(parents=True, exist_ok=True)
    checkpoint.save(state_dict(parts, progress), path / "checkpoints", step, keep_step_file=False)


if __name__ == "__main__":
    main()
