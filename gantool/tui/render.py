"""Drawing in the terminal with text: braille line charts and half-block pictures."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from rich.text import Text

COLORS = ["#4e9bd6", "#e3873b", "#5fb95f", "#d65f5f", "#a77fd1", "#c9b33f"]
# braille dot bits for (column, row) inside a 2x4 cell
DOTS = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]]
AXIS = 9  # width of the y-axis label column


def _fmt(v: float) -> str:
    if v == 0 or 1e-3 <= abs(v) < 1e5:
        return f"{v:.4g}"
    return f"{v:.2e}"


def _line(x0: int, y0: int, x1: int, y1: int):
    """Integer points from (x0, y0) to (x1, y1) (Bresenham)."""
    dx, dy = abs(x1 - x0), -abs(y1 - y0)
    sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
    err = dx + dy
    while True:
        yield x0, y0
        if x0 == x1 and y0 == y1:
            return
        e2 = 2 * err
        if e2 >= dy:
            err += dy
            x0 += sx
        if e2 <= dx:
            err += dx
            y0 += sy


def chart(series: list[tuple[str, np.ndarray, np.ndarray]], width: int, height: int, log: bool = False) -> Text:
    """A line chart of several (name, steps, values) series filling width x height cells."""
    cols, rows = max(4, width - AXIS), max(2, height - 2)
    usable = []
    for name, xs, ys in series:
        ok = np.isfinite(ys) & ((ys > 0) if log else True)
        if ok.any():
            usable.append((name, xs[ok], np.log10(ys[ok]) if log else ys[ok]))
    if not usable:
        return Text("waiting for metrics..." if not log else "nothing positive to show on a log scale", style="dim")
    x_lo = min(float(xs.min()) for _, xs, _ in usable)
    x_hi = max(float(xs.max()) for _, xs, _ in usable)
    y_lo = min(float(ys.min()) for _, _, ys in usable)
    y_hi = max(float(ys.max()) for _, _, ys in usable)
    if y_hi == y_lo:
        y_lo, y_hi = y_lo - 0.5, y_hi + 0.5
    x_span = (x_hi - x_lo) or 1.0
    w, h = cols * 2, rows * 4
    mask = np.zeros((rows, cols), dtype=np.int32)
    color = np.full((rows, cols), -1, dtype=np.int32)
    for idx, (_, xs, ys) in enumerate(usable):
        px = np.clip(((xs - x_lo) / x_span * (w - 1)).round().astype(int), 0, w - 1)
        py = np.clip(((y_hi - ys) / (y_hi - y_lo) * (h - 1)).round().astype(int), 0, h - 1)
        points = list(zip(px.tolist(), py.tolist()))
        pairs = zip(points, points[1:]) if len(points) > 1 else [(points[0], points[0])]
        for (ax, ay), (bx, by) in pairs:
            for x, y in _line(ax, ay, bx, by):
                mask[y // 4, x // 2] |= DOTS[x % 2][y % 4]
                color[y // 4, x // 2] = idx
    text = Text()
    top, bottom = (10**y_hi, 10**y_lo) if log else (y_hi, y_lo)
    for r in range(rows):
        label = _fmt(top) if r == 0 else (_fmt(bottom) if r == rows - 1 else "")
        text.append(f"{label:>{AXIS - 1}}│", style="dim")
        for c in range(cols):
            ch = chr(0x2800 + int(mask[r, c]))
            text.append(ch, style=COLORS[color[r, c] % len(COLORS)] if color[r, c] >= 0 else None)
        text.append("\n")
    text.append(" " * (AXIS - 1) + "└" + "─" * cols + "\n", style="dim")
    left, right = f"step {int(x_lo)}", f"{int(x_hi)}"
    text.append(" " * AXIS + left + " " * max(1, cols - len(left) - len(right)) + right, style="dim")
    legend = Text("  ")
    for idx, (name, _, ys) in enumerate(usable):
        last = 10 ** ys[-1] if log else ys[-1]
        legend.append(f"■ {name} {_fmt(float(last))}  ", style=COLORS[idx % len(COLORS)])
    return Text.assemble(legend, "\n", text)


def halfblocks(path: Path, width: int, height: int) -> Text:
    """A picture as '▀' cells: foreground = upper pixel, background = lower pixel."""
    from PIL import Image

    with Image.open(path) as img:
        img = img.convert("RGB")
        scale = min(width / img.width, (height * 2) / img.height)
        size = (max(1, math.floor(img.width * scale)), max(2, math.floor(img.height * scale)))
        pixels = np.asarray(img.resize(size, Image.Resampling.BOX))
    if pixels.shape[0] % 2:
        pixels = np.concatenate([pixels, np.zeros_like(pixels[:1])])
    text = Text()
    for top, bottom in zip(pixels[0::2], pixels[1::2]):
        for (r1, g1, b1), (r2, g2, b2) in zip(top.tolist(), bottom.tolist()):
            text.append("▀", style=f"#{r1:02x}{g1:02x}{b1:02x} on #{r2:02x}{g2:02x}{b2:02x}")
        text.append("\n")
    return text
