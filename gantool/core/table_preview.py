"""A picture of a synthetic table: one panel per column (up to 16), the real column's
histogram in grey and the generated one in blue, for the sample step of a training run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from gantool.core.fsutil import atomic_write
from gantool.core.tables import CONTINUOUS, category_index

PANEL_W, PANEL_H, COLS, MAX_PANELS, BINS = 240, 150, 4, 16, 30
REAL, FAKE = (150, 150, 150), (31, 119, 180)


def _frequencies(real: np.ndarray, fake: np.ndarray, col: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    if col["kind"] == CONTINUOUS:
        lo, hi = np.percentile(real, [0.5, 99.5])
        edges = np.linspace(lo, hi if hi > lo else lo + 1, BINS + 1)
        p = np.histogram(np.clip(real, edges[0], edges[-1]), edges)[0]
        q = np.histogram(np.clip(fake, edges[0], edges[-1]), edges)[0]
    else:
        count = len(col["categories"])
        p = np.bincount(category_index(real, count), minlength=count)
        q = np.bincount(category_index(fake, count), minlength=count)
    return p / max(1, p.sum()), q / max(1, q.sum())


def save_table_preview(fake: np.ndarray, real: np.ndarray, columns: list[dict[str, Any]], path: Path) -> None:
    shown = columns[:MAX_PANELS]
    rows = (len(shown) + COLS - 1) // COLS
    img = Image.new("RGB", (PANEL_W * min(COLS, len(shown)), PANEL_H * rows), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default()
    for i, col in enumerate(shown):
        x0, y0 = (i % COLS) * PANEL_W, (i // COLS) * PANEL_H
        p, q = _frequencies(real[:, i], fake[:, i], col)
        top = max(p.max(), q.max(), 1e-9)
        width = (PANEL_W - 20) / len(p)
        base = y0 + PANEL_H - 12
        for k, (a, b) in enumerate(zip(p, q)):
            left = x0 + 10 + k * width
            # real as a filled bar, generated as a narrower bar inside it: both stay visible
            draw.rectangle((left, base - a / top * (PANEL_H - 34), left + width - 1, base), fill=REAL)
            draw.rectangle((left + width * 0.25, base - b / top * (PANEL_H - 34), left + width * 0.75, base), fill=FAKE)
        draw.text((x0 + 10, y0 + 4), str(col["name"])[:34], fill="black", font=font)
        draw.line((x0 + 10, base, x0 + PANEL_W - 10, base), fill="black")
    atomic_write(Path(path), lambda fh: img.save(fh, format="PNG"), mode="wb")
