"""The truncation curve of an exported stylegan2: Frechet distance, precision and recall at
several truncation psi, each against the same reference set (the README's table).

Lower psi pulls every w toward the average w: images get more typical (precision should
rise) and less varied (recall should fall). Uses gantool eval's own pieces (ONNX Runtime
generation, the cached reference features, the metrics) with `Sampler(truncation=psi)`,
so the numbers are the ones `gantool eval` would give at that psi.

    python benchmarks/truncation_curve.py RUN_OR_GENERATOR.onnx [--data mnist:test] [-n 10000] \
        [--psi 0.5,0.7,0.85,1.0] [--features lenet-mnist]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def curve(path: Path, data: str, n: int, psis: list[float], features: str) -> list[dict]:
    from gantool.metrics.evaluate import EvalProgress, EvalSettings, _score, choose_extractor, generated_images
    from gantool.plugins import registry
    from gantool.run import generator_file
    from gantool.runtime import Sampler

    reg = registry()
    settings = EvalSettings(metrics="fid,pr", n=n, features=features)
    rows = []
    for psi in psis:
        start = time.perf_counter()
        sampler = Sampler(generator_file(path), "auto", truncation=psi)
        generated = generated_images(sampler, data, settings, EvalProgress())
        extractor = choose_extractor(reg, features, None, generated[1][0])
        with tempfile.TemporaryDirectory() as out:
            result = _score(reg, extractor, settings, generated, Path(out), EvalProgress(), start)
        rows.append({"psi": psi, **result.values})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("--data", default="mnist:test")
    parser.add_argument("-n", type=int, default=10_000)
    parser.add_argument("--psi", default="0.5,0.7,0.85,1.0")
    parser.add_argument("--features", default="lenet-mnist")
    a = parser.parse_args()
    rows = curve(a.source, a.data, a.n, [float(p) for p in a.psi.split(",")], a.features)
    keys = [k for k in rows[0] if k != "psi"]
    print("| psi | " + " | ".join(keys) + " |")
    print("| --- |" + " --- |" * len(keys))
    for row in rows:
        print(f"| {row['psi']:g} | " + " | ".join(f"{row[k]:.3f}" for k in keys) + " |")


if __name__ == "__main__":
    main()
