"""`gantool eval` as a library: evaluate_generator / evaluate_folders with a registry of our
own (a tiny image dataset, a flattening feature extractor, a hand-made ONNX generator), so
the orchestration is pinned without MNIST, Inception or the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper, save

from gantool import plugins
from gantool.core.errors import UserError
from gantool.metrics import evaluate as ev
from gantool.metrics.features import Features
from gantool.specs import DataArrays, DatasetSpec, FeatureExtractorSpec

BLOBS = np.random.default_rng(0).integers(0, 256, (60, 1, 4, 4), dtype=np.uint8)


class Flat:
    """A feature extractor that flattens the images (no weights, instant)."""

    protocol = {"extractor": "flat"}

    def __call__(self, images: np.ndarray) -> Features:
        return Features(images.reshape(len(images), -1).astype(np.float32), None)


def _never_load(arg, request):
    raise AssertionError("loaded although it should have been refused first")


@pytest.fixture
def reg():
    """Only what these tests register, and the built-in data kinds: no plugin loading, no downloads."""
    from gantool.data import register_data_kinds

    registry = plugins.Registry()
    register_data_kinds(register=lambda spec: registry.add("data kind", spec, "gantool.data"))
    registry.add("dataset", DatasetSpec(name="blobs", summary="s", options=(),
                                        load=lambda arg, request: DataArrays(x=BLOBS, kind="image")), "tests")
    registry.add("dataset", DatasetSpec(name="guarded", summary="s", load=_never_load), "tests")
    registry.add("dataset", DatasetSpec(name="rows", summary="s", load=_never_load, data_kind="table"), "tests")
    registry.add("feature extractor", FeatureExtractorSpec(name="flat", summary="s", factory=lambda arg: Flat()), "tests")
    return registry


def generator_onnx(path, kind=None):
    """z [batch, 16] -> tanh, as [batch, 1, 4, 4] images; metadata names its shape and dataset."""
    shape = numpy_helper.from_array(np.array([-1, 1, 4, 4], dtype=np.int64), "shape")
    nodes = [helper.make_node("Tanh", ["z"], ["t"]), helper.make_node("Reshape", ["t", "shape"], ["images"])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", 16])],
                              [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["batch", 1, 4, 4])], [shape])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
    metadata = {"image_shape": "1,4,4", "dataset": "blobs", "model": "toyish", "training_step": "7"}
    if kind == "table":
        metadata.update(kind="table", columns=json.dumps([{"name": f"c{i}", "kind": "continuous"} for i in range(16)]))
    for key, value in metadata.items():
        model.metadata_props.add(key=key, value=value)
    save(model, str(path))
    return path


class Recorder(ev.EvalProgress):
    def __init__(self):
        self.seen = []

    def status(self, text):
        self.seen.append(("status", text))
        return super().status(text)

    def sampling(self, total, batch_size):
        self.seen.append(("sampling", total, batch_size))
        return super().sampling(total, batch_size)


def test_a_generator_is_scored_and_its_reference_features_cached(reg, tmp_path, capsys):
    path = generator_onnx(tmp_path / "g.onnx")
    settings = ev.EvalSettings(metrics="fid,pr", n=40, batch_size=16, features="flat", provider="cpu")
    progress = Recorder()
    first = ev.evaluate_generator(reg, path, tmp_path / "eval", settings, progress=progress)
    assert progress.seen == [("sampling", 40, 16), ("status", "features of blobs"),
                             ("status", "features of the generated images")]
    assert first.kind == "image" and set(first.values) == {"fid", "precision", "recall"} and first.values["fid"] > 0
    p = first.protocol
    assert (p["reference"], p["n"], p["image_shape"], p["extractor"], p["model"]) == ("blobs", 40, [1, 4, 4], "flat", "toyish")
    assert p["generator"] == str(path) and p["metrics"] == ["fid", "pr"] and p["reference_cached"] is False
    assert json.loads(first.path.read_text())["values"] == first.values
    again = ev.evaluate_generator(reg, path, tmp_path / "eval", settings)
    assert again.protocol["reference_cached"] is True and again.values == first.values
    assert again.path != first.path  # an earlier result is never replaced
    assert capsys.readouterr() == ("", "")  # the library prints nothing


def test_folders_against_themselves_score_zero(reg, tmp_path):
    settings = ev.EvalSettings(metrics="fid", n=30, features="flat")
    result = ev.evaluate_folders(reg, "blobs", "blobs", settings, image_size=4, out_dir=tmp_path)
    assert abs(result.values["fid"]) < 1e-6
    assert result.protocol["fake"] == "blobs" and result.protocol["image_shape"] == [1, 4, 4]
    assert result.path.parent == tmp_path


def test_settings_are_checked_when_made():
    for kwargs, message in [({"n": 0}, "-n must be positive, got 0"),
                            ({"batch_size": -1}, "--batch-size must be positive, got -1"),
                            ({"metrics": " , "}, "names no metric"),
                            ({"real_subset": 0}, "--real-subset must be positive")]:
        with pytest.raises(UserError, match=message):
            ev.EvalSettings(**kwargs)
    assert ev.EvalSettings(metrics="FID, kid").chosen == ["fid", "kid"]
    # which names exist depends on the data kind: a plugin's kind registers its own (bleu)
    assert ev.EvalSettings(metrics="fid,bleu").chosen == ["fid", "bleu"]


def test_wrong_references_are_refused_before_loading(reg, tmp_path):
    with pytest.raises(UserError, match=r"^dataset 'rows' is table data; image metrics need images$"):
        ev.dataset_images(reg, "rows", 10, 0, 28, 1)
    table = generator_onnx(tmp_path / "t.onnx", kind="table")
    settings = ev.EvalSettings(n=10, provider="cpu")
    with pytest.raises(UserError, match=r"^dataset 'guarded' is image data; a table generator is scored against a table$"):
        ev.evaluate_generator(reg, table, tmp_path / "eval", settings, data="guarded")
    with pytest.raises(UserError, match="--resize applies to the inception features, not flat"):
        ev.evaluate_folders(reg, "blobs", "guarded", ev.EvalSettings(features="flat", resize="tf"))
    assert not (tmp_path / "eval").exists()


class ShapeRecorder:
    """An extractor that needs RGB at the images' own size, as inception does, and records
    the shapes it is given; features are per-channel means."""

    input_channels, input_size = 3, None
    protocol = {"extractor": "recorder"}

    def __init__(self):
        self.shapes = []

    def __call__(self, images: np.ndarray) -> Features:
        self.shapes.append(images.shape[1:])
        return Features(images.mean(axis=(2, 3)).astype(np.float32), None)


def _png_folder(root, sizes, mode="L"):
    from PIL import Image

    root.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i, (h, w) in enumerate(sizes):
        pixels = rng.integers(0, 256, (h, w) if mode == "L" else (h, w, 3), dtype=np.uint8)
        Image.fromarray(pixels, mode).save(root / f"{i:03d}.png")
    return f"folder:{root}"


def test_folders_are_read_full_size_and_rgb_when_the_extractor_resizes_itself(reg, tmp_path):
    recorder = ShapeRecorder()
    reg.add("feature extractor", FeatureExtractorSpec(name="recorder", summary="s", factory=lambda arg: recorder),
            "tests")
    sizes = [(30, 20)] * 6 + [(32, 32)] * 4  # grey, two sizes, one non-square
    import shutil

    real = _png_folder(tmp_path / "a", sizes)
    fake = f"folder:{shutil.copytree(tmp_path / 'a', tmp_path / 'b')}"
    settings = ev.EvalSettings(metrics="fid", n=10, features="recorder")
    result = ev.evaluate_folders(reg, real, fake, settings, out_dir=tmp_path / "eval")
    # not 28 px grey crops: each image at its own size, grey repeated to RGB, one call per size
    assert sorted(set(recorder.shapes)) == [(3, 30, 20), (3, 32, 32)]
    assert abs(result.values["fid"]) < 1e-6  # the same images
    assert result.protocol["image_shape"] == [3, "native"]
    assert any("stretched" in note for note in result.notes)
    recorder.shapes.clear()
    asked = []

    def shaped(arg, request):  # a dataset that is not a folder loads at the size it is asked for
        asked.append((request.channels, request.image_size))
        return DataArrays(x=np.zeros((10, request.channels, request.image_size, request.image_size), np.uint8),
                          kind="image")

    reg.add("dataset", DatasetSpec(name="shaped", summary="s", options=(), load=shaped), "tests")
    square = _png_folder(tmp_path / "c", [(40, 40)] * 10, mode="RGB")
    ev.evaluate_folders(reg, square, "shaped", settings, out_dir=tmp_path / "eval")
    assert asked == [(3, 40)] and set(recorder.shapes) == {(3, 40, 40)}  # the folders' one size
    with pytest.raises(UserError, match="cannot tell the image size of blobs and blobs: pass --image-size"):
        ev.evaluate_folders(reg, "blobs", "blobs", settings, out_dir=tmp_path / "eval")
