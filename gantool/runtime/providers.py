"""Which ONNX Runtime execution providers actually work here.

onnxruntime-gpu lists CUDA as *available* even on a machine without a GPU and logs loud
errors when a session asks for it; the only honest test is to open a session and look at
what it really got (`session.get_providers()`).
"""

from __future__ import annotations

import contextlib
import io
from functools import lru_cache


def _tiny_model() -> bytes:
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])], "probe",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
    )
    # IR 9 (ONNX 1.15): old enough for any onnxruntime we support, whatever onnx writes by default
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9).SerializeToString()


@lru_cache(maxsize=1)
def usable_providers() -> tuple[str, ...]:
    """Providers a session really gets, in preference order (CPU is always last)."""
    import onnxruntime as ort

    ort.set_default_logger_severity(4)  # the probe's failures are expected; keep them quiet
    usable = []
    model = None  # built on first need: a CPU-only onnxruntime needs no probe (and no onnx import)
    for provider in ort.get_available_providers():
        if provider == "CPUExecutionProvider":
            continue
        model = model or _tiny_model()
        if provider == "TensorrtExecutionProvider" and "CUDAExecutionProvider" not in usable:
            continue  # TensorRT runs on top of CUDA
        try:  # onnxruntime prints its fallback notice with print(); swallow it here
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                session = ort.InferenceSession(model, providers=[provider])
        except Exception:
            continue
        if provider in session.get_providers():
            usable.append(provider)
    ort.set_default_logger_severity(2)
    return (*usable, "CPUExecutionProvider")
