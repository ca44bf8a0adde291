"""Device-resident batching: every sample once per epoch, images scaled, state round trip."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gantool.core.errors import UserError
from gantool.specs import DataArrays
from gantool.train.batches import Batches


def data(n=10):
    x = np.arange(n, dtype=np.uint8).reshape(n, 1, 1, 1) * 25
    return DataArrays(x=x, kind="image", labels=np.arange(n))


def test_an_epoch_sees_each_sample_once_and_drops_the_tail():
    b = Batches(data(10), batch_size=3, seed=0, device=torch.device("cpu"))
    assert b.steps_per_epoch == 3
    seen = torch.cat([b.next()[1] for _ in range(3)])
    assert len(set(seen.tolist())) == 9
    x, labels = b.next()  # a new permutation starts
    assert x.dtype == torch.float32
    torch.testing.assert_close(x.flatten(), (labels * 25).float() / 127.5 - 1.0)


def test_state_round_trip_continues_the_same_sequence():
    a = Batches(data(), 4, seed=1, device=torch.device("cpu"))
    a.next()
    state = a.state_dict()
    expected = [a.next()[1].tolist() for _ in range(5)]
    b = Batches(data(), 4, seed=99, device=torch.device("cpu"))
    b.load_state_dict(state)
    assert [b.next()[1].tolist() for _ in range(5)] == expected


def test_batch_larger_than_dataset():
    with pytest.raises(UserError, match="fewer than --batch-size 11"):
        Batches(data(10), 11, seed=0, device=torch.device("cpu"))
