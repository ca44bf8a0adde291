"""Stacked MNIST: the dataset's labels are its modes, and the metric reads them back with lenet."""

from __future__ import annotations

import numpy as np
import pytest

from gantool.core.errors import UserError
from gantool.data.stacked_mnist import load
from gantool.metrics.stacked_mnist import stacked_mnist_coverage, stacked_modes
from gantool.specs import DataRequest


def test_real_stacked_mnist_covers_nearly_all_modes_and_reads_back(mnist_mirror):
    data = load("test", DataRequest(channels=3, split="test"))
    assert data.x.shape == (10_000, 3, 28, 28) and data.num_classes == 1000
    images = data.x[:2000].astype(np.float32) / 127.5 - 1.0
    read = stacked_modes(images)
    assert (read == data.labels[:2000]).mean() > 0.97  # lenet is right on ~99.3 % of each digit
    real = stacked_mnist_coverage(data.x.astype(np.float32) / 127.5 - 1.0)
    assert real.modes_covered > 990 and real.kl_to_uniform < 0.1


def test_collapsed_samples_cover_few_modes(mnist_mirror):
    data = load("test", DataRequest(channels=3, split="test"))
    one_mode = np.repeat(data.x[:1], 500, axis=0).astype(np.float32) / 127.5 - 1.0
    collapsed = stacked_mnist_coverage(one_mode)
    assert collapsed.modes_covered == 1 and collapsed.kl_to_uniform == pytest.approx(np.log(1000))


def test_stacked_mnist_needs_three_channels():
    with pytest.raises(UserError, match="3 channels"):
        load(None, DataRequest(channels=1))
