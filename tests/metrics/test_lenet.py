"""The shipped lenet-mnist classifier: small, loads safely, and >= 99.0 % on MNIST test."""

from __future__ import annotations

import torch

from gantool.data.mnist import load as load_mnist
from gantool.metrics import lenet
from gantool.specs import DataRequest


def test_shipped_weights_are_small_and_reach_99_percent(mnist_mirror):
    assert lenet.WEIGHTS.stat().st_size <= 2_000_000
    data = load_mnist("test", DataRequest(split="test"))
    images = torch.from_numpy(data.x).float().div(127.5).sub(1.0)
    predicted = lenet.classify(images)
    accuracy = (predicted.numpy() == data.labels).mean()
    assert accuracy >= 0.99, accuracy
    features = lenet.load().features(images[:5])
    assert features.shape == (5, lenet.FEATURE_DIM)
    assert len(lenet.weights_sha256()) == 64


def test_classify_depends_on_the_image():
    blank = -torch.ones(2, 1, 28, 28)
    one = blank.clone()
    one[1, 0, 4:24, 13:15] = 1.0  # a vertical stroke reads as a 1
    assert lenet.classify(one)[1].item() == 1
