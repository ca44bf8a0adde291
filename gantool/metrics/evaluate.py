"""Score a generator (or one image set against another) the way papers do, and say how.

Generated images come from ONNX Runtime; real images from any dataset plugin. Features of
the real set are cached under a key of the whole protocol (dataset, split, N, seed, image
shape, extractor and its weights), so a second evaluation against the same reference
costs only the generated side. Every result carries that protocol.

`evaluate_generator` and `evaluate_folders` are the whole of `gantool eval`: settings in,
an `EvalResult` (already written to `eval/<time>.json`) out. They print nothing; what a
long evaluation is doing goes to an `EvalProgress`, silent unless the caller passes its own.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ContextManager

import numpy as np

from gantool.core.cache import cache_dir
from gantool.core.errors import UserError
from gantool.core.fsutil import atomic_write
from gantool.metrics.features import Features
from gantool.metrics.kid import SUBSET_SIZE as KID_SUBSET_SIZE
from gantool.plugins import Registry, split_name
from gantool.specs import DataRequest

METRICS = ("fid", "kid", "is", "pr", "dc", "stacked", "shapes")  # scores of two image sets' features
TASK_METRICS = ("cas", "gan-test", "augment")  # a classifier trained on a conditional generator's images
IMAGE_METRICS = METRICS + TASK_METRICS
CONDITIONAL_DEFAULTS = ("cas", "gan-test")  # added to the image defaults for a conditional generator


@dataclass
class EvalResult:
    """Metric values and the protocol that produced them; `kind` (image | table) and `path`
    (where the result was written, once it is) are for the caller, not the file."""

    values: dict[str, float]
    protocol: dict[str, Any]
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    kind: str = "image"
    path: Path | None = None
    write_error: str = ""  # why the result could not be written (the values are still good to print)

    def to_json(self) -> dict[str, Any]:
        return {"values": self.values, "protocol": self.protocol, "seconds": round(self.seconds, 2)}


@dataclass
class EvalSettings:
    """What to compute and how, checked when made: before anything is loaded or generated."""

    metrics: str = ""  # empty: the data kind's default metrics (DataKindSpec.metrics; images: fid,kid,is,pr)
    n: int = 10000  # generated images, and reference images drawn from the dataset
    seed: int = 0  # of the latents and of the reference subset
    batch_size: int = 250
    features: str = "auto"  # auto: lenet-mnist for 1-channel images, else inception
    resize: str | None = None  # inception preprocessing (tf or pytorch-fid)
    provider: str = "auto"  # ONNX Runtime provider for generation
    target: str | None = None  # tables: the discrete column the classifier score predicts
    real_subset: int | None = None  # augment: the K real images the generated ones are added to
    repeats: int = 3  # augment: seeds the classifiers are trained with
    chosen: list[str] = field(init=False)  # the metric names; checked against the data kind's once it is known

    def __post_init__(self) -> None:
        self.chosen = metric_names(self.metrics) if self.metrics else []
        if self.real_subset is not None and self.real_subset <= 0:
            raise UserError(f"--real-subset must be positive, got {self.real_subset}")
        if self.repeats <= 0:
            raise UserError(f"--repeats must be positive, got {self.repeats}")
        if self.n <= 0:
            raise UserError(f"-n must be positive, got {self.n}")
        if self.batch_size <= 0:
            raise UserError(f"--batch-size must be positive, got {self.batch_size}")


class EvalProgress:
    """How a long evaluation shows what it is doing. This base is silent (library callers,
    tests); `gantool eval` passes one with spinners and a progress bar."""

    def status(self, text: str) -> ContextManager[Any]:
        """Wraps one long step (loading a dataset, extracting features)."""
        return contextlib.nullcontext()

    def sampling(self, total: int, batch_size: int) -> ContextManager[Callable[[int], None]]:
        """Wraps generation; yields `advance(k)`, called after each batch of k samples."""
        return contextlib.nullcontext(lambda k: None)

    def note(self, text: str) -> None:
        """A quiet remark, such as ONNX Runtime falling back to the CPU."""


def metric_names(text: str) -> list[str]:
    """The names in a --metrics list; which are known depends on the data kind (check_metrics)."""
    names = [m.strip().lower() for m in text.split(",") if m.strip()]
    if not names:
        raise UserError(f"--metrics {text!r} names no metric")
    return names


def check_metrics(names: list[str], known: tuple[str, ...], kind: str) -> None:
    """Refuse names `known` (the metrics of data kind `kind`) lacks, in one line."""
    unknown = [m for m in names if m not in known]
    if unknown:
        listed = ", ".join(unknown)
        raise UserError(f"unknown metric {listed} for {kind} data; choose from {', '.join(known)} "
                        f"(drop --metrics {listed})")


def parse_metrics(text: str, known: tuple[str, ...] = METRICS) -> list[str]:
    """A --metrics list of image distance metrics (training's --eval-metrics)."""
    names = metric_names(text)
    check_metrics(names, known, "image")
    return names


def as_float_images(images: np.ndarray) -> np.ndarray:
    """Dataset uint8 [N, C, H, W] or generator output (float NCHW, or uint8 NHWC) -> float [-1, 1] NCHW."""
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 127.5 - 1.0
    return np.asarray(images, dtype=np.float32)


def dataset_images(registry, text: str, n: int, seed: int, image_size: int, channels: int,
                   default_split: str = "train") -> np.ndarray:
    """`n` images (all when n is 0) drawn without replacement by `seed` from a dataset."""
    data = registry.open_dataset(text, DataRequest(image_size=image_size, channels=channels, split=default_split),
                                 kind="image", mismatch="dataset {name!r} is {kind} data; image metrics need images")
    if n and n > len(data.x):
        raise UserError(f"-n {n} is more than the {len(data.x)} images in {text}")
    index = np.random.default_rng(seed).permutation(len(data.x))[:n] if n else np.arange(len(data.x))
    return as_float_images(data.x[np.sort(index)])


def _cache_key(parts: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:24]


def reference_features(extractor, featurize: Callable[[], Features], protocol: dict[str, Any]) -> tuple[Features, bool]:
    """The real set's features (`featurize()` computes them), from the cache when this exact
    protocol was computed before."""
    path = cache_dir("eval", "reference") / f"{_cache_key(protocol)}.npz"
    if path.is_file():
        try:
            with np.load(path) as saved:
                logits = saved["logits"] if "logits" in saved.files else None
                return Features(saved["features"], logits), True
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache entry is recomputed and replaced
    feats = featurize()
    arrays = {"features": feats.features, **({"logits": feats.logits} if feats.logits is not None else {})}
    atomic_write(path, lambda fh: np.savez(fh, protocol=json.dumps(protocol), **arrays), mode="wb")
    return feats, False


def compute(metrics: list[str], real: Features, fake: Features, fake_images: np.ndarray | None = None) -> dict[str, float]:
    from gantool.metrics.frechet import GaussianStats, frechet_distance

    values: dict[str, float] = {}
    for metric in metrics:
        if metric == "fid":
            values["fid"] = frechet_distance(GaussianStats.of(real.features), GaussianStats.of(fake.features))
        elif metric == "kid":
            from gantool.metrics.kid import kernel_inception_distance

            values["kid"], std = kernel_inception_distance(real.features, fake.features)
            if std is not None:  # None: every subset would be the whole set (N <= 1000), no spread to report
                values["kid_std"] = std
        elif metric == "is":
            if fake.logits is None:
                raise UserError("IS needs a feature extractor with class logits (lenet-mnist, inception)")
            from gantool.metrics.inception_score import inception_score

            values["is"], values["is_std"] = inception_score(fake.logits)
        elif metric == "pr":
            from gantool.metrics.prdc import precision_recall

            values["precision"], values["recall"] = precision_recall(real.features, fake.features)
        elif metric == "dc":
            from gantool.metrics.prdc import density_coverage

            values["density"], values["coverage"] = density_coverage(real.features, fake.features)
        elif metric == "stacked":
            if fake_images is None or fake_images.shape[1] != 3:
                raise UserError("the stacked metric needs 3-channel Stacked MNIST generations")
            from gantool.metrics.stacked_mnist import stacked_mnist_coverage

            coverage = stacked_mnist_coverage(fake_images)
            values["stacked_modes"], values["stacked_kl"] = coverage.modes_covered, coverage.kl_to_uniform
        elif metric == "shapes":
            if fake_images is None or fake_images.shape[1] != 3:
                raise UserError("the shapes metric needs RGB generations of the shapes dataset")
            from gantool.metrics.shapes_coverage import shapes_coverage

            values.update(shapes_coverage(fake_images).as_metrics())
    return values


def write_timestamped_json(folder: Path, data: dict[str, Any], label: str = "") -> Path:
    """folder/<time>[-label].json, never replacing an earlier result (a counter after the
    time); OSError, naming the path, when the folder cannot take it."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    tail = f"-{label}" if label else ""
    path, counter = folder / f"{stamp}{tail}.json", 2
    while path.exists():
        path, counter = folder / f"{stamp}-{counter}{tail}.json", counter + 1
    try:
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda fh: json.dump(data, fh, indent=1))
    except OSError as exc:
        raise OSError(exc.errno, f"could not write {path} ({exc.strerror or exc})") from exc
    return path


def write_result(result: EvalResult, folder: Path) -> Path | None:
    """Write `result` as folder/<time>.json; None (and `result.write_error`) when the folder
    cannot take it: minutes of evaluation are not thrown away for an unwritable folder, the
    caller prints the values first and then reports the failed write."""
    try:
        return write_timestamped_json(folder, result.to_json())
    except OSError as exc:
        result.write_error = f"{exc.strerror}; the scores above are not saved"
        return None


def choose_extractor(registry: Registry, features: str, resize: str | None, image_channels: int):
    """The feature extractor asked for (auto: lenet-mnist for grey images, else inception)."""
    if features == "auto":
        features = "lenet-mnist" if image_channels == 1 else "inception"
    name, arg = split_name(features)
    extractor = registry.get("feature extractor", name).factory(arg)
    if resize is not None:
        from gantool.metrics.inception import RESIZE_MODES

        if not hasattr(extractor, "resize"):
            raise UserError(f"--resize applies to the inception features, not {name}")
        if resize not in RESIZE_MODES:
            raise UserError(f"--resize must be one of {', '.join(RESIZE_MODES)}, not {resize!r}")
        extractor.resize = resize
    return extractor


def generator_facts(sampler, data: str | None) -> tuple[tuple[int, ...], str, dict[str, Any]]:
    """What an image generator says about itself: its image shape, the reference dataset
    (`data`, else the one it names) and a description for the protocol."""
    from gantool.core import onnx_meta as meta

    path, md = sampler.path, sampler.info.metadata
    if sampler.info.kind != "image":
        raise UserError(f"{path} generates {sampler.info.kind} data; gantool eval scores images")
    if meta.IMAGE_SHAPE not in md:
        raise UserError(f"{path} does not say its image shape (metadata {meta.IMAGE_SHAPE}); use --real/--fake on saved images")
    shape = tuple(int(v) for v in md[meta.IMAGE_SHAPE].split(","))
    reference = data or md.get(meta.DATASET)
    if not reference:
        raise UserError(f"{path} does not name its dataset; pass --data")
    source = {"generator": str(path), "model": md.get(meta.MODEL), "training_step": md.get(meta.TRAINING_STEP),
              "weights": md.get(meta.WEIGHTS), "provider": sampler.provider}
    return shape, reference, source


def generated_images(sampler, data: str | None, settings: EvalSettings, progress: EvalProgress):
    """Images from an ONNX generator, their shape, the reference dataset and what the
    generator says about itself (for the protocol)."""
    from gantool.core import onnx_meta as meta

    if sampler.note:
        progress.note(sampler.note)
    shape, reference, source = generator_facts(sampler, data)
    n, batch_size = settings.n, settings.batch_size
    with progress.sampling(n, batch_size) as advance:
        images = as_float_images(sampler.sample(n, seed=settings.seed, batch_size=batch_size, progress=advance))
    if sampler.info.metadata.get(meta.OUTPUT_LAYOUT) == "NHWC":  # --uint8 exports
        images = images.transpose(0, 3, 1, 2)
    return images, shape, reference, source


def evaluate_generator(registry: Registry, path: Path, out_dir: Path, settings: EvalSettings, *,
                       data: str | None = None, progress: EvalProgress | None = None) -> EvalResult:
    """Score the ONNX generator at `path` against `data` (default: the dataset it names) and
    write the result into `out_dir`. A kind with scores of its own (tables, a plugin's tokens)
    is scored by its `evaluate`, with --metrics checked against the names it registers."""
    from gantool.runtime import Sampler

    progress = progress or EvalProgress()
    # a named extractor is checked before any image is generated; auto depends on the images
    extractor = choose_extractor(registry, settings.features, settings.resize, 0) if settings.features != "auto" else None
    start = time.perf_counter()
    sampler = Sampler(path, provider=settings.provider)
    kind = registry.get("data kind", sampler.info.kind)
    if kind.evaluate is not None:  # a kind with scores of its own (tables: classifier utility, ...)
        if settings.chosen and kind.metrics:  # a kind that registers no names checks them itself
            check_metrics(settings.chosen, kind.metrics, kind.name)
        return kind.evaluate(registry, sampler, out_dir, settings, data=data, progress=progress)
    asked = bool(settings.chosen)
    settings = _image_metrics(settings, kind.metrics, sampler)
    task = [m for m in settings.chosen if m in TASK_METRICS]
    distance = [m for m in settings.chosen if m not in TASK_METRICS]
    values: dict[str, float] = {}
    protocol: dict[str, Any] = {}
    notes: list[str] = []
    if distance:
        fake_images, shape, reference, source = generated_images(sampler, data, settings, progress)
        extractor = extractor or choose_extractor(registry, settings.features, settings.resize, shape[0])
        scored = _score(registry, extractor, dataclasses.replace(settings, metrics=",".join(distance)),
                        (fake_images, shape, reference, source), out_dir, progress, start, write=False)
        values, protocol, notes = scored.values, scored.protocol, scored.notes
    if task:
        from gantool.metrics.task_eval import task_values

        try:
            more, about = task_values(registry, sampler, data, settings, task, progress)
        except UserError as exc:
            if asked:
                raise
            # the defaults' cas and gan-test need a separate real test split; without one they
            # are left out, not the whole evaluation
            more, about = {}, {}
            notes.append(f"cas and gan-test skipped: {exc}")
            settings = dataclasses.replace(settings, metrics=",".join(distance))
        values, protocol = {**values, **more}, {**about, **protocol}
    result = EvalResult(values, {**protocol, "metrics": settings.chosen}, time.perf_counter() - start, notes)
    result.path = write_result(result, out_dir)
    return result


def _image_metrics(settings: EvalSettings, defaults: tuple[str, ...], sampler) -> EvalSettings:
    """`settings` with the image metrics checked, or the defaults (plus cas and gan-test for a
    conditional generator) when none were chosen; refuses what cannot run before any work."""
    if not settings.chosen:
        conditional = bool(sampler.info.num_classes) and sampler.info.labels_name is not None
        names = (*defaults, *(CONDITIONAL_DEFAULTS if conditional else ()))
        return dataclasses.replace(settings, metrics=",".join(names))
    check_metrics(settings.chosen, IMAGE_METRICS, "image")
    if "augment" in settings.chosen and settings.real_subset is None:
        raise UserError("--metrics augment needs --real-subset K: the number of real images the generated ones "
                        "are added to (the generator must have been trained on at most those K)")
    if any(m in TASK_METRICS for m in settings.chosen):
        from gantool.metrics.task_eval import conditional_classes

        conditional_classes(sampler)
    return settings


def evaluate_folders(registry: Registry, real: str, fake: str, settings: EvalSettings, *,
                     image_size: int | None = None, channels: int | None = None, out_dir: Path = Path("eval"),
                     progress: EvalProgress | None = None) -> EvalResult:
    """Score the image set `fake` (any dataset, e.g. folder:out/) against `real` and write the
    result into `out_dir`. Size and channels: given, else the extractor's, else the data's
    (gantool/metrics/image_sets.py)."""
    from gantool.metrics import image_sets

    progress = progress or EvalProgress()
    settings = _with_default_metrics(registry, settings, "image")
    check_metrics(settings.chosen, METRICS, "image")  # the task metrics need a generator
    if channels not in (None, 1, 3):
        raise UserError(f"--channels must be 1 or 3, not {channels}")
    start = time.perf_counter()
    extractor, channels = _folder_extractor(registry, settings, (real, fake), channels)
    size = image_size or getattr(extractor, "input_size", None)
    notes: list[str] = []
    from_data = size is None  # then folders are read as they are, each image at its own size
    if from_data:
        size = _size_from_folders((real, fake), settings, notes)

    def load(text: str) -> image_sets.ImageSet:
        root = image_sets.folder_of(text)
        if from_data and root is not None:
            return image_sets.read_folder_native(root, settings.n, settings.seed, channels)
        if size == "native":
            raise UserError(f"cannot tell the image size of {text} (the folder's images differ in size): "
                            "pass --image-size")
        return image_sets.ImageSet.of(dataset_images(registry, text, settings.n, settings.seed, size, channels))

    with progress.status(f"loading {fake}"):
        fake_images = load(fake)
    shape = (channels, size, size) if size != "native" else (channels, "native")
    return _score(registry, extractor, settings, (fake_images, shape, real, {"fake": fake}), out_dir, progress, start,
                  load_real=lambda: load(real), notes=notes)


def _with_default_metrics(registry: Registry, settings: EvalSettings, kind: str) -> EvalSettings:
    """`settings` with the data kind's default metrics when none were chosen (the caller's stay as they were)."""
    if settings.chosen:
        return settings
    return dataclasses.replace(settings, metrics=",".join(registry.get("data kind", kind).metrics))


def _folder_extractor(registry: Registry, settings: EvalSettings, sides: tuple[str, str], channels: int | None):
    """The extractor and the channels to load at. Auto features: lenet-mnist for grey images
    (--channels 1, grey folders, or two datasets that are not folders, MNIST-like as before),
    else inception. Channels: given, else the extractor's, else grey or RGB as the data is."""
    from gantool.metrics import image_sets

    roots = [root for root in map(image_sets.folder_of, sides) if root is not None]
    grey = channels == 1 if channels is not None else all(
        image_sets.folder_is_grey(root, settings.n, settings.seed) for root in roots)
    extractor = choose_extractor(registry, settings.features, settings.resize, 1 if grey else 3)
    return extractor, channels or getattr(extractor, "input_channels", None) or (1 if grey else 3)


def _size_from_folders(sides: tuple[str, str], settings: EvalSettings, notes: list[str]) -> int | str:
    """The image size the data gives: the folders' one square size, or "native" (each image
    at its own size, which only folders can be read at)."""
    from gantool.metrics import image_sets

    sizes: set[tuple[int, int]] = set()
    roots = [root for root in map(image_sets.folder_of, sides) if root is not None]
    if not roots:
        raise UserError(f"cannot tell the image size of {sides[0]} and {sides[1]}: pass --image-size "
                        "(folder: sets are read at their own size)")
    for root in roots:
        sizes |= image_sets.native_sizes(root, settings.n, settings.seed)
    if any(h != w for h, w in sizes):
        notes.append("non-square images are stretched to the extractor's square input, not cropped "
                     "(as pytorch-fid and torch-fidelity do)")
    if len(sizes) == 1 and len(set(next(iter(sizes)))) == 1:
        return next(iter(sizes))[0]  # one square size: every side is loaded at it
    return "native"


def _score(registry: Registry, extractor, settings: EvalSettings, generated: tuple, out_dir: Path,
           progress: EvalProgress, start: float, load_real: Callable | None = None,
           notes: list[str] | None = None, write: bool = True) -> EvalResult:
    """Features of both sides (the reference's from the cache when it can), the metrics, the
    result file. `generated` is (images, shape, reference dataset, source description);
    `load_real` loads the reference (default: `n` images of it at `shape`)."""
    from gantool.metrics.image_sets import ImageSet, features_of

    fake_images, shape, reference, source = generated
    fake_images = fake_images if isinstance(fake_images, ImageSet) else ImageSet.of(fake_images)
    n, seed = settings.n, settings.seed
    notes = list(notes or [])
    protocol = {"reference": reference, "n": n, "seed": seed, "image_shape": list(shape), **extractor.protocol}
    load_real = load_real or (lambda: ImageSet.of(dataset_images(registry, reference, n, seed, shape[1], shape[0])))
    with progress.status(f"features of {reference}"):
        real_feats, cached = reference_features(extractor, lambda: features_of(extractor, load_real()), protocol)
    with progress.status("features of the generated images"):
        fake_feats = features_of(extractor, fake_images)
    values = compute(settings.chosen, real_feats, fake_feats, fake_images.single())
    if "kid" in values and "kid_std" not in values:
        notes.append(f"kid_std is not reported: with N <= {KID_SUBSET_SIZE} every KID subset is the whole set")
    result = EvalResult(values, {**protocol, **source, "metrics": settings.chosen, "reference_cached": cached},
                        time.perf_counter() - start, notes)
    if write:
        result.path = write_result(result, out_dir)
    return result
