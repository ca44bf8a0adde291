"""Train the `lenet-mnist` classifier shipped in gantool/metrics/weights/lenet-mnist.pt.

    GANTOOL_DATA_MIRROR=../shared/data/mnist python scripts/train_lenet.py [--epochs 4]

MNIST train split, Adam 1e-3 halved every epoch, random shifts of up to 2 pixels, seed 0;
prints the test accuracy (must reach 99.0 %) and the weights' sha256. The weights are
written atomically, so a failed run leaves the shipped file alone.
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

from gantool.core.fsutil import atomic_write
from gantool.data.mnist import load as load_mnist
from gantool.metrics.lenet import WEIGHTS, LeNet, weights_sha256
from gantool.specs import DataRequest


def as_tensors(split: str) -> tuple[torch.Tensor, torch.Tensor]:
    data = load_mnist(split, DataRequest(split=split))
    return torch.from_numpy(data.x).float().div(127.5).sub(1.0), torch.from_numpy(data.labels)


def shift(x: torch.Tensor, max_shift: int = 2) -> torch.Tensor:
    """Each image moved by up to `max_shift` pixels in x and y, zero (-1) filled."""
    padded = F.pad(x, [max_shift] * 4, value=-1.0)
    n, size = x.shape[0], x.shape[-1]
    dx, dy = torch.randint(0, 2 * max_shift + 1, (2, n))
    rows = (dy[:, None] + torch.arange(size))[:, :, None].expand(n, size, size)
    cols = (dx[:, None] + torch.arange(size))[:, None, :].expand(n, size, size)
    return padded[torch.arange(n)[:, None, None], 0, rows, cols].unsqueeze(1)


@torch.no_grad()
def accuracy(model: LeNet, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    correct = sum((model(x[i : i + 1000]).argmax(1) == y[i : i + 1000]).sum().item() for i in range(0, len(x), 1000))
    return correct / len(x)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()
    torch.manual_seed(0)
    x, y = as_tensors("train")
    test_x, test_y = as_tensors("test")
    model = LeNet()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    schedule = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    for epoch in range(args.epochs):
        model.train()
        start = time.perf_counter()
        for idx in torch.randperm(len(x)).split(args.batch_size):
            loss = F.cross_entropy(model(shift(x[idx])), y[idx])
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
    print(f"wrote {WEIGHTS} ({WEIGHTS.stat().st_size / 1e6:.2f} MB, sha256 {weights_sha256()}), test accuracy {final:.4f}")


if __name__ == "__main__":
    main()
