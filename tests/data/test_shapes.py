"""The procedural `shapes` dataset: deterministic, balanced, the label says what is drawn,
and it opens through the registry like any dataset (refusing grey images and bad options)."""

from __future__ import annotations

import numpy as np
import pytest

from gantool.core.errors import UserError
from gantool.data.shapes import CLASSES, COLOURS, class_name, draw, generate
from gantool.plugins import registry
from gantool.specs import DataRequest


def open_shapes(name: str = "shapes", size: int = 16, channels: int = 3, **options):
    return registry().open_dataset(name, DataRequest(image_size=size, channels=channels, options=options),
                                   kind="image")


def test_same_seed_same_images_and_the_splits_differ():
    a, b = open_shapes(count=48), open_shapes(count=48)
    assert a.x.shape == (48, 3, 16, 16) and a.x.dtype == np.uint8
    assert np.array_equal(a.x, b.x) and np.array_equal(a.labels, b.labels)
    test = open_shapes("shapes:test", count=48)
    assert not np.array_equal(a.x, test.x)
    assert a.num_classes == CLASSES == 24


def test_classes_are_balanced_and_named():
    _, labels = generate(240, 8, seed=3)
    assert np.bincount(labels, minlength=CLASSES).tolist() == [10] * CLASSES
    assert class_name(0) == "red circle" and class_name(CLASSES - 1) == "cyan cross"


@pytest.mark.parametrize("label", range(0, CLASSES, 5))
def test_the_label_is_what_is_drawn(label):
    """The shape's colour dominates the pixels that are not background, and its area
    tells the circle (about pi r^2) from the cross (about 0.52 * (2r)^2) at the same size."""
    image = draw(label, 32, np.random.default_rng(label)).astype(int)
    background = image[:, 0, 0]
    lit = np.abs(image - background[:, None, None]).sum(axis=0) > 60
    assert lit.sum() > 20
    colour = np.array(list(COLOURS.values())[label % len(COLOURS)])
    mean = image[:, lit].mean(axis=1)
    assert np.abs(mean - colour).max() < 40, (class_name(label), mean)


def test_sizes_and_refusals():
    assert open_shapes(size=64, count=4).x.shape == (4, 3, 64, 64)
    with pytest.raises(UserError, match="shapes images are RGB; set channels = 3"):
        open_shapes(channels=1, count=4)
    with pytest.raises(UserError, match="splits 'train' and 'test'"):
        open_shapes("shapes:val", count=4)
    with pytest.raises(UserError, match="data.count must be a whole number"):
        open_shapes(count=0)
    with pytest.raises(UserError, match="colour"):  # an unknown option is refused with a did-you-mean
        open_shapes(colour=3)
