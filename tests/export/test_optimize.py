"""The ConvTranspose-on-1x1 rewrite keeps outputs and touches only the layers it can prove equal."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from gantool.export.optimize import optimize


def projection_model(pads=(0, 0, 0, 0), bias=True, spatial=1) -> onnx.ModelProto:
    rng = np.random.default_rng(0)
    weight = rng.standard_normal((5, 3, 4, 4)).astype(np.float32)
    inputs = ["x", "w"] + (["b"] if bias else [])
    constants = [numpy_helper.from_array(weight, "w")]
    if bias:
        constants.append(numpy_helper.from_array(rng.standard_normal(3).astype(np.float32), "b"))
    node = helper.make_node("ConvTranspose", inputs, ["y"], kernel_shape=[4, 4], pads=list(pads))
    out_size = 4 + (spatial - 1) - pads[0] - pads[2]
    graph = helper.make_graph(
        [node, helper.make_node("Relu", ["y"], ["out"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 5, spatial, spatial])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["batch", 3, out_size, out_size])], constants)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=9)


def run(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})[0]


@pytest.mark.parametrize("bias", [True, False])
def test_projection_becomes_one_matmul_with_the_same_output(bias):
    model = projection_model(bias=bias)
    x = np.random.default_rng(1).standard_normal((7, 5, 1, 1)).astype(np.float32)
    want = run(model, x)
    assert optimize(model) == 1
    onnx.checker.check_model(model, full_check=True)
    ops = [n.op_type for n in model.graph.node]
    assert "ConvTranspose" not in ops and "MatMul" in ops
    assert {i.name for i in model.graph.initializer} >= {"y/weight"} and "w" not in {i.name for i in model.graph.initializer}
    np.testing.assert_allclose(run(model, x), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("pads,spatial", [((1, 1, 1, 1), 1), ((0, 0, 0, 0), 3)])
def test_other_conv_transposes_are_left_alone(pads, spatial):
    model = projection_model(pads=pads, spatial=spatial)
    assert optimize(model) == 0
    assert [n.op_type for n in model.graph.node] == ["ConvTranspose", "Relu"]
