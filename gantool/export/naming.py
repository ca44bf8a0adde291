"""The names of the files `gantool export` writes, spelt once so that export, the commands
that read a run's export and the docs agree.

    generator.onnx              the default (gantool.run.layout.GENERATOR, "the run's generator"):
                                the ordinary z [+ labels] graph, or a model's export graph
                                named "" or "generator"
    generator-uint8.onnx        --uint8; --fp16 adds -fp16 (generator-uint8-fp16.onnx with both)
    generator-a2b.onnx, ...     any other export graph NAME of a model (cyclegan's translators
                                "a2b" and "b2a", a mapping network): the name appended to the
                                stem of the default name (-o t.onnx: t-a2b.onnx)

Only paths are built here; nothing is written or checked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from gantool.run.layout import GENERATOR

SUFFIX = ".onnx"
DEFAULT_GRAPHS = ("", "generator")  # export graph names that mean the default file itself


def default_name(*, uint8: bool = False, fp16: bool = False) -> str:
    """`generator.onnx` with the variant's tags: `generator-uint8-fp16.onnx`."""
    stem = Path(GENERATOR).stem
    return stem + ("-uint8" if uint8 else "") + ("-fp16" if fp16 else "") + SUFFIX


def graph_path(path: Path, name: str | None) -> Path:
    """The file of export graph `name` of an export written as `path`: `path` itself for the
    default graph (None, "" or "generator"), else `path` with `-name` after its stem."""
    if name is None or name in DEFAULT_GRAPHS:
        return path
    return path.with_name(f"{path.stem}-{name}{path.suffix or SUFFIX}")



def export_paths(folder: Path, names: Sequence[str | None], *, output: Path | None = None,
                 uint8: bool = False, fp16: bool = False) -> list[Path]:
    """Where each graph of one export goes, in the order of `names` (None or "" for the
    default graph): `output` when given, else `folder`/the default name for the variant."""
    base = output if output is not None else Path(folder) / default_name(uint8=uint8, fp16=fp16)
    return [graph_path(base, name) for name in names]
