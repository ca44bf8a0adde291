"""Train the `shapes-net` classifier shipped in gantool/metrics/weights/shapes-net.pt.

    python scripts/train_shapes_net.py [--epochs 2]

The `shapes` dataset's train split at 32 px (24,000 images, 24 shape x colour classes),
Adam 2e-3 halved after each epoch, seed 0. Generated images are never as clean as the drawn
ones, so each training image gets Gaussian pixel noise (std up to 0.15) and a brightness
scale of 0.85 to 1.15. Prints the test accuracy on the test split (must reach 99.0 %) and
the weights' sha256; the weights are written atomically, so a failed run leaves the
shipped file alone.
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

from gantool.core.fsutil import atomic_write
from gantool.data.shapes import load as load_shapes
from gantool.metrics.shapes_net import WEIGHTS, ShapesNet, weights_sha256
from gantool.specs import DataRequest


def as_tensors(split: str) -> tuple[torch.Tensor, torch.Tensor]:
    data = load_shapes(split, DataRequest(image_size=32, channels=3, split=split))
    return torch.from_numpy(data.x).float().div(127.5).sub(1.0), torch.from_numpy(data.labels)


def roughen(x: torch.Tensor) -> torch.Tensor:
    """Pixel noise and a brightness change, as a generator's imperfect images would have."""
    n = x.shape[0]
    scale = torch.empty(n, 1, 1, 1).uniform_(0.85, 1.15)
    noise = torch.randn_like(x) * torch.empty(n, 1, 1, 1).uniform_(0.0, 0.15)
    return ((x + 1) * scale - 1 + noise).clamp(-1, 1)


@torch.no_grad()
def accuracy(model: ShapesNet, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    correct = sum((model(x[i : i + 1000]).argmax(1) == y[i : i + 1000]).sum().item() for i in range(0, len(x), 1000))
    return correct / len(x)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()
    torch.manual_seed(0)
    x, y = as_tensors("train")
    test_x, test_y = as_tensors("test")
    model = ShapesNet()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    schedule = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    for epoch in range(args.epochs):
        model.train()
        start = time.perf_counter()
        for idx in torch.randperm(len(x)).split(args.batch_size):
            loss = F.cross_entropy(model(roughen(x[idx])), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        schedule.step()
        print(f"epoch {epoch + 1}: test accuracy {accuracy(model, test_x, test_y):.4f} "
              f"({time.perf_counter() - start:.0f} s)", flush=True)
    final = accuracy(model, test_x, test_y)
    if final < 0.99:
        raise SystemExit(f"test accuracy {final:.4f} is under 0.99; weights not written")
    WEIGHTS.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(WEIGHTS, lambda fh: torch.save(model.state_dict(), fh), mode="wb")
    print(f"wrote {WEIGHTS} ({WEIGHTS.stat().st_size / 1e3:.0f} kB, sha256 {weights_sha256()}), test accuracy {final:.4f}")


if __name__ == "__main__":
    main()
