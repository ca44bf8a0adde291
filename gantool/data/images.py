"""Shared image helpers: fit arrays to the model's shape, numpy in, numpy out.

`to_8bit` is how every decoded file becomes 8-bit grey or RGB: the EXIF orientation is
applied, 16-bit and 32-bit grey are scaled (PIL's own conversion clips them, which turns
a 16-bit PNG almost white), palettes are expanded, and transparent pixels are composited
on black (the background MNIST-like data and most GAN datasets assume).
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageOps

WIDE_GREY = ("I;16", "I;16B", "I;16L", "I;16N")


def to_8bit(img: Image.Image, channels: int) -> Image.Image:
    """`img` as mode "L" (channels 1) or "RGB" (channels 3); see the module docstring."""
    img = ImageOps.exif_transpose(img)
    if img.mode in WIDE_GREY or img.mode in ("I", "F"):
        # the scale comes from the mode, never from the pixels, so every image of a dataset gets
        # the same one: 16-bit and 32-bit integers as 16-bit (what PNG and TIFF hold), floats as [0, 1]
        arr = np.asarray(img, dtype=np.float64)
        top = 1.0 if img.mode == "F" else 65535.0
        img = Image.fromarray(np.clip(np.rint(arr * (255.0 / top)), 0, 255).astype(np.uint8), "L")
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        img = Image.alpha_composite(Image.new("RGBA", rgba.size, (0, 0, 0, 255)), rgba)
    return img.convert("L" if channels == 1 else "RGB")  # CMYK, YCbCr, 1-bit: PIL's conversions


def fit_pil(img: Image.Image, size: int, channels: int) -> np.ndarray:
    """Resize the shorter side to `size`, center-crop, and return uint8 `[C, size, size]`."""
    img = to_8bit(img, channels)
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
            wide = x.astype(np.uint32)  # uint8 * 299 overflows (numpy 2 refuses it outright)
            luma = (wide[:, 0] * 299 + wide[:, 1] * 587 + wide[:, 2] * 114 + 500) // 1000
            x = luma[:, None].astype(np.uint8)
    if (h, w) != (size, size):
        mode = "L" if channels == 1 else "RGB"
        x = np.stack([
            fit_pil(Image.fromarray(img[0] if channels == 1 else img.transpose(1, 2, 0), mode), size, channels)
            for img in x
        ])
    return np.ascontiguousarray(x, dtype=np.uint8)
