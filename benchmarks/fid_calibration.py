"""What LeNet Frechet distances on MNIST mean: a floor, a ceiling, and trained models.

Every row is scored by `gantool eval` (lenet-mnist features, N images, seed 0) against
MNIST test:

- floor: MNIST train vs MNIST test (two samples of the same distribution);
- ceiling: uniform noise images vs MNIST test;
- `gan` and `dcgan` trained with their defaults, scored after 1, 5 and 20 epochs (one run
  each, checkpointed every epoch, exported with `gantool export`).

    GANTOOL_DATA_MIRROR=../shared/data/mnist python benchmarks/fid_calibration.py [--n 10000]
        [--epochs 1,5,20] [--models gan,dcgan] [--keep DIR]

Training 20 epochs of both models takes about an hour on a 2-core CPU.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

METRICS = "fid,kid,pr"
STEPS_PER_EPOCH = {"gan": 60000 // 64, "dcgan": 60000 // 32}  # the models' default batch sizes


def gantool(*args: str, cwd: Path) -> None:
    subprocess.run([sys.executable, "-m", "gantool", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def newest_result(folder: Path) -> dict:
    path = max(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
    return json.loads(path.read_text())["values"]


def compare(real: str, fake: str, n: int, cwd: Path) -> dict:
    gantool("eval", "--real", real, "--fake", fake, "-n", str(n), "--metrics", METRICS, "--features", "lenet-mnist",
            cwd=cwd)
    return newest_result(cwd / "eval")


def score_generator(onnx: Path, n: int, cwd: Path) -> dict:
    gantool("eval", str(onnx), "--data", "mnist:test", "-n", str(n), "--metrics", METRICS, "--features", "lenet-mnist",
            "--provider", "cpu", cwd=cwd)
    return newest_result(onnx.parent / "eval")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--epochs", default="1,5,20")
    parser.add_argument("--models", default="gan,dcgan")
    parser.add_argument("--keep", type=Path, help="train and keep the runs here (default: a temporary folder)")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    epochs = sorted(int(e) for e in args.epochs.split(","))
    work = args.keep or Path(tempfile.mkdtemp(prefix="gantool-calibration-"))
    work.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, dict, float]] = []

    def record(label: str, values: dict, seconds: float) -> None:
        rows.append((label, values, seconds))
        print(f"{label}: FD {values['fid']:.2f}  ({seconds:.0f} s)", flush=True)
        if args.json:
            args.json.write_text(json.dumps([{"row": r, "values": v, "seconds": s} for r, v, s in rows], indent=1))

    start = time.perf_counter()
    record("MNIST train vs MNIST test (floor)", compare("mnist:train", "mnist:test", args.n, work),
           time.perf_counter() - start)
    noise = np.random.default_rng(0).integers(0, 256, size=(args.n, 1, 28, 28), dtype=np.uint8)
    np.savez(work / "noise.npz", x=noise)
    start = time.perf_counter()
    record("uniform noise vs MNIST test (ceiling)", compare("mnist:test", f"npz:{work / 'noise.npz'}", args.n, work),
           time.perf_counter() - start)
    for model in args.models.split(","):
        every = STEPS_PER_EPOCH[model]
        start = time.perf_counter()
        gantool("train", model, "--epochs", str(epochs[-1]), "--checkpoint-every", str(every), "--sample-every",
                str(every * epochs[-1]), "--project", str(work / "runs"), "--name", "calibration", cwd=work)
        trained = time.perf_counter() - start
        run = work / "runs" / model / "calibration"
        for epoch in epochs:
            onnx = work / f"{model}-epoch{epoch}" / "generator.onnx"
            onnx.parent.mkdir(exist_ok=True)
            gantool("export", str(run / "checkpoints" / f"step-{every * epoch:07d}.pt"), "-o", str(onnx), "--force", cwd=work)
            record(f"{model} after {epoch} epoch{'s' if epoch > 1 else ''}", score_generator(onnx, args.n, work),
                   trained * epoch / epochs[-1])
    print(f"\nlenet-mnist features, N = {args.n}, against MNIST test; runs in {work}\n")
    print("| comparison | Frechet distance | KID x 1000 | precision | recall |")
    print("| --- | --- | --- | --- | --- |")
    for label, v, _ in rows:
        print(f"| {label} | {v['fid']:.2f} | {1000 * v['kid']:.2f} | {v['precision']:.3f} | {v['recall']:.3f} |")


if __name__ == "__main__":
    main()
