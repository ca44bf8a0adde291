"""The EMA generator: a constant decay by default, StyleGAN2-ADA's ramp-up when asked."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from gantool.train.ema import EMA, half_life_images


def _net(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Linear(3, 2)


def _move(live: nn.Module, seed: int) -> None:
    """A stand-in for one optimizer step: new weights, as G's would be."""
    with torch.no_grad():
        for p, q in zip(live.parameters(), _net(seed).parameters()):
            p.copy_(q)


def test_without_rampup_every_update_lerps_by_one_minus_decay():
    live = _net(0)
    ema = EMA(live, 0.9)
    start = [p.clone() for p in ema.model.parameters()]
    _move(live, 1)
    ema.update(live)
    for avg, old, new in zip(ema.model.parameters(), start, live.parameters()):
        assert torch.allclose(avg, 0.9 * old + 0.1 * new)
    assert ema.current_decay() == 0.9


def test_rampup_first_update_copies_the_generator_then_decay_grows_to_the_configured_one():
    live = _net(0)
    ema = EMA(live, 0.998, rampup=0.05, batch_size=32)
    _move(live, 1)
    ema.update(live)  # no images seen yet: a half-life of zero images
    for avg, new in zip(ema.model.parameters(), live.parameters()):
        assert torch.equal(avg, new)
    decays = []
    for _ in range(10_000):
        decays.append(ema.current_decay())
        ema.images += 32
    assert all(a <= b for a, b in zip(decays, decays[1:]))
    assert decays[1] < 0.95  # after one batch: a half-life of 1.6 images
    # the ramp ends when 5% of the images seen reach the configured half-life (11k images)
    end = half_life_images(0.998, 32) / 0.05 / 32
    assert decays[int(end) + 2] == pytest.approx(0.998)
    assert decays[int(end) // 2] < 0.998
    assert half_life_images(0.998, 32) == pytest.approx(32 * math.log(0.5) / math.log(0.998))


def test_rampup_state_round_trip_continues_the_same_averages():
    live = _net(0)
    a = EMA(live, 0.99, rampup=0.05, batch_size=8)
    for seed in range(1, 6):
        _move(live, seed)
        a.update(live)
    b = EMA(live, 0.99, rampup=0.05, batch_size=8)
    b.model.load_state_dict(a.model.state_dict())
    b.load_state_dict(a.state_dict())
    assert b.state_dict() == {"images": 40}
    for seed in range(6, 9):
        _move(live, seed)
        a.update(live)
        b.update(live)
    for p, q in zip(a.model.parameters(), b.model.parameters()):
        assert torch.equal(p, q)
