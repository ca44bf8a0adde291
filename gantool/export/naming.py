"""The names of the files `gantool export` writes, spelt once so that export, the commands
that read a run's export and the docs agree.

    generator.onnx              the default (gantool.run.layout.GENERATOR, "the run's generator")
    generator-uint8.onnx        --uint8; --fp16 adds -fp16 (generator-uint8-fp16.onnx with both)
    generator-a2b.onnx, ...     an image-to-image model: one translator per direction, the
                                direction appended to the stem of the name (-o t.onnx: t-a2b.onnx)

Only paths are built here; nothing is written or checked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from gantool.run.layout import GENERATOR

SUFFIX = ".onnx"


def default_name(*, uint8: bool = False, fp16: bool = False) -> str:
    """`generator.onnx` with the variant's tags: `generator-uint8-fp16.onnx`."""
    stem = Path(GENERATOR).stem
    return stem + ("-uint8" if uint8 else "") + ("-fp16" if fp16 else "") + SUFFIX


def direction_path(path: Path, direction: str | None) -> Path:
    """The file of one translator of an image-to-image export written as `path` (`path` itself
    for an ordinary generator, which has no direction)."""
    if direction is None:
        return path
    return path.with_name(f"{path.stem}-{direction}{path.suffix or SUFFIX}")


def export_paths(folder: Path, directions: Sequence[str | None], *, output: Path | None = None,
                 uint8: bool = False, fp16: bool = False) -> list[Path]:
    """Where each part of one export goes, in the order of `directions` (one None for an
    ordinary generator): `output` when given, else `folder`/the default name for the variant."""
    base = output if output is not None else Path(folder) / default_name(uint8=uint8, fp16=fp16)
    return [direction_path(base, direction) for direction in directions]
