"""Pictures from arrays, numpy + Pillow only (sampling from ONNX never needs torch)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from gantool.core.fsutil import atomic_write


def to_uint8(images: np.ndarray) -> np.ndarray:
    """`[N, C, H, W]` floats in [-1, 1] -> uint8 `[N, H, W, C]` (round half to even, clipped)."""
    x = np.clip(np.rint((images.astype(np.float32) + 1.0) * 127.5), 0, 255).astype(np.uint8)
    return x.transpose(0, 2, 3, 1)


def grid(images_hwc: np.ndarray, columns: int | None = None, pad: int = 2) -> np.ndarray:
    """Tile uint8 `[N, H, W, C]` images into one `[rows*H, cols*W, C]` picture."""
    n, h, w, c = images_hwc.shape
    cols = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    canvas = np.zeros((rows * (h + pad) + pad, cols * (w + pad) + pad, c), dtype=np.uint8)
    for i, img in enumerate(images_hwc):
        r, q = divmod(i, cols)
        top, left = pad + r * (h + pad), pad + q * (w + pad)
        canvas[top : top + h, left : left + w] = img
    return canvas


def save_png(picture: np.ndarray, path: Path, upscale: int = 1) -> None:
    """Save atomically; small grids are upscaled with nearest neighbour so they stay crisp."""
    img = Image.fromarray(picture[..., 0] if picture.shape[-1] == 1 else picture)
    if upscale > 1:
        img = img.resize((img.width * upscale, img.height * upscale), Image.Resampling.NEAREST)
    atomic_write(Path(path), lambda fh: img.save(fh, format="PNG"), mode="wb")


def upscale_for(picture: np.ndarray) -> int:
    """Small pictures are enlarged 2x (nearest neighbour) so 28 px digits stay visible."""
    return 2 if max(picture.shape[:2]) < 512 else 1


def save_grid(images_hwc: np.ndarray, path: Path, columns: int | None = None) -> None:
    """A grid PNG of uint8 `[N, H, W, C]` images (see `to_uint8`)."""
    picture = grid(images_hwc, columns)
    save_png(picture, path, upscale_for(picture))


def save_scatter(fake: np.ndarray, real: np.ndarray | None, path: Path, size: int = 512) -> None:
    """A scatter plot of 2-D points: real in grey (when given), generated in blue."""
    real = np.zeros((0, 2), dtype=fake.dtype) if real is None else real
    fake = fake[:, :2]
    both = np.concatenate([real, fake])
    lo, hi = np.percentile(both, 0.5, axis=0), np.percentile(both, 99.5, axis=0)
    span = float(max(hi - lo)) * 1.15 or 1.0
    centre = (lo + hi) / 2
    img = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(img)

    def pix(p: np.ndarray) -> np.ndarray:
        return ((p - centre) / span + 0.5) * size * np.array([1, -1]) + np.array([0, size])

    for points, colour, r in ((fake, (31, 119, 180), 2), (real, (120, 120, 120), 1)):  # real on top
        for x, y in pix(points):
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    atomic_write(Path(path), lambda fh: img.save(fh, format="PNG"), mode="wb")
