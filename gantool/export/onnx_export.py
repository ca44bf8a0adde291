"""Export the graphs of a TrainedGenerator to ONNX and verify them against PyTorch with ONNX Runtime.

Every graph, the default z [+ labels] one or one of a model's own (gantool.export.graphs),
goes through the same path: traced with its example inputs, rewritten (optimize.py),
described (metadata), written beside its destination, checked (onnx checker, then ONNX
Runtime vs PyTorch on the graph's example inputs) and only then renamed into place. The
files of one export are all checked before any is renamed: a failed export never leaves a
file behind and never replaces an existing one.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import io
import logging
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
from gantool.export import generator as trained
from gantool.export.generator import TrainedGenerator
from gantool.export.graphs import default_graph, example_arrays, graphs_of, metadata
from gantool.export.naming import export_paths
from gantool.export.optimize import optimize
from gantool.specs import ExportGraph, ExportInput

MIN_OPSET = 14  # torch.onnx's exporter writes 18 and converts down; below 14 the conversion fails


@functools.lru_cache(maxsize=1)
def max_opset() -> int:
    """The newest opset both onnx and the installed ONNX Runtime accept: ONNX Runtime refuses
    opsets still under development, which onnx already knows."""
    import onnxruntime as ort
    from onnx import TensorProto, helper

    for version in range(onnx.defs.onnx_opset_version(), 18, -1):
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
        model = helper.make_model(helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "probe", [x],
                                                    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])]),
                                  opset_imports=[helper.make_opsetid("", version)])
        model.ir_version = helper.find_min_ir_version_for(list(model.opset_import))  # not the newest IR: ORT may lag
        try:
            ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
            return version
        except Exception:  # ONNX Runtime's Fail: not this one
            continue
    return 18


def check_opset(opset: int) -> None:
    if not MIN_OPSET <= opset <= max_opset():
        raise UserError(f"--opset {opset} is not supported here: use {MIN_OPSET}..{max_opset()} (default 18)")


def _written_opset(model: onnx.ModelProto) -> int | None:
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)


# max |onnx - torch| allowed: float outputs in [-1, 1]; uint8 outputs in levels of 255
TOLERANCE = {"fp32": 1e-4, "fp16": 1e-2, "uint8": 1.0}
VERIFY_BATCH = 8
TRACE_BATCH = 2  # unlike VERIFY_BATCH, so the check also proves the batch axis dynamic


class ExportWrapper(nn.Module):
    """Fixes the ONNX signature of a graph's module: float inputs and output stay float32
    around an fp16 module, and an `images` output may become uint8 NHWC."""

    def __init__(self, module: nn.Module, uint8: bool, fp16: bool):
        super().__init__()
        self.module = module.half() if fp16 else module
        self.uint8, self.fp16 = uint8, fp16

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        if self.fp16:
            inputs = tuple(x.half() if x.is_floating_point() else x for x in inputs)
        out = self.module(*inputs)
        out = out.float() if out.is_floating_point() else out
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
    name: str = ""  # the graph's name ("" for the default file's graph)
    inputs: tuple[ExportInput, ...] = ()
    output: str = ""


@dataclass
class _Target:
    """One graph of an export on its way to `path`, and the variant it is written as."""

    name: str
    graph: ExportGraph
    path: Path
    uint8: bool
    fp16: bool

    @property
    def tolerance(self) -> float:
        return TOLERANCE["uint8" if self.uint8 else ("fp16" if self.fp16 else "fp32")]


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


def _write_onnx(gen: TrainedGenerator, target: _Target, path: Path, opset: int) -> dict[str, str]:
    """Trace `target`'s graph, optimize it, describe it and save it at `path`; its metadata."""
    graph = target.graph
    module = copy.deepcopy(graph.module) if target.fp16 else graph.module  # .half() must not touch the fp32 reference
    wrapper = ExportWrapper(module, uint8=target.uint8, fp16=target.fp16).eval()
    example = {k: torch.from_numpy(v) for k, v in example_arrays(graph.inputs, gen.num_classes, TRACE_BATCH).items()}
    batch = torch.export.Dim("batch")
    try:
        with quiet_exporter():
            program = torch.onnx.export(
                wrapper, tuple(example.values()), input_names=list(example), output_names=[graph.output],
                # one entry: the wrapper's *inputs, as a tuple of per-input specs
                dynamic_shapes=(tuple({0: batch} if i.batched else None for i in graph.inputs),),
                opset_version=opset, dynamo=True, verbose=False,
            )
            model = program.model_proto
    except Exception as exc:
        raise RuntimeError(f"torch.onnx.export failed for model {gen.cfg.model!r}: {exc}") from exc
    if (written := _written_opset(model)) != opset:  # the exporter falls back silently when it cannot convert
        raise UserError(f"--opset {opset}: torch's exporter could not convert model {gen.cfg.model!r} to it (it "
                        f"wrote opset {written}); nothing written; try a newer opset, e.g. the default 18")
    optimize(model)
    described = metadata(gen, graph, target.uint8, target.fp16)
    del model.metadata_props[:]
    onnx.helper.set_model_props(model, described)
    model.doc_string = f"{gen.cfg.model} generator exported by gantool {__version__}"
    onnx.save(model, str(path))
    return described


