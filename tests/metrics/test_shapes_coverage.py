"""The shapes coverage metric and the shipped shapes-net classifier."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gantool.core.errors import UserError
from gantool.data import shapes
from gantool.metrics.shapes_coverage import CLASSES, COVERED_SHARE, ShapesFeatures, coverage_of, shapes_coverage


def test_label_scheme_matches_the_dataset():
    assert CLASSES == shapes.CLASSES == len(shapes.SHAPES) * len(shapes.COLOURS)


def test_coverage_counts_combinations_with_a_tenth_of_their_share():
    balanced = coverage_of(np.arange(2400) % CLASSES)
    assert balanced.covered == CLASSES and balanced.kl_to_uniform == pytest.approx(0.0, abs=1e-12)
    one = coverage_of(np.zeros(500, dtype=np.int64))
    assert one.covered == 1 and one.kl_to_uniform == pytest.approx(math.log(CLASSES))
    # 2,400 images: a combination needs 10 (a tenth of 100); 9 stray reads do not count
    labels = np.concatenate([np.full(2391, 3), np.full(9, 7)])
    assert coverage_of(labels).covered == 1 and coverage_of(labels).counts[7] == 9
    assert COVERED_SHARE * 2400 / CLASSES == 10


def test_shipped_classifier_reads_the_test_split_and_covers_it_all():
    x, labels = shapes.generate(240, 32, seed=shapes.SEEDS["test"])
    images = x.astype(np.float32) / 127.5 - 1.0
    from gantool.metrics.shapes_net import classify

    assert (classify(images) == labels).mean() >= 0.98
    result = shapes_coverage(images)
    assert result.covered == CLASSES and result.kl_to_uniform < 0.05
    features = ShapesFeatures()(images[:10])
    assert features.features.shape == (10, 64) and features.logits.shape == (10, CLASSES)
    assert features.features.dtype == np.float32


def test_other_sizes_are_resized_and_grey_is_refused():
    x, labels = shapes.generate(48, 64, seed=shapes.SEEDS["test"])
    from gantool.metrics.shapes_net import classify

    assert (classify(x.astype(np.float32) / 127.5 - 1.0) == labels).mean() >= 0.95
    with pytest.raises(ValueError, match="RGB"):
        classify(np.zeros((2, 1, 32, 32), np.float32))


def test_the_extractor_is_registered_and_eval_has_the_metric():
    from gantool.metrics.evaluate import compute, parse_metrics
    from gantool.plugins import registry

    assert registry().get("feature extractor", "shapes-net").factory(None).input_size == 32
    x, _ = shapes.generate(48, 32, seed=shapes.SEEDS["test"])
    images = x.astype(np.float32) / 127.5 - 1.0
    values = compute(parse_metrics("shapes"), None, None, images)
    assert values["shapes_covered"] == shapes_coverage(images).covered >= 1
    with pytest.raises(UserError, match="RGB generations"):
        compute(["shapes"], None, None, images[:, :1])
