"""gantool's loop against the canonical pytorch/examples DCGAN loop, in one run.

The canonical setting: DCGAN at 64 px, 3 channels, batch 128, ngf = ndf = 64, Adam 2e-4 /
(0.5, 0.999), BCELoss on a Sigmoid D, a DataLoader, `.item()` logging each step. gantool
trains the same architecture and optimizer with its own loop (device-resident uint8 data,
logits loss, one host sync per log tick, and on CUDA its fast path). Alternating rounds;
median img/s of each and the ratio.

    python benchmarks/vs_reference.py [--device cpu|cuda] [--steps 20] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics

import torch
from train_throughput import fake_images, gantool_loop, reference_loop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--steps", type=int, default=20, help="timed steps per round (a multiple of the warm-up)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args()
    data = fake_images(n=max(2048, 4 * args.batch), size=64, channels=3)
    warmup = max(2, args.steps // 4)
    steps = warmup * max(1, round(args.steps / warmup))
    ref, ours = [], []
    for _ in range(args.rounds):
        ref.append(reference_loop("dcgan", data, args.batch, steps, warmup, args.device))
        ours.append(gantool_loop("dcgan", data, args.batch, steps, warmup, args.device))
    name = torch.cuda.get_device_name() if args.device.startswith("cuda") else f"cpu ({torch.get_num_threads()} threads)"
    print(f"DCGAN 64 px, batch {args.batch}, {steps} timed steps x {args.rounds} rounds on {name}, torch {torch.__version__}")
    print(f"{'loop':<22}{'img/s':>10}")
    print(f"{'pytorch/examples':<22}{statistics.median(ref):>10.1f}")
    print(f"{'gantool':<22}{statistics.median(ours):>10.1f}")
    print(f"gantool / reference: {statistics.median(o / r for o, r in zip(ours, ref)):.2f}x")


if __name__ == "__main__":
    main()
