"""`gantool eval` from the installed console script: datasets against datasets, generators,
the reference cache, the protocol in the result file, and one-line errors."""

from __future__ import annotations

import json

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from gantool.metrics.features import OnnxFeatures
from tests.conftest import gantool, random_images, train_checkpoint


def results(folder):
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


def test_dataset_against_dataset_and_the_reference_cache(tmp_path, mnist_mirror):
    args = ["eval", "--real", "mnist:test", "--fake", "mnist", "-n", "300", "--metrics", "fid,kid,is,pr,dc"]
    first = gantool(*args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "from cache" not in first.stderr
    second = gantool(*args, cwd=tmp_path)
    assert second.returncode == 0 and "reference features from cache" in second.stderr
    one, two = results(tmp_path / "eval")
    assert one["values"] == two["values"]  # same seed, same protocol: same numbers
    assert one["protocol"]["extractor"] == "lenet-mnist" and len(one["protocol"]["weights_sha256"]) == 64
    assert one["protocol"]["reference"] == "mnist:test" and one["protocol"]["n"] == 300
    v = one["values"]
    assert 0 < v["fid"] < 30 and v["is"] > 8 and v["precision"] > 0.6 and v["recall"] > 0.6


def test_a_generator_scores_far_worse_than_real_data(tmp_path, mnist_mirror):
    run = train_checkpoint(tmp_path, "dcgan", random_images(n=32), model_options={"ngf": 8, "ndf": 8})
    exported = gantool("export", str(run), "--onnx", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    scored = gantool("eval", str(run), "--data", "mnist:test", "-n", "200", "--metrics", "fid,is", cwd=tmp_path)
    assert scored.returncode == 0, scored.stderr
    (result,) = results(run / "eval")
    assert result["protocol"]["model"] == "dcgan" and result["protocol"]["generator"].endswith("generator.onnx")
    assert result["values"]["fid"] > 100  # two training steps on noise
    for args, message in [(["--metrics", "cas,gan-test"], "is an unconditional generator (no labels input)"),
                          (["--metrics", "augment", "--real-subset", "0"], "--real-subset must be positive"),
                          (["--metrics", "fid,bleu"], "unknown metric bleu for image data")]:
        refused = gantool("eval", str(run), *args, cwd=tmp_path)
        assert refused.returncode == 2 and message in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr


def test_errors_are_one_line_with_exit_2(tmp_path, mnist_mirror):
    run = train_checkpoint(tmp_path, "dcgan", random_images(n=32), model_options={"ngf": 8, "ndf": 8})
    cases = [
        (["eval", str(run)], "has no generator.onnx; export it first"),  # the same rule and words as sample
        (["eval", "--real", "mnist:test", "--fake", "mnist", "-n", "0"], "-n must be positive"),
        (["eval", "--real", "mnist:test", "--fake", "mnist", "--metrics", "fid,bleu"], "unknown metric bleu"),
        (["eval", "--real", "mnist:test"], "go together"),
        (["eval", "--real", "mnist:test", "--fake", "mnist", "--features", "onnx:missing.onnx"], "does not exist"),
        (["eval", "--real", "mnist:test", "--fake", "mnist", "-n", "20000"], "more than the 10000 images"),
    ]
    for args, message in cases:
        done = gantool(*args, cwd=tmp_path)
        assert done.returncode == 2, (args, done.stderr)
        assert message in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_onnx_feature_model_gives_its_outputs(tmp_path):
    weight = np.random.default_rng(0).standard_normal((16, 5)).astype(np.float32)  # 4x4 grey -> 5 features
    nodes = [helper.make_node("Flatten", ["x"], ["flat"]), helper.make_node("MatMul", ["flat", "w"], ["features"]),
             helper.make_node("Neg", ["features"], ["logits"])]
    graph = helper.make_graph(nodes, "f", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 1, 4, 4])],
                              [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["n", 5]),
                               helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["n", 5])],
                              [numpy_helper.from_array(weight, "w")])
    path = tmp_path / "feat.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=9), path)
    extractor = OnnxFeatures(str(path), provider="cpu")
    images = np.random.default_rng(1).uniform(-1, 1, (3, 3, 8, 8)).astype(np.float32)  # resized and greyed
    out = extractor(images)
    assert out.features.shape == (3, 5) and np.allclose(out.logits, -out.features)
    same = extractor(images[:, :, ::2, ::2].mean(axis=1, keepdims=True))  # already the model's shape
    assert same.features.shape == (3, 5)
    assert extractor.protocol["extractor"] == "onnx:feat.onnx"
