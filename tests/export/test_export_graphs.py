"""Export graphs: a model's `exports` hook names the files `gantool export` writes, each with
inputs of its own (a StyleGAN-like `truncation`, a mapping network's file), and every one is
traced, described, checked against PyTorch and renamed into place by the one export path;
a graph ONNX Runtime does not reproduce is refused with nothing written."""

from __future__ import annotations

import dataclasses

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from torch import nn
from typer.testing import CliRunner

from gantool import ExportGraph, ExportInput, hookimpl, plugins
from gantool.cli import build_app
from gantool.core import onnx_meta as meta
from gantool.core.errors import UserError
from gantool.core.onnx_meta import INPUTS
from gantool.export import generator
from gantool.export.graphs import example_arrays, graphs_of
from gantool.export.onnx_export import export, export_graphs, export_run
from gantool.specs import GanModules, ModelSpec, OutputHooks
from tests.conftest import random_images, train_checkpoint

LATENT, WIDTH, SIZE = 6, 8, 4


class Mapping(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(LATENT, WIDTH)

    def forward(self, z):
        return self.fc(z)


class TruncatedGenerator(nn.Module):
    """tanh(mapping(z) @ W) * truncation[:, None], as a 1 x 4 x 4 image; trained as G(z)."""

    def __init__(self):
        super().__init__()
        self.mapping = Mapping()
        self.synthesis = nn.Linear(WIDTH, SIZE * SIZE)

    def forward(self, z, truncation=None):
        x = torch.tanh(self.synthesis(self.mapping(z)))
        if truncation is not None:
            x = x * truncation[:, None]
        return x.view(-1, 1, SIZE, SIZE)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(SIZE * SIZE, 1)

    def forward(self, x):
        return self.fc(x.flatten(1)).squeeze(1)


def two_graphs(g: TruncatedGenerator, args) -> dict[str, ExportGraph]:
    z = ExportInput("z", "float32", ("batch", args.latent_dim))
    truncation = ExportInput("truncation", "float32", ("batch",), example=0.7)
    return {"": ExportGraph(g, (z, truncation), "images", {"default_truncation": "0.7"}),
            "mapping": ExportGraph(g.mapping, (z,), "w", {"w_dim": str(WIDTH)})}


class GraphsPlugin:
    @hookimpl
    def register_models(self, register):
        register(ModelSpec(name="graphtest", summary="test model with export graphs of its own",
                           build=lambda a: GanModules(TruncatedGenerator(), Discriminator()),
                           outputs=OutputHooks(exports=two_graphs)))


def register_graphtest() -> None:
    p = plugins.get_plugins()
    if "graphtest" not in p.registry.specs["model"]:
        p.pm.register(GraphsPlugin(), name="graphtest")
        p.registry.plugins["graphtest"] = plugins.PluginInfo(name="graphtest", version="0", builtin=False)
        p._register_specs("graphtest")


@pytest.fixture(autouse=True)
def graphtest_model(isolated_env):
    """The plugins are reset around every test (tests/conftest.py): register it again."""
    register_graphtest()


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A run of the graphtest model, trained 2 steps once for the module."""
    register_graphtest()
    return train_checkpoint(tmp_path_factory.mktemp("graphs"), "graphtest", random_images(size=SIZE),
                            image_size=SIZE, latent_dim=LATENT)


def with_exports(gen, hook):
    """`gen` as if its model's exports hook were `hook`."""
    return dataclasses.replace(gen, spec=dataclasses.replace(gen.spec, outputs=OutputHooks(exports=hook)))


def metadata_of(path) -> dict[str, str]:
    return {p.key: p.value for p in onnx.load(str(path)).metadata_props}


def test_every_graph_is_written_verified_and_described(run):
    result = CliRunner().invoke(build_app(), ["export", str(run), "--onnx"], terminal_width=200)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"exported graphtest (raw weights, step 2) to {run / 'generator.onnx'}")
    assert "inputs: z float32 [batch, 6], truncation float32 [batch]; output: images" in lines
    assert "inputs: z float32 [batch, 6]; output: w" in lines
    assert sum(line.startswith("verified: onnx checker passed") for line in lines) == 2

    gen = generator.load(run)
    full = ort.InferenceSession(str(run / "generator.onnx"), providers=["CPUExecutionProvider"])
    assert [i.name for i in full.get_inputs()] == ["z", "truncation"]
    assert [o.name for o in full.get_outputs()] == ["images"]
    z = np.random.default_rng(3).standard_normal((3, LATENT), dtype=np.float32)  # another batch size
    truncation = np.array([0.5, 0.25, 1.5], np.float32)  # not the example's 0.7
    got = full.run(None, {"z": z, "truncation": truncation})[0]
    with torch.no_grad():
        want = gen.module(torch.from_numpy(z), torch.from_numpy(truncation)).numpy()
    np.testing.assert_allclose(got, want, atol=1e-5)
    assert not np.allclose(got, full.run(None, {"z": z, "truncation": np.ones(3, np.float32)})[0])

    mapping = ort.InferenceSession(str(run / "generator-mapping.onnx"), providers=["CPUExecutionProvider"])
    assert [i.name for i in mapping.get_inputs()] == ["z"] and [o.name for o in mapping.get_outputs()] == ["w"]
    with torch.no_grad():
        np.testing.assert_allclose(mapping.run(None, {"z": z})[0], gen.module.mapping(torch.from_numpy(z)).numpy(), atol=1e-5)

    md, mapping_md = metadata_of(run / "generator.onnx"), metadata_of(run / "generator-mapping.onnx")
    for m in (md, mapping_md):  # the standard description, then the graph's own entries
        assert m[meta.MODEL] == "graphtest" and m[meta.TRAINING_STEP] == "2" and m[meta.WEIGHTS] == "raw"
        assert m[meta.LATENT_DIM] == str(LATENT) and m[meta.CONFIG_HASH] == gen.cfg.hash()
        assert meta.DATA_OPTIONS in m and m[meta.PRECISION] == "fp32"
    assert md[INPUTS] == "z,truncation" and md["default_truncation"] == "0.7"
    assert mapping_md[INPUTS] == "z" and mapping_md["w_dim"] == "8" and "default_truncation" not in mapping_md
    dim = onnx.load(str(run / "generator.onnx")).graph.input[1].type.tensor_type.shape.dim[0]
    assert dim.dim_param and not dim.dim_value  # truncation shares the dynamic batch axis

    again = CliRunner().invoke(build_app(), ["export", str(run)])  # both exist: refused before writing
    assert isinstance(again.exception, UserError) and "generator.onnx exists; pass --force" in str(again.exception)


