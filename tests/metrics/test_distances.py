"""Frechet distance, KID, IS, precision/recall and density/coverage on cases with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from gantool.metrics.frechet import GaussianStats, frechet_distance
from gantool.metrics.inception_score import inception_score
from gantool.metrics.kid import kernel_inception_distance
from gantool.metrics.prdc import density_coverage, precision_recall


def stats(mu, sigma) -> GaussianStats:
    return GaussianStats(np.asarray(mu, np.float64), np.asarray(sigma, np.float64), 1000)


def test_identity_covariances_with_means_0_and_1_in_2048_dims_give_2048():
    d = 2048
    assert frechet_distance(stats(np.zeros(d), np.eye(d)), stats(np.ones(d), np.eye(d))) == pytest.approx(2048, rel=1e-9)


@pytest.mark.parametrize("c", [0.25, 1.0, 4.0, 9.0])
def test_scaled_covariance_closed_form(c):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((64, 64))
    sigma = a @ a.T / 64 + 0.1 * np.eye(64)  # a random SPD matrix
    mu1, mu2 = rng.standard_normal(64), rng.standard_normal(64)
    expected = np.sum((mu1 - mu2) ** 2) + (1 - np.sqrt(c)) ** 2 * np.trace(sigma)
    assert frechet_distance(stats(mu1, sigma), stats(mu2, c * sigma)) == pytest.approx(expected, rel=1e-8)


def test_identical_statistics_give_zero_and_rank_deficient_covariances_stay_real():
    rng = np.random.default_rng(1)
    features = rng.standard_normal((50, 128))  # fewer samples than dimensions: singular covariance
    s = GaussianStats.of(features)
    assert abs(frechet_distance(s, s)) < 1e-6 * np.trace(s.sigma)  # rounding only
    other = GaussianStats.of(rng.standard_normal((50, 128)) + 0.5)
    value = frechet_distance(s, other)
    assert isinstance(value, float) and value > 0


def test_kid_is_near_zero_for_one_distribution_and_positive_for_two():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((600, 32)), rng.standard_normal((600, 32))
    same, _ = kernel_inception_distance(a, b, subsets=20)
    shifted, _ = kernel_inception_distance(a, b + 0.5, subsets=20)
    assert shifted > 0.05 and abs(same) < shifted / 10
    small_mean, _ = kernel_inception_distance(a[:40], b[:40] + 0.5, subsets=5)  # N < 1000: subsets of N
    assert small_mean > 0


def test_kid_matches_a_direct_computation_on_one_full_subset():
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((30, 8)), rng.standard_normal((30, 8)) + 0.3
    k = lambda a, b: (a @ b.T / 8 + 1) ** 3  # noqa: E731
    m = 30
    direct = ((k(x, x).sum() - np.trace(k(x, x))) / (m * (m - 1)) + (k(y, y).sum() - np.trace(k(y, y))) / (m * (m - 1))
              - 2 * k(x, y).mean())
    mean, std = kernel_inception_distance(x, y, subsets=3)  # every subset would be the whole set
    assert mean == pytest.approx(direct, rel=1e-10) and std is None  # so there is no spread to report


def test_inception_score_sanity_cases():
    assert inception_score(np.zeros((100, 1008)))[0] == pytest.approx(1.0)  # uniform predictions
    confident = np.full((1000, 10), -50.0)
    confident[np.arange(1000), np.arange(1000) % 10] = 50.0  # sure and balanced: IS = classes
    assert inception_score(confident)[0] == pytest.approx(10.0, rel=1e-6)
    collapsed = np.full((1000, 10), -50.0)
    collapsed[:, 3] = 50.0  # sure but always the same class
    assert inception_score(collapsed)[0] == pytest.approx(1.0, rel=1e-6)


def test_inception_score_splits_are_the_references_floor_bounds():
    logits = np.random.default_rng(6).standard_normal((25, 10)) * 3  # 25 is not a multiple of 10
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    scores = []
    for i in range(10):  # samples [i*N//10, (i+1)*N//10): 2, 3, 2, 3, ... (array_split: 3, 3, 3, 3, 3, 2, ...)
        chunk = p[i * 25 // 10 : (i + 1) * 25 // 10]
        scores.append(np.exp((chunk * (np.log(chunk) - np.log(chunk.mean(0, keepdims=True)))).sum(1).mean()))
    mean, std = inception_score(logits)
    assert mean == pytest.approx(np.mean(scores), rel=1e-12) and std == pytest.approx(np.std(scores), rel=1e-12)


def test_a_copy_of_the_real_set_has_density_one_and_full_coverage():
    # each real point's k-th neighbour lies exactly on its ball's edge: Naeem et al. count it outside
    real = np.random.default_rng(7).standard_normal((200, 8))
    density, coverage = density_coverage(real, real.copy())
    assert density == pytest.approx(1.0) and coverage == 1.0


def test_precision_recall_density_coverage_on_known_supports():
    rng = np.random.default_rng(4)
    real = rng.standard_normal((500, 2))
    same = rng.standard_normal((500, 2))
    p, r = precision_recall(real, same)
    assert p > 0.9 and r > 0.9
    d, c = density_coverage(real, same)
    assert 0.8 < d < 1.2 and c > 0.9
    half = real[real[:, 0] > 0] + rng.normal(0, 0.01, (int((real[:, 0] > 0).sum()), 2))  # fakes on half the support
    p, r = precision_recall(real, half)
    assert p > 0.95 and 0.35 < r < 0.65
    far = real + 100.0
    assert precision_recall(real, far) == (0.0, 0.0)
    assert density_coverage(real, far) == (0.0, 0.0)


def test_chunked_neighbourhoods_match_the_whole_matrix(monkeypatch):
    from gantool.metrics import prdc

    rng = np.random.default_rng(5)
    real, fake = rng.standard_normal((300, 4)), rng.standard_normal((250, 4)) * 1.3
    whole = precision_recall(real, fake), density_coverage(real, fake)
    monkeypatch.setattr(prdc, "CHUNK", 7)
    assert (precision_recall(real, fake), density_coverage(real, fake)) == whole
