"""Shared image helpers: fit arrays to the model's shape, numpy in, numpy out."""

from __future__ import annotations

import numpy as np
from PIL import Image


def fit_pil(img: Image.Image, size: int, channels: int) -> np.ndarray:
    """Resize the shorter side to `size`, center-crop, and return uint8 `[C, size, size]`."""
    img = img.convert("L" if channels == 1 else "RGB")
    w, h = img.size
    scale = size / min(w, h)
    if (w, h) != (size, size):
        nw, nh = max(size, round(w * scale)), max(size, round(h * scale))
        img = img.resize((nw, nh), Image.Resampling.BICUBIC if scale > 1 else Image.Resampling.LANCZOS)
        left, top = (nw - size) // 2, (nh - size) // 2
        img = img.crop((left, top, left + size, top + size))
    arr = np.asarray(img, dtype=np.uint8)
    return arr[None] if channels == 1 else arr.transpose(2, 0, 1)


def fit_array(x: np.ndarray, size: int, channels: int) -> np.ndarray:
    """Make uint8 `[N, C, H, W]` images match `size` and `channels` (grey <-> RGB)."""
    n, c, h, w = x.shape
    if c != channels:
        if c == 1:
            x = np.repeat(x, 3, axis=1)
        else:  # ITU-R 601 luma, as PIL's "L" conversion
            luma = (x[:, 0] * 299 + x[:, 1] * 587 + x[:, 2] * 114 + 500) // 1000
            x = luma[:, None].astype(np.uint8)
    if (h, w) != (size, size):
        mode = "L" if channels == 1 else "RGB"
        x = np.stack([
            fit_pil(Image.fromarray(img[0] if channels == 1 else img.transpose(1, 2, 0), mode), size, channels)
            for img in x
        ])
    return np.ascontiguousarray(x, dtype=np.uint8)
