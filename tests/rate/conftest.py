"""Small hand-built ONNX generators for the rating tests (no training, no torch): a run
directory or an .onnx file that `gantool rate make` samples with ONNX Runtime."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper


def tiny_generator(path: Path, classes: int = 0, seed: int = 0, latent: int = 8) -> Path:
    """z [batch, latent] (+ labels int64 [batch]) -> tanh(z W (+ E[labels])) as [batch, 1, 28, 28],
    with gantool's metadata (image shape, dataset mnist, model tiny)."""
    rng = np.random.default_rng(seed)
    weights = [numpy_helper.from_array(rng.standard_normal((latent, 784)).astype(np.float32) * 0.5, "w"),
               numpy_helper.from_array(np.array([-1, 1, 28, 28], np.int64), "shape")]
    inputs = [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", latent])]
    nodes = [helper.make_node("MatMul", ["z", "w"], ["h"])]
    if classes:
        weights.append(numpy_helper.from_array(rng.standard_normal((classes, 784)).astype(np.float32), "embed"))
        inputs.append(helper.make_tensor_value_info("labels", TensorProto.INT64, ["batch"]))
        nodes += [helper.make_node("Gather", ["embed", "labels"], ["e"]), helper.make_node("Add", ["h", "e"], ["he"])]
    nodes += [helper.make_node("Tanh", ["he" if classes else "h"], ["t"]),
              helper.make_node("Reshape", ["t", "shape"], ["images"])]
    graph = helper.make_graph(nodes, "tiny", inputs,
                              [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["batch", 1, 28, 28])], weights)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=9)
    meta = {"gantool_version": "test", "model": "tiny", "kind": "image", "latent_dim": str(latent),
            "num_classes": str(classes), "image_shape": "1,28,28", "value_range": "-1,1", "dataset": "mnist"}
    for k, v in meta.items():
        model.metadata_props.add(key=k, value=v)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, path)
    return path


def tiny_run(root: Path, name: str = "exp", **kwargs) -> Path:
    """A run directory runs/tiny/NAME holding generator.onnx (and the config that makes it a run)."""
    run = root / "runs" / "tiny" / name
    tiny_generator(run / "generator.onnx", **kwargs)
    (run / "config.toml").write_text('model = "tiny"\n')
    return run


@pytest.fixture
def generator(tmp_path) -> Path:
    return tiny_generator(tmp_path / "g.onnx")
