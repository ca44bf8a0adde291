"""Which graphs a trained generator exports, the inputs they are checked with, and the
metadata each file carries.

A model's `OutputHooks.exports(generator, args)` names its graphs ({name: ExportGraph});
an ordinary generator has one, the default graph built here: z [+ labels] -> images (or
samples for vector and table data). Whatever their origin, every graph is then exported by
the same code (gantool.export.onnx_export); nothing here imports torch.

Invariants: the example inputs of a graph are a pure function of its ExportInputs, the
model's class count and the batch size (seed 0), so tracing and checking are reproducible;
every file's metadata is the standard set, then its data kind's (DataKindSpec.onnx_metadata:
a table's columns), then the graph's own entries, which win.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np

from gantool import __version__
from gantool.core import onnx_meta as meta
from gantool.core.errors import UserError
from gantool.export.naming import DEFAULT_GRAPHS
from gantool.plugins import registry
from gantool.specs import BATCH, ExportGraph, ExportInput, ModelArgs, check_name

if TYPE_CHECKING:
    from gantool.config import RunConfig
    from gantool.export.generator import TrainedGenerator



def default_graph(gen: TrainedGenerator) -> ExportGraph:
    """The ordinary generator's graph: `z` [batch, latent_dim] (+ `labels` [batch] when the
    model is conditional) -> `images` [batch, C, H, W], or `samples` [batch, D]."""
    inputs = (ExportInput(meta.INPUT_Z, "float32", (BATCH, gen.args.latent_dim)),)
    if gen.num_classes:
        inputs += (ExportInput(meta.INPUT_LABELS, "int64", (BATCH,), example="labels"),)
    return ExportGraph(gen.module, inputs, meta.OUTPUT_IMAGES if gen.is_image else meta.OUTPUT_SAMPLES)


def graphs_of(gen: TrainedGenerator) -> dict[str, ExportGraph]:
    """{name: graph} that `gantool export` writes for `gen`: the model's `exports` hook's
    graphs, checked, or {"": the default graph}."""
    hook = gen.spec.outputs.exports
    if hook is None:
        return {"": default_graph(gen)}
    model = gen.cfg.model
    graphs = hook(gen.module, gen.args)
    if not isinstance(graphs, dict) or not graphs:
        raise UserError(f"model {model!r} names no graphs to export (its exports hook returned {graphs!r:.60})")
    for name, graph in graphs.items():
        if not isinstance(graph, ExportGraph):
            raise UserError(f"model {model!r}: export graph {name!r} is a {type(graph).__name__}, not an ExportGraph")
        if name not in DEFAULT_GRAPHS:
            try:
                check_name(name)
            except ValueError as exc:
                raise UserError(f"model {model!r}: export graph {exc}") from None
    if all(name in graphs for name in DEFAULT_GRAPHS):
        raise UserError(f"model {model!r} names the default export graph twice ('' and 'generator')")
    return graphs


def example_arrays(inputs: tuple[ExportInput, ...], num_classes: int, batch: int) -> dict[str, np.ndarray]:
    """The inputs, in order, that a graph is traced (small batch) and verified (VERIFY_BATCH)
    with: one generator seeded 0 draws every random input in turn."""
    rng = np.random.default_rng(0)
    arrays = {}
    for spec in inputs:
        shape = tuple(batch if size == BATCH else size for size in spec.shape)
        dtype = np.float32 if spec.dtype == "float32" else np.int64
        if spec.example == "normal":
            value = rng.standard_normal(shape, dtype=np.float32)
        elif spec.example == "uniform":
            value = rng.uniform(-1, 1, shape).astype(np.float32)
        elif spec.example == "labels":
            value = (np.arange(int(np.prod(shape))) % max(1, num_classes)).reshape(shape).astype(np.int64)
        elif spec.example == "ones":
            value = np.ones(shape, dtype)
        else:  # a constant, e.g. a truncation of 0.7
            value = np.full(shape, spec.example, dtype)
        arrays[spec.name] = value
    return arrays


def _sizes(inputs: tuple[ExportInput, ...], num_classes: int) -> tuple[str, str]:
    """latent_dim and num_classes as the graph takes them: 0 without a `z` / `labels` input."""
    z = next((i for i in inputs if i.name == meta.INPUT_Z), None)
    latent = str(z.shape[-1]) if z is not None and len(z.shape) == 2 else "0"
    classes = str(num_classes) if any(i.name == meta.INPUT_LABELS for i in inputs) else "0"
    return latent, classes


def metadata(gen: TrainedGenerator, graph: ExportGraph, uint8: bool, fp16: bool) -> dict[str, str]:
    """The file's metadata_props: the standard description of the model and run, the input
    names, then the graph's own entries. `uint8` is whether this graph's output is uint8."""
    a = gen.args
    shape = f"{a.channels},{a.image_size},{a.image_size}" if gen.is_image else str(a.data_dim)
    latent, classes = _sizes(graph.inputs, gen.num_classes)
    extra = {}
    if gen.spec.outputs.exports is not None:  # a model's own files may need the data it was trained on
        extra[meta.DATA_OPTIONS] = json.dumps(gen.cfg.data_options, sort_keys=True)
    kind = registry().specs.get("data kind", {}).get(gen.spec.data_kind)
    describe = getattr(kind, "onnx_metadata", None)
    if describe is not None:
        extra.update(describe(gen.module, gen.args, gen.cfg))
    return {
        meta.GANTOOL_VERSION: __version__, meta.MODEL: gen.cfg.model, meta.LOSS: gen.cfg.loss,
        meta.KIND: gen.spec.data_kind, meta.LATENT_DIM: latent, meta.NUM_CLASSES: classes,
        meta.IMAGE_SHAPE: shape, meta.VALUE_RANGE: "0,255" if uint8 else ("-1,1" if gen.spec.data_kind != "table" else "data"),
        meta.OUTPUT_LAYOUT: "NHWC" if uint8 else ("NCHW" if gen.is_image else "ND"),
        meta.DATASET: gen.cfg.data, meta.TRAINING_STEP: str(gen.step), meta.CONFIG_HASH: gen.cfg.hash(),
        meta.WEIGHTS: gen.weights, meta.PRECISION: "fp16" if fp16 else "fp32",
        meta.INPUTS: ",".join(i.name for i in graph.inputs), **extra, **graph.metadata,
    }


def table_metadata(module: Any, args: ModelArgs, cfg: RunConfig) -> dict[str, str]:
    """The table kind's export metadata (DataKindSpec.onnx_metadata): the column description,
    so samples read back as the table, and the data options, so eval loads the reference alike."""
    from gantool.core import tables

    return {meta.COLUMNS: tables.to_json(tables.check_columns(getattr(module, "columns", None))),
            meta.DATA_OPTIONS: json.dumps(cfg.data_options, sort_keys=True)}
