"""Is a CTGAN table useful? For each scikit-learn dataset and seed: train ctgan with its
defaults on the train split (80 %), export, and run `gantool eval` (2,000 synthetic rows):
a logistic-regression classifier trained on synthetic rows and tested on the real test
split, against the same classifier trained on the real train split. Prints the table for
the README (mean and spread over seeds).

    python benchmarks/ml_efficacy.py [--datasets breast-cancer,wine] [--seeds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path


def gantool(*args: str, cwd: Path) -> None:
    # one thread: these networks are small, and threads only add synchronisation
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run([sys.executable, "-m", "gantool", *args], cwd=cwd, check=True, env=env, stdout=subprocess.DEVNULL)


def one(dataset: str, seed: int, work: Path) -> dict:
    name = f"{dataset}-{seed}"
    gantool("train", "ctgan", "--data", f"sklearn:{dataset}", "--seed", str(seed), "--name", name, "--project",
            str(work), cwd=work)
    run = work / "ctgan" / name
    gantool("export", str(run), cwd=work)
    gantool("eval", str(run), "-n", "2000", "--seed", str(seed), cwd=work)
    return json.loads(next((run / "eval").glob("*.json")).read_text())["values"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", default="breast-cancer,wine")
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    keys = ("accuracy_real", "accuracy_synthetic", "accuracy_ratio", "ks_mean", "tv_mean", "correlation_diff")
    print("| dataset | real-trained accuracy | synthetic-trained accuracy | ratio | KS mean | TV (target) | corr. diff |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        for dataset in args.datasets.split(","):
            runs = [one(dataset, seed, Path(tmp)) for seed in range(args.seeds)]
            cells = []
            for key in keys:
                values = [r[key] for r in runs]
                spread = statistics.pstdev(values) if len(values) > 1 else 0.0
                cells.append(f"{statistics.fmean(values):.3f} ± {spread:.3f}")
            print(f"| {dataset} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
