"""Where a study's pictures come from: generators (a run directory or an .onnx file, sampled
with ONNX Runtime) and real images (any image dataset the registry knows), all as uint8
`[N, H, W, C]` with their class labels when there are any."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gantool.core import onnx_meta as meta
from gantool.core.errors import UserError
from gantool.core.imaging import to_uint8
from gantool.specs import DataRequest


@dataclass
class Generator:
    """One generator of the study: its short name (what the report calls it), where it came
    from, and what its file says about itself."""

    name: str
    source: Path  # what the user gave: a run directory or an .onnx file
    onnx: Path
    run: Path | None  # the run directory, when the source was one
    shape: tuple[int, int, int]  # C, H, W
    num_classes: int
    metadata: dict[str, str] = field(default_factory=dict)
    sampler: Any = None

    def describe(self) -> dict[str, Any]:
        md = self.metadata
        return {"name": self.name, "source": str(self.source), "onnx": str(self.onnx.resolve()),
                "run": str(self.run.resolve()) if self.run else None, "model": md.get(meta.MODEL),
                "dataset": md.get(meta.DATASET), "training_step": md.get(meta.TRAINING_STEP),
                "num_classes": self.num_classes, "image_shape": list(self.shape)}

    def images(self, n: int, seed: int, labels: np.ndarray | None) -> np.ndarray:
        """`n` uint8 `[N, H, W, C]` images from the seeded latents (and labels, if conditional)."""
        out = self.sampler.sample(n, seed=seed, labels=labels if self.num_classes else None)
        if self.sampler.info.uint8 or self.metadata.get(meta.OUTPUT_LAYOUT) == "NHWC":
            return np.asarray(out, dtype=np.uint8)
        return to_uint8(np.asarray(out, dtype=np.float32))


def open_generators(sources: list[Path], provider: str = "auto") -> list[Generator]:
    """Open every source's ONNX generator; all must make images of one shape."""
    from gantool.run import generator_file
    from gantool.runtime import Sampler

    if not sources:
        raise UserError("give at least one generator (a run directory or an .onnx file)")
    generators = []
    for source in sources:
        onnx = generator_file(source)
        sampler = Sampler(onnx, provider=provider)
        md = sampler.info.metadata
        if sampler.info.kind != "image":
            raise UserError(f"{onnx} generates {sampler.info.kind} data; a rating study shows images")
        if meta.IMAGE_SHAPE not in md:
            raise UserError(f"{onnx} does not say its image shape (metadata {meta.IMAGE_SHAPE})")
        shape = tuple(int(v) for v in md[meta.IMAGE_SHAPE].split(","))
        generators.append(Generator(_unique_name(source, [g.name for g in generators]), Path(source), onnx,
                                    Path(source) if Path(source).is_dir() else None, shape,
                                    sampler.info.num_classes, md, sampler))
    shapes = {g.shape for g in generators}
    if len(shapes) > 1:
        raise UserError("the generators make images of different shapes: "
                        + ", ".join(f"{g.name} {'x'.join(map(str, g.shape))}" for g in generators))
    return generators


def _unique_name(source: Path, taken: list[str]) -> str:
    """`dcgan/exp` for runs/dcgan/exp, `dcgan/generator` for runs/dcgan/generator.onnx; a
    repeated name gets -2, -3."""
    source = Path(source).resolve()
    stem = source.name if source.is_dir() else source.stem
    name = f"{source.parent.name}/{stem}" if source.parent.name else stem
    candidate, k = name, 2
    while candidate in taken:
        candidate, k = f"{name}-{k}", k + 1
    return candidate


def real_images(registry, text: str, n: int, seed: int, shape: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray | None]:
    """`n` images drawn without replacement by `seed` from the dataset `text`, loaded at the
    generators' size and channels, uint8 `[N, H, W, C]`, and their labels (None when the
    dataset has none)."""
    channels, size = shape[0], shape[1]
    data = registry.open_dataset(text, DataRequest(image_size=size, channels=channels),
                                 kind="image", mismatch="dataset {name!r} is {kind} data; a rating study shows images")
    if n > len(data.x):
        raise UserError(f"the study needs {n} real images, more than the {len(data.x)} in {text}")
    index = np.sort(np.random.default_rng(seed).permutation(len(data.x))[:n])
    images = np.asarray(data.x[index], dtype=np.uint8).transpose(0, 2, 3, 1)
    if images.shape[1:3] != (shape[1], shape[2]):
        raise UserError(f"{text} loads as {images.shape[1]}x{images.shape[2]} images, the generators make "
                        f"{shape[1]}x{shape[2]}")
    labels = None if data.labels is None else np.asarray(data.labels)[index].astype(np.int64)
    return images, labels


def attention_images(n: int, shape: tuple[int, int, int], seed: int) -> np.ndarray:
    """`n` obviously fake images for the attention checks: uniform random noise."""
    c, h, w = shape
    return np.random.default_rng([seed, 7]).integers(0, 256, size=(n, h, w, c), dtype=np.uint8)
