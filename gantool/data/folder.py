"""Images under a folder (recursive). Images in first-level subfolders get class labels."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from gantool.core.errors import UserError
from gantool.data.images import fit_pil
from gantool.specs import DataArrays, DataRequest

EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm"}


def list_images(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in EXTENSIONS and p.is_file())


def _labels(root: Path, files: list[Path]) -> tuple[np.ndarray | None, int]:
    """Class labels from first-level subfolders, only when every image sits in one."""
    parts = [f.relative_to(root).parts for f in files]
    if any(len(p) < 2 for p in parts):
        return None, 0
    classes = sorted({p[0] for p in parts})
    if len(classes) < 2:
        return None, 0
    index = {c: i for i, c in enumerate(classes)}
    return np.array([index[p[0]] for p in parts], dtype=np.int64), len(classes)


def _read(path: Path, request: DataRequest) -> np.ndarray:
    with Image.open(path) as img:
        img.load()
        return fit_pil(img, request.image_size, request.channels)


def load(arg: str | None, request: DataRequest) -> DataArrays:
    if not arg:
        raise UserError("folder needs a path: --data folder:PATH")
    root = Path(arg).expanduser()
    if not root.is_dir():
        raise UserError(f"image folder {root} does not exist or is not a directory")
    files = list_images(root)
    if not files:
        raise UserError(f"image folder {root} holds no images ({', '.join(sorted(EXTENSIONS))})")
    images, kept, skipped = [], [], 0
    for path in _progress(files, f"reading {root}", request.progress):
        try:
            images.append(_read(path, request))
            kept.append(path)
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            if not request.skip_bad:
                raise UserError(f"cannot read image {path} ({type(exc).__name__}); remove it or pass --skip-bad") from None
            skipped += 1
    if not images:
        raise UserError(f"no readable images in {root} ({skipped} skipped)")
    labels, num_classes = _labels(root, kept)
    note = f", {skipped} unreadable skipped" if skipped else ""
    return DataArrays(x=np.stack(images), kind="image", labels=labels, num_classes=num_classes,
                      description=f"folder {root} ({len(images)} images{note})", skipped=skipped)


def _progress(items: list[Path], label: str, show: bool):
    if not (show and sys.stderr.isatty() and len(items) > 200):
        return items
    from rich.console import Console
    from rich.progress import track

    return track(items, description=label, transient=True, console=Console(stderr=True))
