"""The quality-diversity curve (Caccia et al. 2020): BLEU against Self-BLEU of one
generator's samples over sampling temperatures, from its exported `tempered` graph, with
ONNX Runtime (torch-free). Lower temperature: higher BLEU (quality), higher Self-BLEU
(less diversity). A GAN is better than MLE only if its point lies above MLE's curve.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from gantool import DataRequest, UserError, open_session, registry
from gantool_text import PLUGIN
from gantool_text.bleu import bleu, self_bleu
from gantool_text.evaluate import REFERENCES
from gantool_text.kind import vocab_of


@dataclass(frozen=True)
class Point:
    temperature: float
    bleu: float
    self_bleu: float


def tempered_file(path: Path) -> Path:
    """RUN/ or RUN/generator.onnx -> RUN/generator-tempered.onnx."""
    onnx = path / "generator.onnx" if path.is_dir() else path
    tempered = onnx.with_name(f"{onnx.stem}-tempered.onnx")
    if not tempered.is_file():
        raise UserError(f"{PLUGIN}: no {tempered}; export the run first (gantool export RUN --onnx)")
    return tempered


def curve(path: Path, temperatures: list[float], n: int, order: int, seed: int) -> tuple[list[Point], dict]:
    """BLEU-`order` and Self-BLEU-`order` of `n` samples at each temperature (same latents)."""
    session, _ = open_session(tempered_file(path), prefix=f"{PLUGIN}: ")
    md = session.get_modelmeta().custom_metadata_map
    vocab = vocab_of(md, path)
    test = registry().open_dataset(md["dataset"], DataRequest(split="test", options=json.loads(md.get("data_options")
                                                                                                or "{}")), kind="tokens")
    refs = vocab.pieces(test.x[:REFERENCES])
    z = np.random.default_rng(seed).standard_normal((n, int(md["max_len"])), dtype=np.float32)
    points = []
    for temperature in temperatures:
        feed = {"z": z, "temperature": np.full(n, temperature, dtype=np.float32)}
        hyps = vocab.pieces(np.rint(session.run(None, feed)[0]).astype(np.int64))
        points.append(Point(temperature, bleu(hyps, refs, order), self_bleu(hyps, order)))
    return points, md


def plot(points: list[Point], order: int, title: str, path: Path, marks: dict[str, Point] | None = None) -> None:
    """BLEU (up: quality) against Self-BLEU (right: less diversity), points labelled by
    temperature; `marks` (other generators at their own temperature) as green squares."""
    marks = marks or {}
    size, margin = 480, 56
    picture = Image.new("RGB", (size, size), "white")
    pen, font = ImageDraw.Draw(picture), ImageFont.load_default()
    span = size - 2 * margin
    top = axis_limit(max(max(p.bleu, p.self_bleu) for p in [*points, *marks.values()]))  # both axes alike

    def at(x: float, y: float) -> tuple[float, float]:
        return margin + x / top * span, size - margin - y / top * span

    pen.rectangle([at(0, top), at(top, 0)], outline="black")
    for tick in np.linspace(0, top, 5):
        x, y = at(tick, 0)
        pen.text((x - 8, y + 4), f"{tick:.2f}", fill="black", font=font)
        x, y = at(0, tick)
        pen.text((x - 34, y - 6), f"{tick:.2f}", fill="black", font=font)
    pen.text((size / 2 - 50, size - 24), f"Self-BLEU-{order} (less diverse ->)", fill="black", font=font)
    pen.text((8, 8), f"BLEU-{order} (better ^)   {title}", fill="black", font=font)
    xy = [at(p.self_bleu, p.bleu) for p in points]
    if len(xy) > 1:
        pen.line(xy, fill=(0, 0, 160), width=2)
    for (x, y), p in zip(xy, points):
        pen.ellipse([x - 3, y - 3, x + 3, y + 3], fill=(200, 0, 0))
        pen.text((x + 5, y - 12), f"T={p.temperature:g}", fill=(120, 0, 0), font=font)
    for name, p in marks.items():
        x, y = at(p.self_bleu, p.bleu)
        pen.rectangle([x - 4, y - 4, x + 4, y + 4], fill=(0, 150, 0))
        pen.text((x + 6, y + 2), name, fill=(0, 100, 0), font=font)
    picture.save(path)


def axis_limit(value: float) -> float:
    """The smallest of 0.1, 0.2, 0.5, 1 above `value` (and its margin)."""
    return next((limit for limit in (0.1, 0.2, 0.5) if value * 1.1 <= limit), 1.0)
