"""Export a TrainedGenerator to ONNX and verify it against PyTorch with ONNX Runtime.

The file is written beside its destination, checked (onnx checker, then ONNX Runtime vs
PyTorch on a fixed batch), and only then renamed into place: a failed export never leaves
a file behind and never replaces an existing one.
"""

from __future__ import annotations

import contextlib
import io
import logging
import json
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn

from gantool import __version__
from gantool.core import onnx_meta as meta
from gantool.core.errors import UserError
from gantool.core.fsutil import FILE_MODE
from gantool.export.generator import TrainedGenerator
from gantool.export.optimize import optimize

# max |onnx - torch| allowed: float outputs in [-1, 1]; uint8 outputs in levels of 255
TOLERANCE = {"fp32": 1e-4, "fp16": 1e-2, "uint8": 1.0}
VERIFY_BATCH = 8


class ExportWrapper(nn.Module):
    """Fixes the ONNX signature: float32 in and out, optional labels, optional uint8 NHWC."""

    def __init__(self, generator: nn.Module, conditional: bool, uint8: bool, fp16: bool):
        super().__init__()
        self.generator = generator.half() if fp16 else generator
        self.conditional, self.uint8, self.fp16 = conditional, uint8, fp16

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        x = z.half() if self.fp16 else z
        out = (self.generator(x, labels) if self.conditional else self.generator(x)).float()
        if self.uint8:
            out = torch.round((out + 1.0) * 127.5).clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1)
        return out


@dataclass
class ExportReport:
    path: Path
    max_diff: float
    tolerance: float
    size_bytes: int
    metadata: dict[str, str]


def fixed_inputs(latent_dim: int, num_classes: int, batch: int = VERIFY_BATCH) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    inputs = {meta.INPUT_Z: rng.standard_normal((batch, latent_dim), dtype=np.float32)}
    if num_classes:
        inputs[meta.INPUT_LABELS] = (np.arange(batch) % num_classes).astype(np.int64)
    return inputs


def example_inputs(gen: TrainedGenerator, batch: int = VERIFY_BATCH) -> dict[str, np.ndarray]:
    """The fixed inputs an export is traced and verified with: latents (and labels), or
    images in [-1, 1] for an image-to-image translator."""
    if gen.direction is None:
        return fixed_inputs(gen.args.latent_dim, gen.num_classes, batch)
    a = gen.args
    shape = (batch, a.channels, a.image_size, a.image_size)
    return {meta.INPUT_IMAGE: np.random.default_rng(0).uniform(-1, 1, shape).astype(np.float32)}


def metadata(gen: TrainedGenerator, uint8: bool, fp16: bool) -> dict[str, str]:
    a = gen.args
    shape = f"{a.channels},{a.image_size},{a.image_size}" if gen.is_image else str(a.data_dim)
    extra = {}
    if gen.direction is not None:  # a translator: no latents; the domains it maps between
        extra = {meta.DIRECTION: gen.direction, meta.DATA_OPTIONS: json.dumps(gen.cfg.data_options, sort_keys=True)}
    if gen.spec.data_kind == "table":  # the column description, so samples read back as the table
        from gantool.core import tables

        extra = {meta.COLUMNS: tables.to_json(tables.check_columns(getattr(gen.module, "columns", None))),
                 meta.DATA_OPTIONS: json.dumps(gen.cfg.data_options, sort_keys=True)}
    return {
        meta.GANTOOL_VERSION: __version__, meta.MODEL: gen.cfg.model, meta.LOSS: gen.cfg.loss,
        meta.KIND: gen.spec.data_kind, meta.LATENT_DIM: str(a.latent_dim if gen.direction is None else 0), meta.NUM_CLASSES: str(gen.num_classes),
        meta.IMAGE_SHAPE: shape, meta.VALUE_RANGE: "0,255" if uint8 else ("-1,1" if gen.spec.data_kind != "table" else "data"),
        meta.OUTPUT_LAYOUT: "NHWC" if uint8 else ("NCHW" if gen.is_image else "ND"),
        meta.DATASET: gen.cfg.data, meta.TRAINING_STEP: str(gen.step), meta.CONFIG_HASH: gen.cfg.hash(),
        meta.WEIGHTS: gen.weights, meta.PRECISION: "fp16" if fp16 else "fp32", **extra,
    }


