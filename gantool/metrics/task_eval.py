"""Task metrics of a conditional image generator: what its samples are worth to a classifier.

- `cas` (classification accuracy score, Ravuri and Vinyals 2019; GAN-train, Shmelkov et al.
  2018): the fixed classifier (gantool/metrics/classifier.py) trained on N generated images
  with the labels they were asked for, tested on the real test split. `cas_real` is the same
  classifier trained on N real training images, the ceiling to read `cas` against.
- `gan_test` (Shmelkov et al. 2018): that real-trained classifier's accuracy on the N
  generated images: do they look like their class to a model of the real data?
- `augment` (gantool/metrics/augment.py): K real images with and without generated ones.

Generated labels cycle through the classes (balanced); the N real images are drawn by the
seed from the train split. Seeds, N and the classifier are in the protocol.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gantool.core import onnx_meta as meta
from gantool.core.errors import UserError
from gantool.plugins import Registry, split_name
from gantool.specs import DataArrays, DataRequest


def conditional_classes(sampler) -> int:
    """The generator's class count; one line when it takes no labels."""
    classes = sampler.info.num_classes
    if not classes or sampler.info.labels_name is None:
        raise UserError(f"{sampler.path} is an unconditional generator (no labels input): cas, gan-test and "
                        "augment need a conditional one (cgan, acgan, ...)")
    return classes


def real_split(registry: Registry, reference: str, split: str, shape: tuple[int, ...]) -> DataArrays:
    """One split of the labelled real dataset `reference` ("mnist", or "mnist:train"/"mnist:test"
    whose split part is replaced), at the generator's image shape."""
    name, arg = split_name(reference)
    text = name if arg in ("train", "test") else reference
    data = registry.open_dataset(text, DataRequest(image_size=shape[1], channels=shape[0], split=split),
                                 kind="image", mismatch="dataset {name!r} is {kind} data; task metrics need images")
    if data.labels is None:
        raise UserError(f"{text} has no class labels; cas, gan-test and augment need a labelled dataset")
    return data


def real_splits(registry: Registry, reference: str, shape: tuple[int, ...]) -> tuple[DataArrays, DataArrays]:
    train, test = (real_split(registry, reference, split, shape) for split in ("train", "test"))
    if len(train.x) == len(test.x) and np.array_equal(train.x, test.x):
        raise UserError(f"{reference} has no separate test split; pass --data with a dataset that has one "
                        "(e.g. --data mnist)")
    return train, test


def generated(sampler, n: int, classes: int, seed: int, batch_size: int,
              progress=None) -> tuple[np.ndarray, np.ndarray]:
    """n images from the generator, labels cycling through the classes, as float NCHW in [-1, 1]."""
    labels = (np.arange(n) % classes).astype(np.int64)
    images = sampler.sample(n, seed=seed, labels=labels, batch_size=batch_size, progress=progress)
    if sampler.info.metadata.get(meta.OUTPUT_LAYOUT) == "NHWC":  # --uint8 exports
        images = images.transpose(0, 3, 1, 2)
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 127.5 - 1.0, labels
    return np.asarray(images, np.float32), labels


def cas_gan_test(sampler, chosen: list[str], train: DataArrays, test: DataArrays, n: int, seed: int,
                 batch_size: int, progress) -> tuple[dict[str, float], dict[str, Any]]:
    """cas, cas_real and gan_test as chosen; their protocol."""
    from gantool.metrics import classifier

    classes = conditional_classes(sampler)
    if n > len(train.x):
        raise UserError(f"-n {n} is more than the {len(train.x)} real training images cas compares against")
    with progress.sampling(n, batch_size) as advance:
        fake, labels = generated(sampler, n, classes, seed, batch_size, advance)
    index = np.sort(np.random.default_rng(seed).permutation(len(train.x))[:n])
    values: dict[str, float] = {}
    with progress.status(f"training the classifier on {n} real images"):
        real_model = classifier.train(train.x[index], train.labels[index], classes, seed)
    if "cas" in chosen:
        with progress.status(f"training the classifier on {n} generated images"):
            fake_model = classifier.train(fake, labels, classes, seed)
        values["cas"] = classifier.accuracy(fake_model, test.x, test.labels)
    values["cas_real"] = classifier.accuracy(real_model, test.x, test.labels)
    if "gan-test" in chosen:
        values["gan_test"] = classifier.accuracy(real_model, fake, labels)
    protocol = {"classifier": classifier.SPEC, "classifier_seed": seed, "task_n": n,
                "task_labels": f"generated: cycling 0..{classes - 1}; real: {n} drawn by the seed from the train split",
                "task_test": f"{len(test.x)} real test images"}
    return values, protocol


def task_values(registry: Registry, sampler, data: str | None, settings, chosen: list[str],
                progress) -> tuple[dict[str, float], dict[str, Any]]:
    """The chosen task metrics of a conditional image generator and their protocol."""
    from gantool.metrics.evaluate import generator_facts

    shape, reference, source = generator_facts(sampler, data)
    values: dict[str, float] = {}
    protocol: dict[str, Any] = {"reference": reference, "n": settings.n, "seed": settings.seed,
                                "image_shape": list(shape), **source}
    if "cas" in chosen or "gan-test" in chosen:
        train, test = real_splits(registry, reference, shape)
        more, about = cas_gan_test(sampler, chosen, train, test, settings.n, settings.seed, settings.batch_size,
                                   progress)
        values.update(more)
        protocol.update(about)
    if "augment" in chosen:
        from gantool.metrics.augment import augmentation

        more, about = augmentation(sampler, registry, reference, shape, settings.real_subset, settings.repeats,
                                   settings.seed, settings.batch_size, progress)
        values.update(more)
        protocol["augment"] = about
    return values, protocol
