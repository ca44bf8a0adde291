"""`gantool plot`: a run's curves as a PNG (Pillow only, no Textual), one panel per group of metrics.

Losses share a panel, `logit_*` share one, every other metric gets its own. Each series is
drawn raw (light) and smoothed (solid), as the seed tutorials plot their loss curves.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from gantool.core.errors import UserError
from gantool.core.fsutil import atomic_write
from gantool.run import Series, read_series
from gantool.run.layout import METRICS

PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75)]
WIDTH, PANEL_H, MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 1100, 330, 80, 30, 36, 40


def groups(series: Series) -> list[tuple[str, list[str]]]:
    names = series.names()
    losses = [n for n in names if n.startswith("loss_")]
    logits = [n for n in names if n.startswith("logit_")]
    rest = [n for n in names if n not in losses and n not in logits]
    out = [("losses", losses)] if losses else []
    out += [("discriminator logits (mean)", logits)] if logits else []
    return out + [(n, [n]) for n in rest]


def _ema(ys: np.ndarray, weight: float) -> np.ndarray:
    out, acc = np.empty_like(ys), ys[0]
    for i, y in enumerate(ys):
        acc = weight * acc + (1 - weight) * y
        out[i] = acc
    return out


def _ticks(lo: float, hi: float, n: int = 5) -> np.ndarray:
    span = hi - lo or 1.0
    step = 10 ** np.floor(np.log10(span / n))
    step *= min((m for m in (1, 2, 5, 10) if span / (step * m) <= n), default=10)
    return np.arange(np.ceil(lo / step) * step, hi + step * 0.001, step)


def _panel(draw: ImageDraw.ImageDraw, top: int, title: str, keys: list[str], series: Series, font, small) -> None:
    left, right, bottom = MARGIN_L, WIDTH - MARGIN_R, top + PANEL_H - MARGIN_B
    y0 = top + MARGIN_T
    data = [(k, *series.view(k, 4000)) for k in keys]
    xs_all = np.concatenate([d[1] for d in data])
    ys_all = np.concatenate([d[2][np.isfinite(d[2])] for d in data]) if data else np.zeros(1)
    x_lo, x_hi = float(xs_all.min()), float(xs_all.max()) or 1.0
    lo, hi = np.percentile(ys_all, [0.5, 99.5]) if len(ys_all) > 20 else (ys_all.min(), ys_all.max())
    pad = (hi - lo) * 0.08 or 0.5
    y_lo, y_hi = float(lo - pad), float(hi + pad)

    def px(x, y):
        return (left + (np.asarray(x) - x_lo) / ((x_hi - x_lo) or 1) * (right - left),
                bottom - (np.clip(np.asarray(y), y_lo, y_hi) - y_lo) / (y_hi - y_lo) * (bottom - y0))

    draw.text((left, top + 8), title, fill=(30, 30, 30), font=font)
    for t in _ticks(y_lo, y_hi):
        _, y = px(x_lo, t)
        draw.line([(left, y), (right, y)], fill=(232, 232, 232))
        draw.text((left - 8, y), f"{t + 0.0:.4g}", fill=(90, 90, 90), font=small, anchor="rm")  # no "-0"
    for t in _ticks(x_lo, x_hi):
        x, _ = px(t, y_lo)
        draw.line([(x, y0), (x, bottom)], fill=(240, 240, 240))
        draw.text((x, bottom + 6), f"{t:.0f}", fill=(90, 90, 90), font=small, anchor="mt")
    draw.rectangle([left, y0, right, bottom], outline=(160, 160, 160))
    draw.text(((left + right) / 2, bottom + 22), "step", fill=(90, 90, 90), font=small, anchor="mt")
    for i, (key, xs, ys) in enumerate(data):
        colour = PALETTE[i % len(PALETTE)]
        light = tuple(int(c + (255 - c) * 0.65) for c in colour)
        points = list(zip(*px(xs, ys)))
        if len(points) > 1:
            draw.line(points, fill=light, width=1)
            draw.line(list(zip(*px(xs, _ema(ys, 0.9 if len(ys) > 50 else 0.0)))), fill=colour, width=2)
        draw.text((right - 10, y0 + 8 + 18 * i), key, fill=colour, font=small, anchor="ra")


def plot(run_dir: Path, out: Path) -> int:
    """Draw the run's metrics into `out`; returns the number of panels."""
    series = read_series(run_dir)
    panels = groups(series)
    if not panels:
        raise UserError(f"{run_dir} has no metrics yet ({METRICS} is missing or empty)")
    image = Image.new("RGB", (WIDTH, PANEL_H * len(panels)), "white")
    draw = ImageDraw.Draw(image)
    font, small = ImageFont.load_default(size=16), ImageFont.load_default(size=12)
    for i, (title, keys) in enumerate(panels):
        _panel(draw, i * PANEL_H, title, keys, series, font, small)
    try:
        atomic_write(out, lambda fh: image.save(fh, format="PNG"), mode="wb")
    except OSError as exc:
        raise UserError(f"cannot write {out} ({exc.strerror or exc})") from None
    return len(panels)
