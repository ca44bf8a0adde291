"""The image data pipeline at scale (issue 19): decode once, open the cache, train from it.

Generates a folder of JPEGs of varied sizes around 128 px in two classes, then measures, in
one run:

1. gantool's first decode (worker pool into the cache) against one epoch of torchvision's
   ImageFolder + DataLoader (num_workers = the CPU count, batch 256) doing the same resize
   (shorter side, Lanczos) and centre crop. torchvision is run by `--reference-python`, the
   interpreter of a separate venv (it pins its own torch); without one, a Dataset doing the
   same PIL work in this interpreter stands in, and the table says so;
2. the second start: `folder:` opening the cache (listing check included), which the issue
   wants under a second for 20,000 images;
3. dcgan-64 training img/s streaming batches from the cache file (data.memory_gb below the
   set's size) against the same images held in memory (a ratio of at least 0.9 is the goal).

Prints a table and writes the raw numbers, with the machine's load, as JSON. Wall-clock and
CPU seconds are both recorded: on a shared machine the wall clock is inflated by others.
Never a timed assertion.

    python benchmarks/data_pipeline.py [--count 20000] [--size 64] [--workers N] [--train-steps 40]
        [--reference-python /tmp/tvenv/bin/python] [--json benchmarks/results/data_pipeline.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
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


REFERENCE = """
import json, resource, sys, time
import torch
root, size, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
try:
    from torchvision import datasets, transforms
    from torchvision.transforms import InterpolationMode
    tf = transforms.Compose([transforms.Resize(size, interpolation=InterpolationMode.LANCZOS),
                             transforms.CenterCrop(size), transforms.PILToTensor()])
    dataset = datasets.ImageFolder(root, transform=tf)
    name = "torchvision ImageFolder " + __import__("torchvision").__version__
except ImportError:
    sys.path.insert(0, sys.argv[4])
    from data_pipeline import PilFolder
    dataset, name = PilFolder(root, size), "PIL Dataset (no torchvision)"
def cpu():
    return sum(getattr(resource.getrusage(w), f) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
               for f in ("ru_utime", "ru_stime"))
loader = torch.utils.data.DataLoader(dataset, batch_size=256, num_workers=workers)
cpu0, start = cpu(), time.perf_counter()
count = sum(len(batch[0]) for batch in loader)
print(json.dumps({"name": name, "wall_s": time.perf_counter() - start, "cpu_s": cpu() - cpu0, "images": count,
                  "torch": torch.__version__}))
