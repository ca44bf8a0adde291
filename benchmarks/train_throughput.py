"""Training throughput of gantool's loop against a plain PyTorch loop written like the seeds'.

Both loops train the same architecture with the same batch size and optimizer, in this one
process, on the same data, alternating rounds so drift in machine load hits both. The
reference is the tutorial loop: a DataLoader over float tensors, Sigmoid + BCELoss, and a
`.item()` per step for logging. Prints img/s and the ratio gantool / reference.

    python benchmarks/train_throughput.py [--models dcgan,gan] [--steps 60] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time

import numpy as np
import torch
from torch import nn

from gantool.config import RunConfig
from gantool.plugins import registry
from gantool.run import RunDir
from gantool.specs import DataArrays, ModelArgs
from gantool.train.report import PlainReporter
from gantool.train.trainer import Trainer


def fake_images(n: int = 6000, size: int = 28, channels: int = 1) -> DataArrays:
    """Random uint8 images of the problem's shape; throughput does not depend on the pixels."""
    x = np.random.default_rng(0).integers(0, 256, size=(n, channels, size, size), dtype=np.uint8)
    return DataArrays(x=x, kind="image")


def reference_loop(model: str, data: DataArrays, batch: int, steps: int, warmup: int, device: str = "cpu") -> float:
    """The seed tutorials' loop (also pytorch/examples' DCGAN loop), step for step; img/s after warm-up."""
    torch.manual_seed(0)
    _, channels, size, _ = data.x.shape
    m = registry().get("model", model).build(ModelArgs(latent_dim=100, image_size=size, channels=channels))
    netG, netD = m.generator.to(device), nn.Sequential(m.discriminator, nn.Sigmoid()).to(device)
    criterion = nn.BCELoss()
    optD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    images = torch.from_numpy(data.x).float() / 127.5 - 1.0
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(images), batch_size=batch, shuffle=True, drop_last=True)
    losses_d, losses_g, done, start = [], [], 0, 0.0
    while done < warmup + steps:
        for (real,) in loader:
            if done == warmup:
                _sync(device)
                start = time.perf_counter()
            real = real.to(device)
            b = real.size(0)
            netD.zero_grad()
            out = netD(real)
            err_real = criterion(out, torch.full((b,), 1.0, device=device))
            noise = torch.randn(b, 100, device=device)
            fake = netG(noise)
            out = netD(fake.detach())
            err_fake = criterion(out, torch.full((b,), 0.0, device=device))
            (err_real + err_fake).backward()
            optD.step()
            netG.zero_grad()
            out = netD(fake)
            err_g = criterion(out, torch.full((b,), 1.0, device=device))
            err_g.backward()
            optG.step()
            losses_d.append((err_real + err_fake).item())
            losses_g.append(err_g.item())
            done += 1
            if done == warmup + steps:
                break
    return steps * batch / (time.perf_counter() - start)


def gantool_loop(model: str, data: DataArrays, batch: int, steps: int, warmup: int, device: str = "cpu") -> float:
    """gantool's Trainer on the same problem; img/s from its own log ticks after warm-up."""
    _, channels, size, _ = data.x.shape
    cfg = RunConfig(model=model, data="bench", batch_size=batch, steps=warmup + steps, log_every=warmup,
                    sample_every=0, checkpoint_every=0, device=device, latent_dim=100, image_size=size,
                    channels=channels)
    spec, loss = registry().get("model", model), registry().get("loss", "bce")
    trainer = Trainer(cfg, spec, loss, data, PlainReporter(console=_quiet_console()))
    with tempfile.TemporaryDirectory() as tmp:
        run = RunDir.create(tmp, model, "bench")
        trainer.fit(run, warmup + steps)
        records = [json.loads(line) for line in (run.path / "metrics.jsonl").read_text().splitlines()]
    # every tick after the first covers `warmup` timed steps (steps is a multiple of warmup)
    return statistics.fmean(r["img_per_s"] for r in records if r["step"] > warmup)


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _quiet_console():
    from io import StringIO

    from rich.console import Console

    return Console(file=StringIO())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="dcgan,gan")
    parser.add_argument("--steps", type=int, default=60, help="timed steps per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    data = fake_images()
    rows = []
    for model in args.models.split(","):
        batch = registry().get("model", model).defaults.get("batch_size", 64)
        warmup = max(5, args.steps // 4)
        args.steps = warmup * max(1, round(args.steps / warmup))
        ref, ours = [], []
        for _ in range(args.rounds):
            ref.append(reference_loop(model, data, batch, args.steps, warmup))
            ours.append(gantool_loop(model, data, batch, args.steps, warmup))
        rows.append((model, batch, statistics.median(ref), statistics.median(ours)))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device cpu, {args.rounds} rounds (median)")
    print(f"{'model':<8}{'batch':>6}{'reference img/s':>18}{'gantool img/s':>16}{'ratio':>8}")
    for model, batch, ref, ours in rows:
        print(f"{model:<8}{batch:>6}{ref:>18.0f}{ours:>16.0f}{ours / ref:>7.2f}x")


if __name__ == "__main__":
    main()
