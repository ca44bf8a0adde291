"""The `tokens` data kind: what train, sample and export do with token sequences.

- preview: at each sample step, the generated lines as a PNG (`samples/step-N.png`) and
  all of them as text beside it (`step-N.txt`), plus metrics for that step's line:
  `nll_oracle` (oracle data), `nll_test` (G's NLL of held-out sequences), and for
  character vocabularies `novel` / `real_held_out` (shares of generated words);
- write: `gantool sample -o out.txt` (detokenised, one sequence a line) or `.npz` (ids);
- onnx_metadata: `vocab` (JSON list of tokens), `pad_id`, `eos_id`, `max_len`,
  `separator`, and the oracle's seed when there is one.
The writer and the metadata are torch-free; the preview imports torch when it draws.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from gantool import UserError
from gantool_text import PLUGIN
from gantool_text.vocab import Vocab

SHOWN_LINES, LINE_CHARS = 32, 96  # what the PNG shows; the .txt has every line
PREVIEW_COUNT = 1000  # sequences drawn at each sample step (the metrics are over them)
HELD_OUT = 1000  # held-out sequences behind the preview's nll_test


def render_lines(lines: list[str], path: Path, title: str = "") -> None:
    """Text lines as a white PNG in Pillow's built-in font."""
    font = ImageFont.load_default()
    rows = ([title] if title else []) + [line[:LINE_CHARS] or "(empty)" for line in lines]
    height = 14
    width = 12 + 7 * max(len(r) for r in rows)
    picture = Image.new("RGB", (max(width, 120), 8 + height * len(rows)), "white")
    pen = ImageDraw.Draw(picture)
    for i, row in enumerate(rows):
        pen.text((6, 4 + height * i), row, fill=(0, 0, 160) if title and i == 0 else "black", font=font)
    picture.save(path)


def words_metrics(generated: list[str], train: set[str], held_out: set[str]) -> dict[str, float]:
    """Shares of generated non-empty lines that are new (not training lines) and that are
    real held-out lines: for `words`, novelty and the share of real unseen words."""
    lines = [g for g in generated if g]
    if not lines:
        return {"novel": 0.0, "real_held_out": 0.0}
    return {"novel": sum(g not in train for g in lines) / len(lines),
            "real_held_out": sum(g in held_out for g in lines) / len(lines)}


class TokenPreview:
    """The kind's training preview (gantool.protocols.Preview)."""

    def __init__(self, data, num_classes: int, count: int):
        self.vocab: Vocab = data.vocab
        self.count = PREVIEW_COUNT
        self.held_out = data.held_out[:HELD_OUT] if data.held_out is not None else None
        self.oracle = None
        if data.oracle_seed is not None:
            from gantool_text.oracle import Oracle

            self.oracle = Oracle.from_seed(data.oracle_seed)
        self.sets = None
        if self.vocab.separator == "" and data.held_out is not None:  # character level: words
            self.sets = (set(self.vocab.decode(data.x)), set(self.vocab.decode(data.held_out)))

    def draw(self, g, z, path: Path) -> dict[str, float]:
        import torch

        ids = g.sample_tokens(z) if hasattr(g, "sample_tokens") else g(z).long()
        tokens = ids.cpu().numpy()
        lines = self.vocab.decode(tokens)
        path.with_suffix(".txt").write_text("".join(line + "\n" for line in lines))
        metrics: dict[str, float] = {}
        if self.oracle is not None:
            metrics["nll_oracle"] = self.oracle.nll(tokens)
        if self.held_out is not None and hasattr(g, "nll"):
            metrics["nll_test"] = float(g.nll(torch.from_numpy(self.held_out).to(ids.device)))
        if self.sets is not None:
            metrics.update(words_metrics(lines, *self.sets))
        title = "  ".join(f"{k} {v:.3f}" for k, v in metrics.items())
        render_lines(lines[:SHOWN_LINES], path, title)
        return metrics


def vocab_of(metadata: dict[str, str], where: object) -> Vocab:
    if "vocab" not in metadata:
        raise UserError(f"{PLUGIN}: {where} generates tokens but has no vocab metadata")
    return Vocab(tuple(json.loads(metadata["vocab"])), int(metadata.get("pad_id", -1)),
                 int(metadata.get("eos_id", -1)), metadata.get("separator", " "))


def write_tokens(sampler, out: np.ndarray, path: Path, fmt: str, columns: int | None, z: np.ndarray,
                 labels: np.ndarray | None) -> None:
    """`gantool sample -o x.txt`: one detokenised sequence a line; `.npz`: ids and z."""
    ids = np.rint(out).astype(np.int64)
    if fmt == ".npz":
        np.savez(path, tokens=ids, z=z)
        return
    lines = vocab_of(sampler.info.metadata, sampler.path).decode(ids)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def onnx_metadata(module, args, cfg) -> dict[str, str]:
    vocab = Vocab.from_json(args.options["vocab"])
    md = {"vocab": json.dumps(list(vocab.tokens)), "pad_id": str(vocab.pad_id), "eos_id": str(vocab.eos_id),
          "max_len": str(args.data_dim), "separator": vocab.separator, "value_range": "token ids"}
    for key in ("oracle_seed", "oracle_digest"):
        if key in args.options:
            md[key] = str(args.options[key])
    return md