"""


def reference_epoch(root: Path, size: int, workers: int, python: str) -> dict:
    """One epoch of ImageFolder + DataLoader with the same resize/crop, in `python`."""
    import subprocess

    out = subprocess.run([python, "-c", REFERENCE, str(root), str(size), str(workers), str(Path(__file__).parent)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.splitlines()[-1])


class PilFolder:
    """What ImageFolder's default loader and a Resize + CenterCrop do, without torchvision."""

    def __init__(self, root: str, size: int) -> None:
        self.files, self.size = sorted(Path(root).rglob("*.jpg")), size

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int):
        import torch

        with Image.open(self.files[i]) as img:
            img = img.convert("RGB")
            w, h = img.size
            s = self.size / min(w, h)
            img = img.resize((max(self.size, round(w * s)), max(self.size, round(h * s))), Image.Resampling.LANCZOS)
            left, top = (img.width - self.size) // 2, (img.height - self.size) // 2
            img = img.crop((left, top, left + self.size, top + self.size))
        return torch.from_numpy(np.asarray(img).transpose(2, 0, 1).copy()), i % 2


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the decoding pool)."""
    import resource

    return sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
               for f in ("ru_utime", "ru_stime"))


def train_img_per_s(x: np.ndarray, steps: int, options: dict) -> dict:
    """dcgan img/s on `x` (after a warm-up of a quarter of the steps), and where it batched from."""
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
                    checkpoint_every=0, image_size=size, channels=channels, data_options=options)
    reg = registry()
    trainer = Trainer(cfg, reg.get("model", "dcgan"), reg.get("loss", "bce"), DataArrays(x=x, kind="image"),
                      PlainReporter(Console(file=StringIO())))
    cpu0 = cpu_seconds()
    with tempfile.TemporaryDirectory() as tmp:
        run = RunDir.create(tmp, "dcgan", "bench")
        trainer.fit(run, total)
        records = [json.loads(line) for line in (run.path / "metrics.jsonl").read_text().splitlines()]
    rate = statistics.fmean(r["img_per_s"] for r in records if r.get("step", 0) > warmup and "img_per_s" in r)
    return {"img_per_s": rate, "where": trainer.batches.where, "steps": total, "cpu_s": cpu_seconds() - cpu0}


def machine_load() -> dict:
    """What else the machine is doing: load averages and the busiest processes."""
    import subprocess

    top = subprocess.run(["ps", "-eo", "pcpu,comm", "--sort=-pcpu"], capture_output=True, text=True).stdout
    return {"loadavg": os.getloadavg(), "busiest": top.splitlines()[1:8]}


def measure(args: argparse.Namespace, tmp: Path) -> dict:
    os.environ["GANTOOL_HOME"] = str(tmp / "home")  # a cold cache, removed afterwards
    from gantool.data import decode_cache, folder
    from gantool.specs import DataRequest

    root = tmp / "images"
    make_folder(root, args.count, args.workers)
    result: dict = {"count": args.count, "size": args.size, "workers": args.workers, "load_before": machine_load()}
    cpu0, start = cpu_seconds(), time.perf_counter()
    decode_cache.load(folder.folder_source(root), args.size, 3, workers=args.workers, progress=False)
    result["decode"] = {"wall_s": time.perf_counter() - start, "cpu_s": cpu_seconds() - cpu0}
    result["reference"] = reference_epoch(root, args.size, args.workers, args.reference_python)
    cpu0, start = cpu_seconds(), time.perf_counter()
    data = folder.load(str(root), DataRequest(image_size=args.size, channels=3, progress=False))
    result["second_start"] = {"wall_s": time.perf_counter() - start, "cpu_s": cpu_seconds() - cpu0}
    if args.train_steps:
        tiny = {"memory_gb": data.x.nbytes / 4 / 2**30}  # a quarter of the set: it streams
        result["train_stream"] = train_img_per_s(data.x, args.train_steps, tiny)
        result["train_memory"] = train_img_per_s(np.array(data.x), args.train_steps, {})
    result["load_after"] = machine_load()
    return result


def table(r: dict) -> list[str]:
    ref, dec, hit = r["reference"], r["decode"], r["second_start"]
    rows = [(f"first decode: gantool vs {ref['name']} (s)", dec["wall_s"], ref["wall_s"], ref["wall_s"] / dec["wall_s"]),
            ("  the same in CPU seconds (all processes)", dec["cpu_s"], ref["cpu_s"], ref["cpu_s"] / dec["cpu_s"]),
            ("second start, cache hit (s; reference: the 1 s bound)", hit["wall_s"], 1.0, 1.0 / hit["wall_s"])]
    if "train_stream" in r:
        s, m = r["train_stream"], r["train_memory"]
        rows.append((f"dcgan-64 img/s: {s['where']} vs {m['where']} (in memory)", s["img_per_s"], m["img_per_s"],
                     s["img_per_s"] / m["img_per_s"]))
    lines = [f"{r['count']} JPEGs around 128 px -> {r['size']} px RGB, {r['workers']} workers; "
             f"load average before {r['load_before']['loadavg'][0]:.1f}, after {r['load_after']['loadavg'][0]:.1f}",
             f"{'measure':<62}{'gantool':>10}{'reference':>11}{'ratio':>8}"]
    lines += [f"{name:<62}{a:>10.2f}{b:>11.2f}{ratio:>7.2f}x" for name, a, b, ratio in rows]
    lines.append("goal: ratio >= 1 on the decode and the second start, >= 0.9 on training")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--train-steps", type=int, default=40, help="0 skips the training comparison")
    parser.add_argument("--reference-python", default=os.environ.get("TORCHVISION_PYTHON", sys.executable),
                        help="an interpreter with torchvision (a separate venv), for the reference epoch")
    parser.add_argument("--json", type=Path, default=None, help="write the raw numbers here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = measure(args, Path(tmp))
    print("\n".join(table(result)))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
