"""Table metrics on hand-computed cases: KS, total variation, correlations, classifier score."""

from __future__ import annotations

import numpy as np
import pytest

from gantool.core.errors import UserError
from gantool.metrics.table import (
    classifier_accuracy,
    column_distances,
    correlation_difference,
    find_target,
    ks_statistic,
    score_table,
    total_variation,
)

COLUMNS = [{"name": "x", "kind": "continuous"}, {"name": "y", "kind": "continuous"},
           {"name": "label", "kind": "discrete", "categories": ["a", "b"]}]


def test_ks_statistic_by_hand():
    assert ks_statistic(np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 2.0, 3.0, 4.0])) == 0.0
    # CDFs of {1,2,3,4} and {3,4,5,6}: largest gap at 2 (0.5 vs 0) and at 4 (1.0 vs 0.5)
    assert ks_statistic(np.array([1.0, 2.0, 3.0, 4.0]), np.array([3.0, 4.0, 5.0, 6.0])) == 0.5
    assert ks_statistic(np.zeros(5), np.ones(7)) == 1.0


def test_total_variation_by_hand():
    assert total_variation(np.array([0, 0, 1, 1.0]), np.array([0, 1, 1, 1.0]), 2) == pytest.approx(0.25)
    assert total_variation(np.array([0, 0.0]), np.array([1, 1.0]), 3) == 1.0


def _table(rng, n, shuffle_labels=False):
    x = rng.standard_normal((n, 2))
    label = (x[:, 0] + x[:, 1] > 0).astype(np.float64)
    if shuffle_labels:
        label = rng.permutation(label)
    return np.column_stack([x, label]).astype(np.float32)


def test_correlation_difference():
    rng = np.random.default_rng(0)
    real = _table(rng, 2000)
    assert correlation_difference(real, real) == 0.0
    flipped = real.copy()
    flipped[:, 1] = -flipped[:, 1]  # reverses every correlation with y
    assert correlation_difference(real, flipped) > 0.3


def test_classifier_score_separates_good_from_useless_rows():
    rng = np.random.default_rng(1)
    train, test = _table(rng, 1000), _table(rng, 500)
    assert classifier_accuracy(train, test, COLUMNS, 2) > 0.95  # linearly separable
    useless = _table(rng, 1000, shuffle_labels=True)
    assert classifier_accuracy(useless, test, COLUMNS, 2) < 0.7
    values = score_table(train, test, useless, COLUMNS, None)
    assert values["accuracy_ratio"] < 0.75 and values["ks_mean"] < 0.1
    assert set(column_distances(train, useless, COLUMNS)) == {"ks/x", "ks/y", "tv/label"}


def test_target_choice():
    assert find_target(COLUMNS, None) == 2
    with pytest.raises(UserError, match="is continuous"):
        find_target(COLUMNS, "x")
    with pytest.raises(UserError, match="is not a column"):
        find_target(COLUMNS, "z")
    with pytest.raises(UserError, match="no discrete column"):
        find_target(COLUMNS[:2], None)