@contextlib.contextmanager
def quiet_exporter():
    """The dynamo exporter narrates every stage and warns about optional packages."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _torch_reference(gen: TrainedGenerator, inputs: dict[str, np.ndarray], uint8: bool) -> np.ndarray:
    wrapper = ExportWrapper(gen.module, gen.spec.conditional, uint8=uint8, fp16=False)
    with torch.no_grad():
        return wrapper(*[torch.from_numpy(v) for v in inputs.values()]).numpy()


def _write_onnx(gen: TrainedGenerator, path: Path, uint8: bool, fp16: bool, opset: int) -> None:
    import copy

    module = copy.deepcopy(gen.module) if fp16 else gen.module  # .half() must not touch the fp32 reference
    wrapper = ExportWrapper(module, gen.spec.conditional, uint8=uint8, fp16=fp16).eval()
    example = {k: torch.from_numpy(v) for k, v in example_inputs(gen, 2).items()}
    batch = torch.export.Dim("batch")
    output = meta.OUTPUT_IMAGES if gen.is_image else meta.OUTPUT_SAMPLES
    try:
        with quiet_exporter():
            program = torch.onnx.export(
                wrapper, tuple(example.values()), input_names=list(example), output_names=[output],
                dynamic_shapes=tuple({0: batch} for _ in example), opset_version=opset, dynamo=True,
                verbose=False,
            )
            model = program.model_proto
    except Exception as exc:
        raise RuntimeError(f"torch.onnx.export failed for model {gen.cfg.model!r}: {exc}") from exc
    optimize(model)
    del model.metadata_props[:]
    onnx.helper.set_model_props(model, metadata(gen, uint8, fp16))
    model.doc_string = f"{gen.cfg.model} generator exported by gantool {__version__}"
    onnx.save(model, str(path))


def verify(gen: TrainedGenerator, path: Path, uint8: bool, fp16: bool) -> float:
    """onnx checker, then ONNX Runtime (CPU) against PyTorch; returns the max difference."""
    import onnxruntime as ort

    onnx.checker.check_model(str(path), full_check=True)
    inputs = example_inputs(gen)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, inputs)[0]
    want = _torch_reference(gen, inputs, uint8)
    if got.shape != want.shape or got.dtype != want.dtype:
        raise RuntimeError(f"ONNX output {got.shape} {got.dtype} differs from PyTorch {want.shape} {want.dtype}")
    diff = np.abs(got.astype(np.float64) - want.astype(np.float64))
    if gen.spec.data_kind == "table":  # values in the data's own units: relative above 1
        diff = diff / np.maximum(1.0, np.abs(want.astype(np.float64)))
    return float(diff.max())


def export(gen: TrainedGenerator, out: Path, *, uint8: bool = False, fp16: bool = False, opset: int = 18,
           force: bool = False) -> ExportReport:
    if uint8 and not gen.is_image:
        raise UserError(f"--uint8 is for image generators; {gen.cfg.model!r} generates {gen.spec.data_kind} data")
    if out.exists() and not force:
        raise UserError(f"{out} exists; pass --force to replace it or -o to write elsewhere")
    if not out.parent.is_dir():
        raise UserError(f"cannot write {out}: folder {out.parent} does not exist")
    if not os.access(out.parent, os.W_OK):
        raise UserError(f"cannot write {out}: folder {out.parent} is not writable")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        _write_onnx(gen, tmp, uint8, fp16, opset)
        diff = verify(gen, tmp, uint8, fp16)
        tolerance = TOLERANCE["uint8" if uint8 else ("fp16" if fp16 else "fp32")]
        if not diff <= tolerance:
            raise RuntimeError(f"exported model differs from PyTorch by {diff:.3g} (tolerance {tolerance:g}); nothing written")
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return ExportReport(out, diff, tolerance, out.stat().st_size, metadata(gen, uint8, fp16))