def test_uint8_turns_only_the_images_output_into_uint8(run, tmp_path):
    reports = export_graphs(generator.load(run), tmp_path / "g.onnx", uint8=True, fp16=True)
    assert [(r.name, r.path.name) for r in reports] == [("", "g.onnx"), ("mapping", "g-mapping.onnx")]
    z = np.zeros((2, LATENT), np.float32)
    images = ort.InferenceSession(str(tmp_path / "g.onnx"), providers=["CPUExecutionProvider"]).run(None, {"z": z, "truncation": np.ones(2, np.float32)})[0]
    w = ort.InferenceSession(str(tmp_path / "g-mapping.onnx"), providers=["CPUExecutionProvider"]).run(None, {"z": z})[0]
    assert images.dtype == np.uint8 and images.shape == (2, SIZE, SIZE, 1)
    assert w.dtype == np.float32 and w.shape == (2, WIDTH)
    assert metadata_of(tmp_path / "g.onnx")[meta.VALUE_RANGE] == "0,255"
    assert metadata_of(tmp_path / "g-mapping.onnx")[meta.PRECISION] == "fp16"
    assert reports[0].tolerance == 1.0 and reports[1].tolerance == 1e-2


class ExportsDifferently(nn.Module):
    """Takes another python branch while it is being exported, as a branch on a value the
    exporter fixes at trace time would: the ONNX graph is not what PyTorch computes."""

    def forward(self, z):
        return -z if torch.compiler.is_exporting() else z


class DataDependent(nn.Module):
    def forward(self, z):
        return z if bool(z.sum() > 0) else -z


@pytest.mark.parametrize("module, error", [(ExportsDifferently(), "differs from PyTorch by .*; nothing written"),
                                           (DataDependent(), "torch.onnx.export failed")])
def test_a_graph_onnx_runtime_does_not_reproduce_is_refused_with_nothing_written(run, tmp_path, module, error):
    def hook(g, args):
        z = ExportInput("z", "float32", ("batch", args.latent_dim))
        return {"": two_graphs(g, args)[""], "bad": ExportGraph(module, (z,), "w")}

    gen = with_exports(generator.load(run), hook)
    with pytest.raises(RuntimeError, match=error):
        export_graphs(gen, tmp_path / "generator.onnx")
    assert list(tmp_path.iterdir()) == []  # not even the good graph, nor a temp file


