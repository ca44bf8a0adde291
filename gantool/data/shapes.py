"""`shapes`: a procedural RGB dataset of coloured geometric shapes, drawn from a seed, so that
colour models can be trained and judged without downloading anything.

Each image is one shape (circle, square, triangle or cross) in one of six colours, of a
random size and position, on one of three dark backgrounds. The label is the shape x
colour combination, `shape * len(COLOURS) + colour` (24 classes): which combinations a
generator produces is the dataset's mode coverage, in the spirit of Stacked MNIST. Size,
position and background vary freely within each class.

Invariants: the same split, count and image size always give the same arrays (a seeded
numpy generator; shapes are drawn 4x larger with Pillow and box-filtered down, which is
deterministic); the train and test splits use different seeds; classes are balanced
(the combination of image i is i mod 24 before shuffling).
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from gantool.core.errors import UserError
from gantool.core.typed_options import read_int
from gantool.specs import DataArrays, DataRequest

SHAPES = ("circle", "square", "triangle", "cross")
COLOURS = {"red": (230, 40, 40), "green": (40, 200, 60), "blue": (50, 90, 240), "yellow": (240, 220, 40),
           "magenta": (220, 50, 220), "cyan": (40, 210, 220)}
BACKGROUNDS = ((0, 0, 0), (40, 40, 48), (20, 24, 70))
CLASSES = len(SHAPES) * len(COLOURS)
COUNT = {"train": 24_000, "test": 4_800}
SEEDS = {"train": 0, "test": 1}
SUPERSAMPLE = 4  # drawn this much larger, then averaged down: smooth edges at any size


def class_name(label: int) -> str:
    """'red circle' for a label."""
    shape, colour = divmod(int(label), len(COLOURS))
    return f"{list(COLOURS)[colour]} {SHAPES[shape]}"


def outline(shape: str, cx: float, cy: float, r: float) -> list[tuple[float, float]] | None:
    """The polygon of a shape of half-size r about (cx, cy); None for the circle (an ellipse)."""
    if shape == "square":
        k = r * 0.85
        return [(cx - k, cy - k), (cx + k, cy - k), (cx + k, cy + k), (cx - k, cy + k)]
    if shape == "triangle":
        return [(cx, cy - r), (cx + r * 0.95, cy + r * 0.75), (cx - r * 0.95, cy + r * 0.75)]
    if shape == "cross":
        a, b = r, r * 0.36
        return [(cx - b, cy - a), (cx + b, cy - a), (cx + b, cy - b), (cx + a, cy - b), (cx + a, cy + b),
                (cx + b, cy + b), (cx + b, cy + a), (cx - b, cy + a), (cx - b, cy + b), (cx - a, cy + b),
                (cx - a, cy - b), (cx - b, cy - b)]
    return None


def draw(label: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """One uint8 [3, size, size] image of class `label`; position, size and background from `rng`."""
    shape, colour = divmod(int(label), len(COLOURS))
    big = size * SUPERSAMPLE
    r = rng.uniform(0.18, 0.34) * big
    cx, cy = rng.uniform(r, big - r, 2)
    background = BACKGROUNDS[rng.integers(len(BACKGROUNDS))]
    picture = Image.new("RGB", (big, big), background)
    pen = ImageDraw.Draw(picture)
    fill = list(COLOURS.values())[colour]
    polygon = outline(SHAPES[shape], cx, cy, r)
    if polygon is None:
        pen.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)
    else:
        pen.polygon(polygon, fill=fill)
    small = np.asarray(picture, dtype=np.float32).reshape(size, SUPERSAMPLE, size, SUPERSAMPLE, 3).mean(axis=(1, 3))
    return np.rint(small).astype(np.uint8).transpose(2, 0, 1)


def generate(count: int, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` images and labels: balanced classes, shuffled, every factor from `seed`."""
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(count) % CLASSES).astype(np.int64)
    x = np.stack([draw(label, size, rng) for label in labels])
    return x, labels


def load(arg: str | None, request: DataRequest) -> DataArrays:
    split = arg or request.split
    if split not in SEEDS:
        raise UserError(f"shapes has splits 'train' and 'test', not {split!r}")
    if request.channels != 3:
        raise UserError(f"shapes images are RGB; set channels = 3 (got {request.channels})")
    if request.image_size < 8:
        raise UserError(f"shapes needs an image_size of at least 8, not {request.image_size}")
    count = read_int(request.options, "count", COUNT[split], scope="data", minimum=1)
    x, labels = generate(count, request.image_size, SEEDS[split])
    return DataArrays(x=x, kind="image", labels=labels, num_classes=CLASSES,
                      description=f"shapes {split} ({count} images, {len(SHAPES)} shapes x {len(COLOURS)} colours)")
