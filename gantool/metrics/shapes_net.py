"""`shapes-net`: a small classifier of the `shapes` dataset's 24 shape x colour combinations
(label = shape * 6 + colour, gantool/data/shapes.py), trained by scripts/train_shapes_net.py
and shipped in weights/shapes-net.pt, so colour generators can be judged offline.

Inputs are gantool images: [N, 3, H, W] float in [-1, 1], any size (bilinear, antialiased,
to 32 px). `features` are the 64 activations before the last layer, `forward` the logits.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from gantool.core.download import sha256_file

WEIGHTS = Path(__file__).parent / "weights" / "shapes-net.pt"
CLASSES = 24  # 4 shapes x 6 colours
INPUT_SIZE = 32
FEATURE_DIM = 64


class ShapesNet(nn.Module):
    """Three 3x3 convolution + batch norm + max-pool stages (32 -> 4 px), a 64-d layer, 24 logits."""

    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList([nn.Sequential(nn.Conv2d(a, b, 3, padding=1, bias=False), nn.BatchNorm2d(b))
                                    for a, b in ((3, 32), (32, 64), (64, 64))])
        self.fc1 = nn.Linear(64 * 4 * 4, FEATURE_DIM)
        self.fc2 = nn.Linear(FEATURE_DIM, CLASSES)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != INPUT_SIZE or x.shape[-2] != INPUT_SIZE:
            x = F.interpolate(x, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False, antialias=True)
        for conv in self.convs:
            x = F.max_pool2d(F.relu(conv(x)), 2)
        return F.relu(self.fc1(x.flatten(1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.features(x))


def weights_sha256(path: Path = WEIGHTS) -> str:
    return sha256_file(path)


@lru_cache(maxsize=1)
def load(path: Path = WEIGHTS) -> ShapesNet:
    """The shipped classifier, in eval mode with gradients off."""
    model = ShapesNet()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.eval().requires_grad_(False)


def as_images(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    x = torch.as_tensor(np.ascontiguousarray(images, dtype=np.float32))
    if x.dim() != 4 or x.shape[1] != 3:
        raise ValueError(f"shapes images are RGB [N, 3, H, W], got {tuple(x.shape)}")
    return x


@torch.no_grad()
def classify(images: np.ndarray | torch.Tensor, batch_size: int = 1000) -> np.ndarray:
    """The combination (0..23) of each image."""
    model, x = load(), as_images(images)
    return torch.cat([model(x[i : i + batch_size]).argmax(1) for i in range(0, len(x), batch_size)]).numpy()


@torch.no_grad()
def features_and_logits(images: np.ndarray, batch_size: int = 500) -> tuple[np.ndarray, np.ndarray]:
    model, x = load(), as_images(images)
    feats, logits = [], []
    for start in range(0, len(x), batch_size):
        h = model.features(x[start : start + batch_size])
        feats.append(h.numpy())
        logits.append(model.fc2(h).numpy())
    return np.concatenate(feats), np.concatenate(logits)
