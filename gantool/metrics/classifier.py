"""The fixed image classifier of the task metrics (CAS, GAN-test, augmentation).

A task score is only comparable across runs and papers' tables when the classifier and its
training are fixed, so nothing here is an option: `SPEC` is written into every result.

    conv 3x3 stride 2 (C -> 16) + ReLU; conv 3x3 stride 2 (16 -> 32) + ReLU;
    adaptive average pool to 4 x 4; linear 512 -> 64 + ReLU; linear 64 -> classes.
    Adam (lr 1e-3, betas 0.9 / 0.999), batch 64, cross-entropy, inputs in gantool's range
    [-1, 1]; EPOCHS passes over the data but at least MIN_STEPS updates (so the K = 600 real
    images of the augmentation test are not judged by a classifier that took 25 steps, and
    K real and K real + generated images get the same number of updates); weights and batch
    order are drawn from the seed and nothing else.
"""

from __future__ import annotations

import contextlib

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

EPOCHS = 5
MIN_STEPS = 200
BATCH = 64
LR = 1e-3
SPEC = ("cnn conv3x3s2(16)-conv3x3s2(32)-avgpool4-fc64-fc(classes), ReLU; "
        f"Adam lr {LR}, batch {BATCH}, max({EPOCHS} epochs, {MIN_STEPS} steps), cross-entropy")


class TaskClassifier(nn.Module):
    def __init__(self, channels: int, classes: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 16, 3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, stride=2, padding=1)
        self.fc1 = nn.Linear(32 * 4 * 4, 64)
        self.fc2 = nn.Linear(64, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.conv2(F.relu(self.conv1(x))))  # strided, not pooled: 4x fewer CPU-seconds
        x = F.adaptive_avg_pool2d(x, 4).flatten(1)
        return self.fc2(F.relu(self.fc1(x)))


def _as_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 dataset images or float generator images -> float32 [-1, 1] NCHW."""
    if images.dtype == np.uint8:
        return torch.from_numpy(images).float().div_(127.5).sub_(1.0)
    return torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))


@contextlib.contextmanager
def _one_thread():
    """Train on one thread: this network's ops are too small to split, and two threads on a
    busy machine spin-wait for each other (measured: 10x the wall time at 8 px under load)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def train(images: np.ndarray, labels: np.ndarray, classes: int, seed: int) -> TaskClassifier:
    """The classifier of SPEC trained on (images, labels); the same inputs and seed give the
    same weights on the same machine."""
    with _one_thread():
        return _train(images, labels, classes, seed)


def _train(images: np.ndarray, labels: np.ndarray, classes: int, seed: int) -> TaskClassifier:
    generator = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = TaskClassifier(images.shape[1], classes)
    x, y = _as_tensor(images), torch.from_numpy(np.asarray(labels, dtype=np.int64))
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    model.train()
    steps = max(MIN_STEPS, EPOCHS * -(-len(x) // BATCH))
    order = torch.empty(0, dtype=torch.int64)
    for _ in range(steps):
        if len(order) < BATCH:  # a new pass over the data; the last partial batch joins it
            order = torch.cat([order, torch.randperm(len(x), generator=generator)])
        batch, order = order[:BATCH], order[BATCH:]
        loss = F.cross_entropy(model(x[batch]), y[batch])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return model.eval()


@torch.no_grad()
def accuracy(model: TaskClassifier, images: np.ndarray, labels: np.ndarray, batch_size: int = 1000) -> float:
    x = _as_tensor(images)
    predicted = torch.cat([model(x[s : s + batch_size]).argmax(1) for s in range(0, len(x), batch_size)])
    return float((predicted.numpy() == np.asarray(labels)).mean())