def test_scalar_and_integer_inputs(run, tmp_path):
    class Scaled(nn.Module):
        def forward(self, z, scale, steps):
            return z * scale + steps[:, None].float()

    inputs = (ExportInput("z", "float32", ["batch", 3], "uniform"), ExportInput("scale", "float32", (), 2.0),
              ExportInput("steps", "int64", ("batch",), "ones"))
    report = export(generator.load(run), tmp_path / "s.onnx", graph=ExportGraph(Scaled(), inputs, "samples"))
    assert report.max_diff <= 1e-6 and report.metadata[INPUTS] == "z,scale,steps"
    assert (report.metadata[meta.LATENT_DIM], report.metadata[meta.NUM_CLASSES]) == ("3", "0")  # z's size; no labels
    session = ort.InferenceSession(str(report.path), providers=["CPUExecutionProvider"])
    out = session.run(None, {"z": np.ones((2, 3), np.float32), "scale": np.array(3, np.float32), "steps": np.array([1, 2])})[0]
    np.testing.assert_allclose(out, [[4, 4, 4], [5, 5, 5]])


def test_example_inputs_are_fixed_per_graph():
    inputs = (ExportInput("z", "float32", ("batch", 2)), ExportInput("labels", "int64", ("batch",), "labels"),
              ExportInput("image", "float32", ("batch", 1, 2, 2), "uniform"), ExportInput("t", "float32", ("batch",), 0.5))
    a, b = example_arrays(inputs, 3, 5), example_arrays(inputs, 3, 5)
    assert all(np.array_equal(a[k], b[k]) for k in a) and list(a) == ["z", "labels", "image", "t"]
    assert a["labels"].tolist() == [0, 1, 2, 0, 1] and a["labels"].dtype == np.int64
    assert a["image"].shape == (5, 1, 2, 2) and np.abs(a["image"]).max() <= 1
    assert a["t"].tolist() == [0.5] * 5 and a["z"].dtype == np.float32
    # the default graph's latents are those of earlier releases: rng(0) normal, first drawn
    np.testing.assert_array_equal(a["z"], np.random.default_rng(0).standard_normal((5, 2), dtype=np.float32))


def test_bad_specs_and_hooks_are_refused(run):
    for bad, message in [(dict(name="z-1"), "must be an identifier"), (dict(dtype="float64"), "float32 or int64"),
                         (dict(shape=(2, "batch")), "'batch' is the first axis only"),
                         (dict(shape=("batch", 0)), "positive size"), (dict(dtype="int64"), "labels, ones for int64")]:
        with pytest.raises(ValueError, match=message):
            ExportInput(**{"name": "z", "dtype": "float32", "shape": ("batch", 2), **bad})
    z = ExportInput("z", "float32", ("batch", 2))
    with pytest.raises(ValueError, match="unique"):
        ExportGraph(nn.Identity(), (z, z))
    with pytest.raises(ValueError, match="non-empty tuple of ExportInput"):
        ExportGraph(nn.Identity(), ())
    gen = generator.load(run)
    graph = ExportGraph(nn.Identity(), (z,))
    for hook, message in [(lambda g, a: {}, "names no graphs to export"),
                          (lambda g, a: {"a2b": nn.Identity()}, "'a2b' is a Identity, not an ExportGraph"),
                          (lambda g, a: {"A2B": graph}, "invalid name 'A2B'"),
                          (lambda g, a: {"": graph, "generator": graph}, "default export graph twice")]:
        with pytest.raises(UserError, match=message):
            graphs_of(with_exports(gen, hook))
    with pytest.raises(ValueError, match="names its own export graphs"):
        export(gen, run / "x.onnx")


def test_export_run_of_an_ordinary_generator_is_the_default_graph(tmp_path):
    run = train_checkpoint(tmp_path, "gan", random_images())
    result = export_run(run)
    assert result.default and [(r.name, r.path) for r in result.reports] == [("", run / "generator.onnx")]
    assert [i.name for i in result.reports[0].inputs] == ["z"] and result.reports[0].output == "images"
    assert result.reports[0].metadata[INPUTS] == "z" and meta.DATA_OPTIONS not in result.reports[0].metadata
