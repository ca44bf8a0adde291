"""Measured data augmentation: does adding generated images to K real ones help a classifier?

For each of `repeats` seeds, the fixed classifier (gantool/metrics/classifier.py) is trained
on the K real images alone and on the K real images plus r * K generated ones for each ratio
r in RATIOS (labels cycling through the classes), and tested on the real test split. The
result gives each accuracy's mean over seeds and, per ratio, the mean paired gain with a
95 % t-interval over the seeds.

The guard: the gain only means something when the generator knew no more real data than the
classifier it helps. The generator's own training images (the dataset and options in its
metadata) are loaded and the evaluation refuses, with one line, a generator that saw any
image of the test split or more than K images. The K real images are the generator's
training images, topped up by seeded draws from the train split when it saw fewer.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from gantool.core import onnx_meta as meta
from gantool.core.errors import UserError
from gantool.metrics import task_eval
from gantool.plugins import Registry
from gantool.specs import DataArrays, DataRequest

RATIOS = (0.5, 1.0, 2.0)
REPEATS = 3
# two-sided 95 % Student t quantiles by degrees of freedom (seeds - 1); 1.96 beyond the table
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228}


def interval95(samples: np.ndarray) -> float:
    """Half-width of the 95 % t-interval of the mean of `samples` (0 for a single one)."""
    if len(samples) < 2:
        return 0.0
    return float(T95.get(len(samples) - 1, 1.96) * samples.std(ddof=1) / np.sqrt(len(samples)))


def generator_training_data(registry: Registry, sampler, shape: tuple[int, ...]) -> tuple[str, dict, DataArrays]:
    """The images the generator was trained on, as its metadata names them."""
    md = sampler.info.metadata
    dataset = md.get(meta.DATASET)
    if not dataset:
        raise UserError(f"{sampler.path} does not say which data it was trained on (metadata {meta.DATASET}); "
                        "augment cannot check that it saw no test images")
    options = json.loads(md.get(meta.DATA_OPTIONS) or "{}")
    data = registry.open_dataset(dataset, DataRequest(image_size=shape[1], channels=shape[0], options=options),
                                 kind="image")
    return dataset, options, data


def check_protocol(dataset: str, seen: DataArrays, test: DataArrays, k: int) -> int:
    """Refuse a generator that saw test images or more than K images; the count it saw."""
    test_images = {img.tobytes() for img in test.x}
    in_test = sum(img.tobytes() in test_images for img in seen.x)
    if in_test:
        raise UserError(f"the generator was trained on {dataset}, which holds {in_test} images of the test split: "
                        "its augmentation gain would be measured on data it saw")
    if len(seen.x) > k:
        raise UserError(f"the generator was trained on {len(seen.x):,} real images ({dataset}), more than the "
                        f"--real-subset {k:,} it would be compared against; train it on those K images only")
    return int(len(seen.x))


def real_subset(seen: DataArrays, train: DataArrays, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The generator's training images, topped up to K by seeded draws from the train split."""
    if seen.labels is None:
        raise UserError("the generator's training data has no labels; augment needs the classes of the K images")
    missing = k - len(seen.x)
    if missing <= 0:
        return seen.x, seen.labels
    known = {img.tobytes() for img in seen.x}
    pool = np.array([i for i in range(len(train.x)) if train.x[i].tobytes() not in known])
    if missing > len(pool):
        raise UserError(f"--real-subset {k} is more than the {len(seen.x) + len(pool)} real training images")
    extra = np.sort(np.random.default_rng(seed).choice(pool, missing, replace=False))
    return np.concatenate([seen.x, train.x[extra]]), np.concatenate([seen.labels, train.labels[extra]])


def _float(images: np.ndarray) -> np.ndarray:
    return images.astype(np.float32) / 127.5 - 1.0 if images.dtype == np.uint8 else images


def augmentation(sampler, registry: Registry, reference: str, shape: tuple[int, ...], k: int, repeats: int,
                 seed: int, batch_size: int, progress) -> tuple[dict[str, float], dict[str, Any]]:
    """The augmentation values and protocol for the conditional image generator `sampler`."""
    from gantool.metrics import classifier

    classes = task_eval.conditional_classes(sampler)
    train, test = task_eval.real_splits(registry, reference, shape)
    with progress.status("loading the generator's training data"):
        dataset, options, seen = generator_training_data(registry, sampler, shape)
    seen_count = check_protocol(dataset, seen, test, k)
    real_x, real_y = real_subset(seen, train, k, seed)
    real_x = _float(real_x)
    accuracies = []
    for repeat in range(repeats):
        run_seed = seed + repeat
        with progress.status(f"seed {run_seed}: generating {round(max(RATIOS) * k)} images"):
            fake, fake_y = task_eval.generated(sampler, round(max(RATIOS) * k), classes, run_seed, batch_size)
        row = []
        for extra in (0, *(round(r * k) for r in RATIOS)):
            with progress.status(f"seed {run_seed}: classifier on {k} real + {extra} generated images"):
                model = classifier.train(np.concatenate([real_x, fake[:extra]]),
                                         np.concatenate([real_y, fake_y[:extra]]), classes, run_seed)
            row.append(classifier.accuracy(model, test.x, test.labels))
        accuracies.append(row)
    table = np.array(accuracies)
    values = {"augment_real": float(table[:, 0].mean()), "augment_real_ci95": interval95(table[:, 0])}
    for j, ratio in enumerate(RATIOS, start=1):
        gain = table[:, j] - table[:, 0]
        values[f"augment_x{ratio:g}"] = float(table[:, j].mean())
        values[f"augment_gain_x{ratio:g}"] = float(gain.mean())
        values[f"augment_gain_x{ratio:g}_ci95"] = interval95(gain)
    protocol = {"classifier": classifier.SPEC, "real_subset": k, "ratios": list(RATIOS),
                "seeds": [seed + r for r in range(repeats)], "augment_test": f"{len(test.x)} real test images",
                "generator_data": {"dataset": dataset, "options": options, "images": seen_count, "in_test_split": 0},
                "accuracies": table.round(5).tolist()}
    return values, protocol
