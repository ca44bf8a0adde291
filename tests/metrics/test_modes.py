"""Mode coverage (PacGAN protocol) on hand-made sample sets, and during training."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from gantool.data.toy2d import grid_modes, load_grid, load_ring, ring_modes
from gantool.metrics.modes import mode_coverage
from gantool.specs import DataRequest
from tests.conftest import train_checkpoint


def test_real_data_covers_every_mode():
    for loader, modes, sigma in ((load_ring, ring_modes(), 0.01), (load_grid, grid_modes(), 0.05)):
        cov = mode_coverage(loader(None, DataRequest()).x[:2500], modes, sigma)
        # a 2-D Gaussian puts 1 - exp(-9/2) = 98.9 % of its mass within 3 sigma
        assert cov.modes_covered == len(modes) and cov.high_quality > 0.98 and cov.reverse_kl < 0.02


def test_collapsed_far_and_partial_samples():
    modes = ring_modes()
    collapsed = mode_coverage(np.repeat(modes[:1], 100, axis=0), modes, 0.01)
    assert (collapsed.modes_covered, collapsed.high_quality) == (1, 1.0)
    assert collapsed.reverse_kl == pytest.approx(math.log(8))  # all mass on one of 8 modes
    far = mode_coverage(np.full((50, 2), 10.0), modes, 0.01)
    assert (far.modes_covered, far.high_quality, far.reverse_kl) == (0, 0.0, math.inf)
    assert far.as_metrics()["reverse_kl"] is None
    # half the samples near modes 0 and 1 (equally), half in the middle of nowhere
    half = np.concatenate([np.repeat(modes[:2], 25, axis=0) + 0.005, np.zeros((50, 2))])
    cov = mode_coverage(half, modes, 0.01)
    assert (cov.modes_covered, cov.high_quality) == (2, 0.5)
    assert cov.reverse_kl == pytest.approx(math.log(4))  # uniform over 2 of 8 modes


def test_training_logs_coverage_and_plots_2500_points(tmp_path):
    run = train_checkpoint(tmp_path, "toy", load_ring(None, DataRequest()), steps=20, sample_every=10,
                           log_every=10, latent_dim=2)
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    coverage = [line for line in lines if "modes_covered" in line]
    assert [c["step"] for c in coverage] == [10, 20]
    assert all(0 <= c["modes_covered"] <= 8 and 0 <= c["high_quality_pct"] <= 100 for c in coverage)
    assert (run / "samples" / "step-0000020.png").is_file()
