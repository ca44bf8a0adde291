"""The two image sets of `gantool eval --real A --fake B`, at the size and channels the
feature extractor needs, and their features.

Size and channels come, first to last, from `--image-size`/`--channels`, from the extractor
(lenet-mnist: 28 px grey; an ONNX model with a fixed input: its own), and otherwise from
the data: the Inception network resizes every image to 299 x 299 itself, so a `folder:`
set is read at each file's own size, non-square images stretched (not cropped), as
pytorch-fid and torch-fidelity do. A dataset that is not a folder takes the folder side's
size when all its files share one, else `--image-size` is needed. Channels default to RGB.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gantool.core.errors import UserError
from gantool.metrics.features import Features
from gantool.plugins import split_name

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm"}


@dataclass
class ImageSet:
    """Float images in [-1, 1] NCHW, as one array or, at native sizes, one array per shape
    with the positions its images have in the set."""

    groups: list[tuple[np.ndarray, np.ndarray]]  # (positions, images [k, C, H, W])

    @classmethod
    def of(cls, images: np.ndarray) -> ImageSet:
        return cls([(np.arange(len(images)), images)])

    def __len__(self) -> int:
        return sum(len(index) for index, _ in self.groups)

    def single(self) -> np.ndarray | None:
        """The images as one array when they share a shape."""
        return self.groups[0][1] if len(self.groups) == 1 else None

    def shapes(self) -> list[tuple[int, ...]]:
        return [images.shape[1:] for _, images in self.groups]


def features_of(extractor, images: ImageSet) -> Features:
    """The extractor's features of every image, in the set's order, one call per shape."""
    parts = [(index, extractor(group)) for index, group in images.groups]
    order = np.argsort(np.concatenate([index for index, _ in parts]), kind="stable")
    features = np.concatenate([f.features for _, f in parts])[order]
    with_logits = all(f.logits is not None for _, f in parts)
    return Features(features, np.concatenate([f.logits for _, f in parts])[order] if with_logits else None)


def folder_of(text: str) -> Path | None:
    """The folder a `folder:PATH` dataset names, else None."""
    name, arg = split_name(text)
    return Path(arg).expanduser() if name == "folder" and arg else None


def _files(root: Path) -> list[Path]:
    if not root.is_dir():
        raise UserError(f"image folder {root} does not exist or is not a directory")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise UserError(f"image folder {root} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
    return files


def _chosen(files: list[Path], n: int, seed: int, where: str) -> list[Path]:
    """`n` files drawn without replacement by `seed` (all when n is 0), the data layer's way."""
    if n and n > len(files):
        raise UserError(f"-n {n} is more than the {len(files)} images in {where}")
    index = np.random.default_rng(seed).permutation(len(files))[:n] if n else np.arange(len(files))
    return [files[i] for i in np.sort(index)]


def _open(path: Path):
    from PIL import Image, ImageOps

    try:
        with Image.open(path) as img:
            img.load()
            return ImageOps.exif_transpose(img)
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read image {path} ({exc})") from None


def folder_is_grey(root: Path, n: int, seed: int) -> bool:
    """Whether every image the evaluation would read from `root` is greyscale."""
    return all(_open(p).mode in ("1", "L", "LA", "I", "I;16", "F") for p in _chosen(_files(root), n, seed, str(root)))


def native_sizes(root: Path, n: int, seed: int) -> set[tuple[int, int]]:
    """(height, width) of the images the evaluation would read from `root`."""
    from PIL import Image

    sizes = set()
    for path in _chosen(_files(root), n, seed, str(root)):
        with Image.open(path) as img:
            width, height = img.size
        sizes.add((height, width))
    return sizes


def read_folder_native(root: Path, n: int, seed: int, channels: int) -> ImageSet:
    """`n` images of `root` at their own sizes (grey or RGB by `channels`), grouped by shape."""
    by_shape: dict[tuple[int, ...], list[tuple[int, np.ndarray]]] = {}
    for i, path in enumerate(_chosen(_files(root), n, seed, str(root))):
        img = _open(path)
        if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info:  # on black, as the data layer does
            from PIL import Image

            rgba = img.convert("RGBA")
            img = Image.alpha_composite(Image.new("RGBA", rgba.size, (0, 0, 0, 255)), rgba)
        pixels = np.asarray(img.convert("L" if channels == 1 else "RGB"), dtype=np.uint8)
        x = pixels[None] if channels == 1 else pixels.transpose(2, 0, 1)
        by_shape.setdefault(x.shape, []).append((i, x))
    groups = [(np.array([i for i, _ in items]), np.stack([x for _, x in items]).astype(np.float32) / 127.5 - 1.0)
              for items in by_shape.values()]
    return ImageSet(groups)
