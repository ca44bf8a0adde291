"""`gantool export` and `gantool sample` as a user runs them; sample never imports torch."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper, save
from PIL import Image

from tests.cli.test_errors import assert_user_error
from tests.conftest import gantool, random_images, train_checkpoint


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    return train_checkpoint(root, "dcgan", random_images(), ema=True, model_options={"ngf": 8, "ndf": 8})


@pytest.fixture(scope="module")
def exported(run_dir):
    result = gantool("export", str(run_dir), "--onnx", cwd=run_dir)
    assert result.returncode == 0, result.stderr
    return run_dir / "generator.onnx", result.stdout


@pytest.fixture
def no_torch(tmp_path):
    """PYTHONPATH with a `torch` that leaves a marker and refuses to import."""
    blocker = tmp_path / "blocker" / "torch"
    blocker.mkdir(parents=True)
    marker = tmp_path / "torch-was-imported"
    (blocker / "__init__.py").write_text(f"open({str(marker)!r}, 'w').close()\nraise ImportError('torch is blocked')\n")
    return {"PYTHONPATH": str(blocker.parent)}, marker


def test_export_prints_the_check_and_the_next_commands(exported, run_dir):
    path, stdout = exported
    assert path.is_file()
    assert "max difference" in stdout and "ema weights" in stdout
    assert f"gantool sample {path} -n 64 -o samples.png" in stdout
    again = gantool("export", str(run_dir), cwd=run_dir)
    assert_user_error(again, "generator.onnx exists", "--force")
    uint8 = gantool("export", str(run_dir / "checkpoints" / "last.pt"), "--uint8", "--weights", "raw", cwd=run_dir)
    assert uint8.returncode == 0, uint8.stderr
    assert (run_dir / "generator-uint8.onnx").is_file()


def test_export_errors(tmp_path):
    assert_user_error(gantool("export", str(tmp_path), cwd=tmp_path), "has no checkpoint")
    assert_user_error(gantool("export", "nothing-here", cwd=tmp_path), "does not exist")


def test_sample_outputs_without_torch(exported, tmp_path, no_torch):
    path, _ = exported
    env, marker = no_torch
    grid = gantool("sample", str(path), "-n", "16", "-o", "grid.png", cwd=tmp_path, env=env)
    assert grid.returncode == 0, grid.stderr
    with Image.open(tmp_path / "grid.png") as img:
        assert img.size[0] > 4 * 28
    folder = gantool("sample", str(path.parent), "-n", "5", "-o", "each", cwd=tmp_path, env=env)
    assert folder.returncode == 0 and len(list((tmp_path / "each").glob("*.png"))) == 5
    for name in ("a.npz", "b.npz"):
        assert gantool("sample", str(path), "-n", "7", "--seed", "11", "-o", name, cwd=tmp_path, env=env).returncode == 0
    a, b = np.load(tmp_path / "a.npz"), np.load(tmp_path / "b.npz")
    assert a["images"].shape == (7, 28, 28, 1) and a["images"].dtype == np.uint8
    np.testing.assert_array_equal(a["images"], b["images"])  # same seed, same samples
    assert not marker.exists(), "gantool sample imported torch"


def test_interpolation_gif_moves_smoothly(exported, tmp_path, no_torch):
    path, _ = exported
    env, marker = no_torch
    steps = 12
    result = gantool("sample", str(path), "-n", "4", "--interpolate", str(steps), "-o", "walk.gif", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    with Image.open(tmp_path / "walk.gif") as gif:
        assert gif.n_frames == 2 * steps - 2  # there and back
        frames = []
        for i in range(steps):
            gif.seek(i)
            frames.append(np.asarray(gif.convert("L"), dtype=np.float32))
    step_change = max(np.abs(f1 - f0).mean() for f0, f1 in zip(frames, frames[1:]))
    total_change = np.abs(frames[-1] - frames[0]).mean()
    assert total_change > 0 and step_change < 0.4 * total_change
    assert not marker.exists()


def conditional_onnx(path, classes=3):
    """A tiny conditional generator made with onnx.helper (labels shift the output)."""
    w = numpy_helper.from_array(np.eye(4, dtype=np.float32), "W")
    shape = numpy_helper.from_array(np.array([-1, 1, 2, 2], dtype=np.int64), "shape")
    axes = numpy_helper.from_array(np.array([1], dtype=np.int64), "axes")
    nodes = [
        helper.make_node("MatMul", ["z", "W"], ["h"]),
        helper.make_node("Cast", ["labels"], ["lf"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["lf", "axes"], ["lu"]),
        helper.make_node("Add", ["h", "lu"], ["s"]),
        helper.make_node("Tanh", ["s"], ["t"]),
        helper.make_node("Reshape", ["t", "shape"], ["images"]),
    ]
    graph = helper.make_graph(nodes, "cond", [
        helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", 4]),
        helper.make_tensor_value_info("labels", TensorProto.INT64, ["batch"]),
    ], [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["batch", 1, 2, 2])], [w, shape, axes])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
    model.metadata_props.add(key="num_classes", value=str(classes))
    save(model, str(path))
    return path


def test_labels(tmp_path):
    path = conditional_onnx(tmp_path / "cond.onnx")
    ok = gantool("sample", str(path), "-n", "6", "--labels", "all", "-o", "all.npz", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert list(np.load(tmp_path / "all.npz")["labels"]) == [0, 1, 2, 0, 1, 2]
    one = gantool("sample", str(path), "-n", "2", "--label", "2", "-o", "two.npz", cwd=tmp_path)
    assert one.returncode == 0 and list(np.load(tmp_path / "two.npz")["labels"]) == [2, 2]
    assert_user_error(gantool("sample", str(path), "--label", "3", "-o", "x.png", cwd=tmp_path), "labels must be in 0..2")


def test_sample_errors(exported, tmp_path, run_dir):
    path, _ = exported
    (tmp_path / "notes.onnx").write_text("not a model")
    assert_user_error(gantool("sample", "notes.onnx", cwd=tmp_path), "notes.onnx is not a loadable ONNX model")
    assert_user_error(gantool("sample", str(path), "-n", "0", cwd=tmp_path), "-n must be positive")
    (tmp_path / "afile").write_text("x")
    assert_user_error(gantool("sample", str(path), "-o", "afile/out.png", cwd=tmp_path), "not a writable folder")
    assert_user_error(gantool("sample", str(path), "--label", "1", cwd=tmp_path), "not conditional")
    (tmp_path / "samples.png").write_text("keep me")
    assert_user_error(gantool("sample", str(path), cwd=tmp_path), "samples.png exists", "--force")
    assert (tmp_path / "samples.png").read_text() == "keep me"
    assert_user_error(gantool("sample", str(tmp_path), cwd=tmp_path), "has no generator.onnx", "gantool export")
    assert_user_error(gantool("sample", str(path), "-o", "w.gif", cwd=tmp_path), "needs --interpolate")


def test_vector_generator_to_csv_and_scatter(tmp_path):
    from gantool.data.toy2d import load_ring
    from gantool.specs import DataRequest

    run = train_checkpoint(tmp_path, "toy", load_ring(None, DataRequest()), latent_dim=2)
    assert gantool("export", str(run), cwd=tmp_path).returncode == 0
    result = gantool("sample", str(run), "-n", "50", "-o", "pts.csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = (tmp_path / "pts.csv").read_text().splitlines()
    assert rows[0] == "x0,x1" and len(rows) == 51
    assert gantool("sample", str(run), "-n", "50", "-o", "pts.png", cwd=tmp_path).returncode == 0
    assert_user_error(gantool("sample", str(run), "-o", "pts.gif", cwd=tmp_path), "use .csv, .npz, .png")


def test_export_file_names():
    from pathlib import Path

    from gantool.export.naming import default_name, export_paths
    from gantool.run.layout import GENERATOR

    assert default_name() == GENERATOR == "generator.onnx"  # the run's generator is what export writes
    assert default_name(uint8=True) == "generator-uint8.onnx" and default_name(fp16=True) == "generator-fp16.onnx"
    assert default_name(uint8=True, fp16=True) == "generator-uint8-fp16.onnx"
    run = Path("runs/dcgan/exp")
    assert export_paths(run, [None]) == [run / "generator.onnx"]
    assert export_paths(run, ["a2b", "b2a"], fp16=True) == [run / "generator-fp16-a2b.onnx", run / "generator-fp16-b2a.onnx"]
    assert export_paths(run, [None], output=Path("out/g.onnx")) == [Path("out/g.onnx")]
    assert export_paths(run, ["a2b"], output=Path("out/t")) == [Path("out/t-a2b.onnx")]