def verify(gen: TrainedGenerator, target: _Target, path: Path) -> float:
    """onnx checker, then ONNX Runtime (CPU) against PyTorch on the graph's example inputs;
    returns the max difference."""
    import onnxruntime as ort

    onnx.checker.check_model(str(path), full_check=True)
    graph = target.graph
    inputs = example_arrays(graph.inputs, gen.num_classes, VERIFY_BATCH)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    if names != list(inputs) or [o.name for o in session.get_outputs()] != [graph.output]:
        raise RuntimeError(f"exported graph takes {names} and gives {[o.name for o in session.get_outputs()]}, "
                           f"not {list(inputs)} -> {graph.output!r}")
    got = session.run(None, inputs)[0]
    with torch.no_grad():
        reference = ExportWrapper(graph.module, uint8=target.uint8, fp16=False).eval()
        want = reference(*[torch.from_numpy(v) for v in inputs.values()]).numpy()
    if got.shape != want.shape or got.dtype != want.dtype:
        raise RuntimeError(f"ONNX output {got.shape} {got.dtype} differs from PyTorch {want.shape} {want.dtype}")
    diff = np.abs(got.astype(np.float64) - want.astype(np.float64))
    if gen.spec.data_kind == "table":  # values in the data's own units: relative above 1
        diff = diff / np.maximum(1.0, np.abs(want.astype(np.float64)))
    return float(diff.max()) if diff.size else 0.0


def _check_destination(out: Path, force: bool) -> None:
    if out.exists() and not force:
        raise UserError(f"{out} exists; pass --force to replace it or -o to write elsewhere")
    if not out.parent.is_dir():
        raise UserError(f"cannot write {out}: folder {out.parent} does not exist")
    if not os.access(out.parent, os.W_OK):
        raise UserError(f"cannot write {out}: folder {out.parent} is not writable")


def _export_targets(gen: TrainedGenerator, targets: list[_Target], opset: int, force: bool) -> list[ExportReport]:
    """Write and check every target to a temp file beside its destination, then rename them
    all; on any failure every temp file is removed and no destination is touched."""
    check_opset(opset)
    for target in targets:  # refuse before writing anything, not halfway through
        _check_destination(target.path, force)
    temps: list[Path] = []
    checked: list[tuple[float, dict[str, str]]] = []
    try:
        for target in targets:
            fd, name = tempfile.mkstemp(prefix=f".{target.path.name}.", suffix=".tmp", dir=target.path.parent)
            os.close(fd)
            temps.append(Path(name))
            described = _write_onnx(gen, target, temps[-1], opset)
            diff = verify(gen, target, temps[-1])
            if not diff <= target.tolerance:
                graph = f" graph {target.name!r}" if target.name else ""
                raise RuntimeError(f"exported model{graph} differs from PyTorch by {diff:.3g} "
                                   f"(tolerance {target.tolerance:g}); nothing written")
            checked.append((diff, described))
        for target, tmp in zip(targets, temps):
            os.chmod(tmp, FILE_MODE)
            os.replace(tmp, target.path)
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
    return [ExportReport(t.path, diff, t.tolerance, t.path.stat().st_size, described, t.name, t.graph.inputs, t.graph.output)
            for t, (diff, described) in zip(targets, checked)]


def _targets(gen: TrainedGenerator, graphs: dict[str, ExportGraph], paths: list[Path],
             uint8: bool, fp16: bool) -> list[_Target]:
    """--uint8 turns the `images` output of each graph that has one into uint8 NHWC."""
    if uint8 and not gen.is_image:
        raise UserError(f"--uint8 is for image generators; {gen.cfg.model!r} generates {gen.spec.data_kind} data")
    if uint8 and not any(g.output == meta.OUTPUT_IMAGES for g in graphs.values()):
        raise UserError(f"--uint8 is for graphs with output 'images'; {gen.cfg.model!r} exports none")
    return [_Target(name, graph, path, uint8 and graph.output == meta.OUTPUT_IMAGES, fp16)
            for (name, graph), path in zip(graphs.items(), paths)]


def export(gen: TrainedGenerator, out: Path, *, uint8: bool = False, fp16: bool = False, opset: int = 18,
           force: bool = False, graph: ExportGraph | None = None) -> ExportReport:
    """Export one graph of `gen` to `out`: `graph`, or the default graph of an ordinary generator."""
    if graph is None:
        if gen.spec.outputs.exports is not None:
            raise ValueError(f"model {gen.cfg.model!r} names its own export graphs; export them with export_graphs")
        graph = default_graph(gen)
    return _export_targets(gen, _targets(gen, {"": graph}, [out], uint8, fp16), opset, force)[0]


def export_graphs(gen: TrainedGenerator, out: Path, *, uint8: bool = False, fp16: bool = False, opset: int = 18,
                  force: bool = False) -> list[ExportReport]:
    """Export every graph `gen` has (gantool.export.graphs.graphs_of), the default one to
    `out` and graph NAME beside it (gantool.export.naming), all or nothing."""
    graphs = graphs_of(gen)
    paths = export_paths(out.parent, list(graphs), output=out)
    return _export_targets(gen, _targets(gen, graphs, paths, uint8, fp16), opset, force)


@dataclass
class RunExport:
    generator: TrainedGenerator
    reports: list[ExportReport]

    @property
    def default(self) -> bool:
        """Whether the export is the ordinary generator's default graph (no graphs of the model's own)."""
        return self.generator.spec.outputs.exports is None


def export_run(source: Path, *, output: Path | None = None, weights: str | None = None, uint8: bool = False,
               fp16: bool = False, opset: int = 18, force: bool = False) -> RunExport:
    """`gantool export`: the generator of a run directory or checkpoint, every graph of it,
    written to `output` or the run's folder under the variant's default name."""
    gen = trained.load(source, weights)
    folder = gen.run_dir if gen.run_dir is not None else source.parent
    out = export_paths(folder, [None], output=output, uint8=uint8, fp16=fp16)[0]
    return RunExport(gen, export_graphs(gen, out, uint8=uint8, fp16=fp16, opset=opset, force=force))
