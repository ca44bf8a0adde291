"""Measured augmentation (issue 18): does a cgan trained on K MNIST images help a classifier
trained on those K images? And does a ctgan's minority-class rows help a table classifier?

MNIST: K training images drawn by `--seed` are written to an .npz (so the run records exactly
which images it saw), a cgan is trained on them only, exported, and scored with
`gantool eval RUN --data mnist --metrics augment --real-subset K`. Then the guard is shown
refusing the same evaluation of the run when it claims the full train split. Table: a ctgan
trained on `--table` and `gantool eval RUN --metrics augment`.

    GANTOOL_DATA_MIRROR=../shared/data/mnist python benchmarks/augmentation.py --steps 3000
    python benchmarks/augmentation.py --runs runs/cgan/k600 --table-run runs/ctgan/bc   # score existing runs

Prints the two results' rows as markdown (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np


def gantool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gantool", *args], capture_output=True, text=True)


def mnist_subset(k: int, seed: int, out: Path) -> Path:
    from gantool.plugins import registry
    from gantool.specs import DataRequest

    train = registry().open_dataset("mnist", DataRequest(split="train"))
    index = np.sort(np.random.default_rng(seed).permutation(len(train.x))[:k])
    np.savez(out, x=train.x[index], y=train.labels[index])
    return out


def train(model: str, data: str, steps: int, project: Path, name: str, *extra: str) -> Path:
    done = gantool("train", model, "--data", data, "--steps", str(steps), "--project", str(project), "--name", name,
                   *extra)
    if done.returncode:
        sys.exit(done.stderr)
    run = project / model / name
    exported = gantool("export", str(run), "--onnx")
    if exported.returncode:
        sys.exit(exported.stderr)
    return run


def newest_result(run: Path) -> dict:
    return json.loads(sorted((run / "eval").glob("*.json"))[-1].read_text())


def image_rows(result: dict) -> list[str]:
    v, p = result["values"], result["protocol"]["augment"]
    k = p["real_subset"]
    rows = [f"| {k} real only | {v['augment_real']:.4f} +- {v['augment_real_ci95']:.4f} | |"]
    for ratio in p["ratios"]:
        r = f"{ratio:g}"
        rows.append(f"| {k} real + {round(ratio * k)} generated | {v[f'augment_x{r}']:.4f} | "
                    f"{v[f'augment_gain_x{r}']:+.4f} +- {v[f'augment_gain_x{r}_ci95']:.4f} |")
    return rows


def table_rows(result: dict) -> list[str]:
    v, p = result["values"], result["protocol"]["augment"]
    rows = [f"| unaugmented ({p['class_counts']}) | {v['augment_real_balanced']:.4f} | | "
            f"{v['augment_real_minority_recall']:.4f} |"]
    for ratio in p["ratios"]:
        r = f"{ratio:g}"
        rows.append(f"| + {round(ratio * p['deficit'])} generated '{p['minority']}' rows | | "
                    f"{v[f'augment_gain_x{r}']:+.4f} +- {v[f'augment_gain_x{r}_ci95']:.4f} | "
                    f"{v[f'augment_minority_recall_gain_x{r}']:+.4f} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--k", type=int, default=600)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--project", type=Path, default=Path("runs-augmentation"))
    parser.add_argument("--runs", type=Path, help="an existing cgan run trained on K images, instead of training")
    parser.add_argument("--table", default="sklearn:breast-cancer")
    parser.add_argument("--table-run", type=Path, help="an existing table run, instead of training a ctgan")
    parser.add_argument("--table-steps", type=int, default=2000)
    args = parser.parse_args()
    args.project.mkdir(parents=True, exist_ok=True)
    run = args.runs or train("cgan", f"npz:{mnist_subset(args.k, args.seed, args.project / 'mnist-k.npz').resolve()}",
                             args.steps, args.project, f"k{args.k}")
    scored = gantool("eval", str(run), "--data", "mnist", "--metrics", "augment", "--real-subset", str(args.k),
                     "--repeats", str(args.repeats))
    if scored.returncode:
        sys.exit(scored.stderr)
    print(f"\nMNIST, K = {args.k}: accuracy on the 10,000 test images, mean over seeds +- 95 % t-interval\n")
    print("| training set | accuracy | gain |\n| --- | --- | --- |")
    print("\n".join(image_rows(newest_result(run))))
    table_run = args.table_run or train("ctgan", args.table, args.table_steps, args.project, "table")
    scored = gantool("eval", str(table_run), "--metrics", "augment", "--repeats", str(args.repeats))
    if scored.returncode:
        sys.exit(scored.stderr)
    print(f"\n{args.table}: balanced accuracy on the real test rows\n")
    print("| training rows | balanced accuracy | gain | minority recall (gain) |\n| --- | --- | --- | --- |")
    print("\n".join(table_rows(newest_result(table_run))))


if __name__ == "__main__":
    main()
