"""`lenet-mnist`: a small MNIST classifier trained by this project (scripts/train_lenet.py)
and shipped in the package, so MNIST-like data can be scored without downloading anything.

Inputs are gantool images: [N, 1, 28, 28] float in [-1, 1]. `features` are the 128
activations before the last layer (for Frechet distance), `logits` the 10 class scores
(for class accuracy of conditional samples and a classifier score).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from gantool.core.download import sha256_file

WEIGHTS = Path(__file__).parent / "weights" / "lenet-mnist.pt"
FEATURE_DIM = 128


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 5, padding=2)  # 28 -> 28, pooled to 14
        self.conv2 = nn.Conv2d(32, 64, 5)  # 14 -> 10, pooled to 5
        self.fc1 = nn.Linear(64 * 5 * 5, FEATURE_DIM)
        self.fc2 = nn.Linear(FEATURE_DIM, 10)
        self.dropout = nn.Dropout(0.3)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return F.relu(self.fc1(x.flatten(1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.dropout(self.features(x)))


def weights_sha256(path: Path = WEIGHTS) -> str:
    return sha256_file(path)


@lru_cache(maxsize=1)
def load(path: Path = WEIGHTS) -> LeNet:
    """The shipped classifier, in eval mode with gradients off."""
    model = LeNet()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.eval().requires_grad_(False)


@torch.no_grad()
def classify(images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """Predicted digit for each image ([N, 1, 28, 28] in [-1, 1])."""
    model = load()
    return torch.cat([model(images[i : i + batch_size].float()).argmax(1) for i in range(0, len(images), batch_size)])
