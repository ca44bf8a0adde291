"""Do conditional generators draw the class they are asked for? cgan and acgan on MNIST.

Trains each model with its defaults for `--epochs` (or scores existing runs given with
`--runs`), exports the generator to ONNX, samples `--per-class` images of every digit with
ONNX Runtime, and classifies them with the shipped lenet-mnist (99.3 % on MNIST test).
Prints the accuracy per model against chance (10 %).

    GANTOOL_DATA_MIRROR=../shared/data/mnist python benchmarks/conditional_accuracy.py [--epochs 1]
    python benchmarks/conditional_accuracy.py --runs runs/cgan/exp,runs/acgan/exp
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from gantool.export.generator import load
from gantool.export.onnx_export import export
from gantool.metrics import lenet
from gantool.runtime import Sampler


def train(model: str, epochs: int, project: Path) -> Path:
    cmd = [sys.executable, "-m", "gantool", "train", model, "--epochs", str(epochs), "--project", str(project),
           "--name", "bench"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return project / model / "bench"


def score(run: Path, per_class: int, workdir: Path) -> tuple[str, float, list[float]]:
    gen = load(run)
    path = export(gen, workdir / f"{run.parent.name}-{run.name}.onnx").path
    sampler = Sampler(path, provider="cpu")
    labels = np.repeat(np.arange(sampler.info.num_classes), per_class)
    images = sampler.sample(len(labels), seed=0, labels=labels, batch_size=500)
    predicted = lenet.classify(torch.from_numpy(images)).numpy()
    per_digit = [float((predicted[labels == k] == k).mean()) for k in range(sampler.info.num_classes)]
    return gen.cfg.model, float((predicted == labels).mean()), per_digit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="cgan,acgan")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--runs", help="comma-separated run directories to score instead of training")
    parser.add_argument("--per-class", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        runs = ([Path(r) for r in args.runs.split(",")] if args.runs
                else [train(m, args.epochs, Path(tmp) / "runs") for m in args.models.split(",")])
        rows = [(run, *score(run, args.per_class, Path(tmp))) for run in runs]
    print(f"\n{args.per_class} samples per class, classified by lenet-mnist; chance is 10 %\n")
    print("| model | run | class accuracy | worst digit |")
    print("| --- | --- | --- | --- |")
    for run, model, acc, per_digit in rows:
        worst = int(np.argmin(per_digit))
        print(f"| {model} | {run.name} | {acc:.1%} | {worst}: {per_digit[worst]:.0%} |")


if __name__ == "__main__":
    main()
