"""The ONNX Runtime sampler, from Python: gantool exports and foreign ONNX files."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper, save

from gantool.core.errors import UserError
from gantool.export import generator
from gantool.export.onnx_export import export
from gantool.runtime import Sampler
from gantool.runtime.interpolate import slerp
from tests.conftest import random_images, train_checkpoint


@pytest.fixture(scope="module")
def dcgan_onnx(tmp_path_factory):
    root = tmp_path_factory.mktemp("dcgan")
    run = train_checkpoint(root, "dcgan", random_images(), model_options={"ngf": 8, "ndf": 8})
    return export(generator.load(run), run / "generator.onnx").path


def foreign_model(path, inputs, latent=4):
    """A generator made without gantool: z [batch, 4] -> tanh(z W) as [batch, 1, 2, 2]."""
    w = numpy_helper.from_array(np.eye(latent, 4, dtype=np.float32), "W")
    shape = numpy_helper.from_array(np.array([-1, 1, 2, 2], dtype=np.int64), "shape")
    nodes = [helper.make_node("MatMul", [inputs[0].name, "W"], ["h"]), helper.make_node("Tanh", ["h"], ["t"]),
             helper.make_node("Reshape", ["t", "shape"], ["images"])]
    graph = helper.make_graph(nodes, "foreign", inputs,
                              [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["batch", 1, 2, 2])], [w, shape])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9), str(path))
    return path


def test_sample_is_deterministic_and_batched(dcgan_onnx):
    sampler = Sampler(dcgan_onnx, provider="cpu")
    assert sampler.provider == "CPUExecutionProvider" and sampler.note is None
    assert sampler.info.latent_dim == 100 and sampler.info.kind == "image" and sampler.info.metadata["model"] == "dcgan"
    a = sampler.sample(10, seed=3, batch_size=4)
    b = sampler.sample(10, seed=3, batch_size=10)
    assert a.shape == (10, 1, 28, 28)
    np.testing.assert_allclose(a, b, atol=1e-6)
    assert not np.allclose(a, sampler.sample(10, seed=4))


def test_auto_provider_falls_back_with_a_note(dcgan_onnx):
    from gantool.runtime.providers import usable_providers

    sampler = Sampler(dcgan_onnx)
    if "CUDAExecutionProvider" in usable_providers():
        assert sampler.provider == "CUDAExecutionProvider"
    else:
        assert sampler.provider == "CPUExecutionProvider" and "running on CPU" in sampler.note
        with pytest.raises(UserError, match="cannot use CUDA"):
            Sampler(dcgan_onnx, provider="cuda")


def test_io_binding_path_matches_plain_run(dcgan_onnx):
    """The CUDA path binds inputs and outputs; the same code runs against CPU memory here."""
    sampler = Sampler(dcgan_onnx, provider="cpu")
    z = sampler.latents(6, seed=0)
    bound = sampler._run_bound({"z": z}, device="cpu")
    np.testing.assert_allclose(bound, sampler.session.run(None, {"z": z})[0], atol=1e-6)


def test_foreign_onnx_without_metadata(tmp_path):
    z = helper.make_tensor_value_info("noise", TensorProto.FLOAT, ["batch", 4])
    sampler = Sampler(foreign_model(tmp_path / "f.onnx", [z]), provider="cpu")
    assert sampler.info.latent_dim == 4 and sampler.info.metadata == {}
    assert sampler.sample(3).shape == (3, 1, 2, 2)


def test_bad_files_and_inputs(tmp_path, dcgan_onnx):
    (tmp_path / "text.onnx").write_text("this is not a model")
    with pytest.raises(UserError, match="is not a loadable ONNX model"):
        Sampler(tmp_path / "text.onnx")
    img = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, 8, 8])
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3, 8, 8])
    graph = helper.make_graph([helper.make_node("Tanh", ["x"], ["y"])], "filter", [img], [out])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9), str(tmp_path / "img.onnx"))
    with pytest.raises(UserError, match=r"expected z float \[batch, latent_dim\].*found x tensor\(float\)"):
        Sampler(tmp_path / "img.onnx", provider="cpu")
    dyn = helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", "latent"])
    with pytest.raises(UserError, match="cannot tell the latent size"):
        Sampler(foreign_model(tmp_path / "dyn.onnx", [dyn]), provider="cpu")
    sampler = Sampler(dcgan_onnx, provider="cpu")
    with pytest.raises(UserError, match="must be positive"):
        sampler.sample(0)
    with pytest.raises(UserError, match="not conditional"):
        sampler.sample(2, labels=np.array([0, 1]))
    with pytest.raises(UserError, match="does not exist"):
        Sampler(tmp_path / "missing.onnx")


def test_slerp_keeps_endpoints_and_norm():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((4, 64)).astype(np.float32), rng.standard_normal((4, 64)).astype(np.float32)
    np.testing.assert_allclose(slerp(a, b, 0.0), a, atol=1e-5)
    np.testing.assert_allclose(slerp(a, b, 1.0), b, atol=1e-5)
    mid = slerp(a, b, 0.5)
    assert np.all(np.abs(np.linalg.norm(mid, axis=1) - np.linalg.norm(a, axis=1)) < 0.2 * np.linalg.norm(a, axis=1))
