"""How right are the demo's translations? The demo pair has a ground truth the model never
sees: recolouring is a known function, so A -> B of an MNIST *test* digit (in neither
training domain) can be compared with the exact recolouring of that digit, and B -> A with
the digit itself.

    python plugins/gantool-cyclegan/benchmarks/demo_error.py RUN_DIR [-n 1000]

Needs `gantool export RUN_DIR` first (generator-a2b.onnx, generator-b2a.onnx). Prints the
mean absolute error in pixel levels (0-255) of each direction and of each cycle, beside the
error of leaving the input untranslated, which sets the scale.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def main() -> None:
    from gantool.data import mnist
    from gantool.data.images import fit_array
    from gantool.specs import DataRequest
    from gantool_cyclegan.data import recolor
    from gantool_cyclegan.runner import Translator

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path)
    parser.add_argument("-n", type=int, default=1000, help="MNIST test digits to translate")
    args = parser.parse_args()
    a2b, b2a = (Translator(args.run / f"generator-{d}.onnx", "cpu") for d in ("a2b", "b2a"))
    size = a2b.size
    digits = mnist.load("test", DataRequest(image_size=size, channels=1)).x[: args.n]
    domain_a, domain_b = fit_array(digits, size, 3), recolor(digits)  # as the training data was made

    def run(translator, images):  # uint8 NCHW -> uint8 NHWC, in batches
        x = images.astype(np.float32) / 127.5 - 1.0
        return np.concatenate([translator(x[i : i + 100]) for i in range(0, len(x), 100)])

    def nchw(images_hwc):
        return images_hwc.transpose(0, 3, 1, 2)

    def mae(x, y):
        return float(np.abs(x.astype(np.float64) - y.astype(np.float64)).mean())

    fake_b, fake_a = run(a2b, domain_a), run(b2a, domain_b)
    rows = [
        ("A -> B vs the exact recolouring", mae(nchw(fake_b), domain_b), mae(domain_a, domain_b)),
        ("B -> A vs the original digit", mae(nchw(fake_a), domain_a), mae(domain_b, domain_a)),
        ("A -> B -> A vs A (cycle)", mae(nchw(run(b2a, nchw(fake_b))), domain_a), mae(domain_a, domain_a)),
        ("B -> A -> B vs B (cycle)", mae(nchw(run(a2b, nchw(fake_a))), domain_b), mae(domain_b, domain_b)),
    ]
    print(f"{args.n} MNIST test digits, {size} px, mean absolute error in levels of 255")
    print("| translation | error | untranslated input |")
    print("| --- | --- | --- |")
    for name, err, base in rows:
        print(f"| {name} | {err:.2f} | {base:.2f} |")


if __name__ == "__main__":
    main()
