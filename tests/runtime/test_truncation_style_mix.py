"""A generator's scalar `truncation_psi` input and the style-mixing grid, on ONNX files
written here with onnx.helper (no torch): the generator scales z by psi, the mapping does
the same, and the synthesis lays ws out as pixels, so every value in a grid is known."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from gantool.core.errors import UserError
from gantool.core.imaging import grid, to_uint8
from gantool.runtime import Sampler
from gantool.runtime.style_mix import open_mixer, style_mix_grid
from tests.conftest import gantool

LATENT, NUM_WS = 2, 3


def save(path: Path, nodes, inputs, output, metadata: dict[str, str]) -> Path:
    model = helper.make_model(helper.make_graph(nodes, "g", inputs, [output]), opset_imports=[helper.make_opsetid("", 18)],
                              ir_version=9)  # newer onnx writes an IR version older ONNX Runtimes refuse
    helper.set_model_props(model, metadata)
    onnx.save(model, str(path))
    return path


def shape(name: str, dims) -> onnx.NodeProto:
    return helper.make_node("Constant", [], [name], value=helper.make_tensor(name, TensorProto.INT64, [len(dims)], dims))


Z = helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", LATENT])
PSI = helper.make_tensor_value_info("truncation_psi", TensorProto.FLOAT, [])
IMAGES = helper.make_tensor_value_info("images", TensorProto.FLOAT, ["batch", 1, NUM_WS, LATENT])
META = {"kind": "image", "latent_dim": str(LATENT), "model": "scaled", "mapping_graph": "mapping",
        "synthesis_graph": "synthesis", "style_mix_cutoff": "1"}


@pytest.fixture
def files(tmp_path) -> Path:
    """generator.onnx (z * psi repeated over NUM_WS rows) and its mapping / synthesis pair."""
    g = tmp_path / "generator.onnx"
    save(g, [helper.make_node("Mul", ["z", "truncation_psi"], ["w"]), shape("s", [-1, 1, 1, LATENT]),
             helper.make_node("Reshape", ["w", "s"], ["w4"]), shape("r", [1, 1, NUM_WS, 1]),
             helper.make_node("Tile", ["w4", "r"], ["images"])], [Z, PSI], IMAGES, META)
    save(tmp_path / "generator-mapping.onnx", [helper.make_node("Mul", ["z", "truncation_psi"], ["w"])], [Z, PSI],
         helper.make_tensor_value_info("w", TensorProto.FLOAT, ["batch", LATENT]), META)
    ws = helper.make_tensor_value_info("ws", TensorProto.FLOAT, ["batch", NUM_WS, LATENT])
    save(tmp_path / "generator-synthesis.onnx", [shape("s", [-1, 1, NUM_WS, LATENT]),
                                                 helper.make_node("Reshape", ["ws", "s"], ["images"])], [ws], IMAGES, META)
    return g


def test_truncation_is_fed_one_by_default_and_psi_when_asked(files):
    z = np.random.default_rng(0).standard_normal((5, LATENT), dtype=np.float32)
    plain = Sampler(files, "cpu")
    assert plain.info.truncation_name == "truncation_psi" and plain.truncation == 1.0
    np.testing.assert_allclose(plain.generate(z, batch_size=2)[:, 0, 0], z)
    np.testing.assert_allclose(Sampler(files, "cpu", truncation=0.5).generate(z)[:, 0, 0], 0.5 * z)


def test_truncation_for_a_generator_without_the_input_is_one_line(files, tmp_path):
    plain = save(tmp_path / "plain.onnx", [shape("s", [-1, 1, 1, LATENT]), helper.make_node("Reshape", ["z", "s"], ["images"])],
                 [Z], helper.make_tensor_value_info("images", TensorProto.FLOAT, ["batch", 1, 1, LATENT]), {})
    assert Sampler(plain, "cpu").info.truncation_name is None
    with pytest.raises(UserError, match="has no truncation_psi input; --truncation needs"):
        Sampler(plain, "cpu", truncation=0.7)


def test_style_mix_grid_takes_coarse_layers_from_rows_and_fine_from_columns(files):
    mixer = open_mixer(files, META, "cpu")
    assert (mixer.num_ws, mixer.cutoff, mixer.latent_dim) == (NUM_WS, 1, LATENT)
    picture = style_mix_grid(mixer, rows=2, columns=3, seed=4, truncation=0.5)
    rng = np.random.default_rng(4)
    rows = 0.5 * rng.standard_normal((2, LATENT), dtype=np.float32)
    cols = 0.5 * rng.standard_normal((3, LATENT), dtype=np.float32)
    tiles = [np.zeros((1, 1, NUM_WS, LATENT), np.float32) - 1, *[np.tile(c, (1, 1, NUM_WS, 1)) for c in cols]]
    for r in rows:
        tiles.append(np.tile(r, (1, 1, NUM_WS, 1)))
        for c in cols:  # layer 0 (coarse) from the row, layers 1 and 2 from the column
            tiles.append(np.stack([r, c, c])[None, None])
    want = to_uint8(np.concatenate(tiles))
    want[0] = 0  # the corner is black
    np.testing.assert_array_equal(picture, grid(want, 4))


def test_style_mix_refusals(files, tmp_path):
    with pytest.raises(UserError, match="between 1 and 2"):
        open_mixer(files, META, "cpu", cutoff=3)
    (tmp_path / "generator-synthesis.onnx").unlink()
    with pytest.raises(UserError, match="--style-mix needs the mapping and synthesis files beside"):
        open_mixer(files, META, "cpu")


def test_sample_command_truncation_and_style_mix(files, tmp_path):
    out = gantool("sample", str(files), "--truncation", "0.5", "-n", "4", "-o", "t.npz", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    saved = np.load(tmp_path / "t.npz")  # uint8 NHWC images of 0.5 z
    np.testing.assert_array_equal(saved["images"][:, 0, :, 0], to_uint8(0.5 * saved["z"][:, None, None])[:, 0, :, 0])
    mixed = gantool("sample", str(files), "--style-mix", "-n", "6", "-o", "mix.png", cwd=tmp_path)
    assert mixed.returncode == 0, mixed.stderr
    assert (tmp_path / "mix.png").is_file() and "2x3 style-mixing grid" in mixed.stderr
    wrong = gantool("sample", str(files), "--style-mix", "-o", "mix.npz", cwd=tmp_path)
    assert wrong.returncode == 2 and "--style-mix writes one PNG grid" in wrong.stderr
