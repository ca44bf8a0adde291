"""`gantool sample` on generators whose shapes are not the usual dynamic-batch ones: a graph
exported at a fixed batch runs in batches of exactly that size, and an output that is
neither images nor points is one line (it used to be a ValueError deep in imaging)."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper

from tests.conftest import gantool


def _model(path, z_shape, out_shape, nodes, initializers=()):
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("z", TensorProto.FLOAT, z_shape)],
                              [helper.make_tensor_value_info("out", TensorProto.FLOAT, out_shape)], list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    onnx.save(model, path)


def test_a_generator_exported_at_batch_1_is_sampled_one_at_a_time(tmp_path):
    _model(tmp_path / "fixed.onnx", [1, 2], [1, 2], [helper.make_node("Tanh", ["z"], ["out"])])
    result = gantool("sample", "fixed.onnx", "-n", "5", "--seed", "3", "-o", "points.csv", "--provider", "cpu",
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = np.loadtxt(tmp_path / "points.csv", delimiter=",", skiprows=1)
    expected = np.tanh(np.random.default_rng(3).standard_normal((5, 2), dtype=np.float32))
    assert rows.shape == (5, 2) and np.allclose(rows, expected, atol=1e-6)


def test_a_three_dimensional_output_without_a_kind_is_one_line(tmp_path):
    shape = helper.make_tensor("shape", TensorProto.INT64, [3], [-1, 1, 4])
    _model(tmp_path / "wave.onnx", ["batch", 4], ["batch", 1, 4], [helper.make_node("Reshape", ["z", "shape"], ["out"])],
           [shape])
    result = gantool("sample", "wave.onnx", "-n", "3", "-o", "s.png", "--provider", "cpu", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("error: wave.onnx: output 'out' has shape ['batch', 1, 4]")
    assert not (tmp_path / "s.png").exists()
