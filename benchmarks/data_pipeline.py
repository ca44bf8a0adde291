"""The image data pipeline at scale (issue 19): decode once, open the cache, train from it.

Generates a folder of JPEGs of varied sizes around 128 px in two classes, then measures, in
one process and one run:

1. gantool's first decode (worker pool into the cache) against one epoch of torchvision's
   ImageFolder + DataLoader (num_workers = the CPU count) doing the same resize and centre
   crop; without torchvision, a Dataset that does the same PIL work stands in (and says so);
2. the second start: `folder:` opening the cache (listing check included), which the issue
   wants under a second for 20,000 images;
3. dcgan training img/s with the images as the cache's memory map against the same images
   fully in memory (a ratio of at least 0.9 is the goal).

Prints a table. Never a timed assertion.

    python benchmarks/data_pipeline.py [--count 20000] [--size 64] [--workers N] [--train-steps 40]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image


def _write_some(job: tuple[str, int, int]) -> None:
    root, start, stop = job
    rng = np.random.default_rng(start)
    for i in range(start, stop):
        h, w = rng.integers(96, 161, size=2)
        base = rng.integers(0, 256, size=(h // 8 + 1, w // 8 + 1, 3), dtype=np.uint8)
        pixels = np.kron(base, np.ones((8, 8, 1), dtype=np.uint8))[:h, :w]  # blocky, so JPEG does real work
        Image.fromarray(pixels).save(Path(root) / f"c{i % 2}" / f"{i:06d}.jpg", quality=90)


def make_folder(root: Path, count: int, workers: int) -> None:
    for c in ("c0", "c1"):
        (root / c).mkdir(parents=True, exist_ok=True)
    step = 500
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_write_some, [(str(root), lo, min(lo + step, count)) for lo in range(0, count, step)]))


def reference_epoch(root: Path, size: int, workers: int) -> tuple[float, str]:
    """Seconds for one epoch of ImageFolder + DataLoader with the same resize/crop."""
    import torch

    try:
        from torchvision import datasets, transforms

        tf = transforms.Compose([transforms.Resize(size), transforms.CenterCrop(size), transforms.PILToTensor()])
        dataset, name = datasets.ImageFolder(str(root), transform=tf), "torchvision ImageFolder"
    except ImportError:
        dataset, name = _PilFolder(root, size), "PIL Dataset (no torchvision)"
    loader = torch.utils.data.DataLoader(dataset, batch_size=256, num_workers=workers)
    start = time.perf_counter()
    for _ in loader:
        pass
    return time.perf_counter() - start, name


class _PilFolder:
    """What ImageFolder's default loader and a Resize + CenterCrop do, without torchvision."""

    def __init__(self, root: Path, size: int) -> None:
        self.files, self.size = sorted(root.rglob("*.jpg")), size

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int):
        import torch

        with Image.open(self.files[i]) as img:
            img = img.convert("RGB")
            w, h = img.size
            s = self.size / min(w, h)
            img = img.resize((max(self.size, round(w * s)), max(self.size, round(h * s))), Image.Resampling.BILINEAR)
            left, top = (img.width - self.size) // 2, (img.height - self.size) // 2
            img = img.crop((left, top, left + self.size, top + self.size))
        return torch.from_numpy(np.asarray(img).transpose(2, 0, 1).copy()), i % 2


def train_img_per_s(x: np.ndarray, steps: int) -> float:
    """dcgan img/s on `x` (after a warm-up of a quarter of the steps)."""
    from io import StringIO

    from rich.console import Console

    from gantool.config import RunConfig
    from gantool.plugins import registry
    from gantool.run import RunDir
    from gantool.specs import DataArrays
    from gantool.train.report import PlainReporter
    from gantool.train.trainer import Trainer

    warmup = max(2, steps // 4)
    total = warmup * max(2, round(steps / warmup))
    _, channels, size, _ = x.shape
    cfg = RunConfig(model="dcgan", data="bench", batch_size=64, steps=total, log_every=warmup, sample_every=0,
                    checkpoint_every=0, image_size=size, channels=channels)
    reg = registry()
    trainer = Trainer(cfg, reg.get("model", "dcgan"), reg.get("loss", "bce"), DataArrays(x=x, kind="image"),
                      PlainReporter(Console(file=StringIO())))
    with tempfile.TemporaryDirectory() as tmp:
        run = RunDir.create(tmp, "dcgan", "bench")
        trainer.fit(run, total)
        records = [json.loads(line) for line in (run.path / "metrics.jsonl").read_text().splitlines()]
    return statistics.fmean(r["img_per_s"] for r in records if r.get("step", 0) > warmup and "img_per_s" in r)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--train-steps", type=int, default=40, help="0 skips the training comparison")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GANTOOL_HOME"] = str(Path(tmp) / "home")  # a cold cache, removed afterwards
        from gantool.data import decode_cache, folder
        from gantool.specs import DataRequest

        root = Path(tmp) / "images"
        make_folder(root, args.count, args.workers)
        start = time.perf_counter()
        decode_cache.load(folder.folder_source(root), args.size, 3, workers=args.workers, progress=False)
        ours = time.perf_counter() - start
        ref, ref_name = reference_epoch(root, args.size, args.workers)
        start = time.perf_counter()
        data = folder.load(str(root), DataRequest(image_size=args.size, channels=3, progress=False))
        reopen = time.perf_counter() - start
        rows = [(f"first decode: gantool vs {ref_name} (s)", ours, ref, ref / ours),
                ("second start, cache hit (s)", reopen, 1.0, 1.0 / reopen)]
        if args.train_steps:
            mapped = train_img_per_s(data.x, args.train_steps)
            in_memory = train_img_per_s(np.array(data.x), args.train_steps)
            rows.append(("dcgan img/s: memory map vs in memory", mapped, in_memory, mapped / in_memory))
    print(f"{args.count} JPEGs around 128 px -> {args.size} px RGB, {args.workers} workers")
    print(f"{'measure':<62}{'gantool':>10}{'reference':>11}{'ratio':>8}")
    for name, a, b, ratio in rows:
        print(f"{name:<62}{a:>10.2f}{b:>11.2f}{ratio:>7.2f}x")
    print("ratio >= 1 is the goal on the first two rows (reference: the 1 s bound on the second), >= 0.9 on the third")


if __name__ == "__main__":
    main()
