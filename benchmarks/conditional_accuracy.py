"""Do conditional generators draw the class they are asked for? cgan and acgan on MNIST.

Trains each model with its defaults (or `--epochs`/`--steps`/`--set` on top), or scores
existing runs given with `--runs`; exports the generator to ONNX, samples `--per-class`
images of every digit with ONNX Runtime, and classifies them with the shipped lenet-mnist
(99.3 % on MNIST test). Prints the accuracy per model and per digit against chance (10 %),
and with `--json` writes the rows (and the training's CPU time) to a file.
Results and their story: docs/benchmarks.md, "Conditional generators draw the asked class".

    GANTOOL_DATA_MIRROR=../shared/data/mnist python benchmarks/conditional_accuracy.py
    python benchmarks/conditional_accuracy.py --runs runs/cgan/exp,runs/acgan/exp
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from gantool.export.generator import load
from gantool.export.onnx_export import export
from gantool.metrics import lenet
from gantool.runtime import Sampler


def train(model: str, project: Path, extra: list[str]) -> tuple[Path, dict]:
    """Train with the model's defaults plus `extra` flags; wall and child CPU seconds."""
    cmd = [sys.executable, "-m", "gantool", "train", model, "--project", str(project), "--name", "bench", *extra]
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return project / model / "bench", {"wall_s": round(time.perf_counter() - start, 1), "cpu_s": round(cpu, 1)}


def score(run: Path, per_class: int, workdir: Path) -> dict:
    gen = load(run)
    path = export(gen, workdir / f"{run.parent.name}-{run.name}.onnx").path
    sampler = Sampler(path, provider="cpu")
    labels = np.repeat(np.arange(sampler.info.num_classes), per_class)
    images = sampler.sample(len(labels), seed=0, labels=labels, batch_size=500)
    predicted = lenet.classify(torch.from_numpy(images)).numpy()
    per_digit = [float((predicted[labels == k] == k).mean()) for k in range(sampler.info.num_classes)]
    return {"model": gen.cfg.model, "run": str(run), "step": gen.step, "weights": gen.weights,
            "accuracy": float((predicted == labels).mean()), "per_digit": per_digit}


def train_flags(args: argparse.Namespace) -> list[str]:
    flags = ["--epochs", str(args.epochs)] if args.epochs else []
    flags += ["--steps", str(args.steps)] if args.steps else []
    for pair in args.set or []:
        flags += ["--set", pair]
    return flags


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="cgan,acgan")
    parser.add_argument("--epochs", type=int, default=0, help="override the model's default epochs")
    parser.add_argument("--steps", type=int, default=0, help="override the model's default length in steps")
    parser.add_argument("--set", action="append", metavar="KEY=VALUE", help="passed on to gantool train")
    parser.add_argument("--runs", help="comma-separated run directories to score instead of training")
    parser.add_argument("--per-class", type=int, default=100)
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.runs:
            runs = [(Path(r), {}) for r in args.runs.split(",")]
        else:
            runs = [train(m, Path(tmp) / "runs", train_flags(args)) for m in args.models.split(",")]
        for run, timing in runs:
            rows.append({**score(run, args.per_class, Path(tmp)), **timing})
    print(f"\n{args.per_class} samples per class, classified by lenet-mnist; chance is 10 %\n")
    print("| model | step | class accuracy | worst digit | per digit 0-9 |")
    print("| --- | --- | --- | --- | --- |")
    for row in rows:
        per_digit = row["per_digit"]
        worst = int(np.argmin(per_digit))
        digits = " ".join(f"{v:.0%}" for v in per_digit)
        print(f"| {row['model']} | {row['step']} | {row['accuracy']:.1%} | {worst}: {per_digit[worst]:.0%} | {digits} |")
    if args.json:
        args.json.write_text(json.dumps({"per_class": args.per_class, "train_flags": train_flags(args), "rows": rows},
                                        indent=1) + "\n")


if __name__ == "__main__":
    main()
