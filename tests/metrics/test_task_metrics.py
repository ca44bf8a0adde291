"""CAS, GAN-test and measured augmentation (gantool/metrics/task_eval.py, augment.py) with a
registry of our own: a labelled 8 x 8 dataset with train and test splits, and hand-made
conditional ONNX generators that draw each class's pattern (faithful) or the next class's
(mislabelled), so the scores have known directions. The classifier is the real one."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper, save

from gantool import plugins
from gantool.core.errors import UserError
from gantool.metrics import classifier
from gantool.metrics import evaluate as ev
from gantool.specs import DataArrays, DatasetSpec

PATTERNS = np.random.default_rng(0).uniform(-1, 1, (10, 1, 8, 8)).astype(np.float32)
SIZES = {"train": 400, "test": 300}


def _digits(split: str, count: int | None = None) -> DataArrays:
    rng = np.random.default_rng({"train": 1, "test": 2}[split])
    n = count or SIZES[split]
    labels = np.arange(n) % 10
    x = PATTERNS[labels] + rng.normal(0, 0.9, (n, 1, 8, 8))  # noisy: a few images do not decide
    return DataArrays(x=np.round((np.clip(x, -1, 1) + 1) * 127.5).astype(np.uint8), kind="image",
                      labels=labels.astype(np.int64), num_classes=10)


@pytest.fixture(autouse=True)
def fewer_updates(monkeypatch, request):
    """60 updates instead of 200: enough for 8 x 8 patterns, a fifth of the CI time (the
    classifier as specified is tested on MNIST by the slow test below)."""
    if request.node.get_closest_marker("slow") is None:
        monkeypatch.setattr(classifier, "MIN_STEPS", 60)


@pytest.fixture
def reg():
    from gantool.data import register_data_kinds

    registry = plugins.Registry()
    register_data_kinds(register=lambda spec: registry.add("data kind", spec, "gantool.data"))
    registry.add("dataset", DatasetSpec(name="digits", summary="s", options=(),
                                        load=lambda arg, request: _digits(arg or request.split)), "tests")
    # the first 50 training images: what a generator trained on a subset saw
    registry.add("dataset", DatasetSpec(name="digits50", summary="s", options=(),
                                        load=lambda arg, request: _digits("train", 50)), "tests")
    return registry


def conditional_onnx(path, shift: int = 0, dataset: str = "digits50"):
    """z [batch, 64], labels [batch] -> pattern[(label + shift) % 10] + 0.3 z, as [batch, 1, 8, 8]."""
    table = numpy_helper.from_array(np.roll(PATTERNS, -shift, axis=0), "patterns")
    shape = numpy_helper.from_array(np.array([-1, 1, 8, 8], dtype=np.int64), "shape")
    scale = numpy_helper.from_array(np.array(0.3, dtype=np.float32), "scale")
    nodes = [helper.make_node("Gather", ["patterns", "labels"], ["chosen"]),
             helper.make_node("Reshape", ["z", "shape"], ["noise"]),
             helper.make_node("Mul", ["noise", "scale"], ["scaled"]),
             helper.make_node("Add", ["chosen", "scaled"], ["images"])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", 64]),
                                           helper.make_tensor_value_info("labels", TensorProto.INT64, ["batch"])],
                              [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["batch", 1, 8, 8])],
                              [table, shape, scale])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
    for key, value in {"image_shape": "1,8,8", "dataset": dataset, "num_classes": "10", "model": "patterns"}.items():
        model.metadata_props.add(key=key, value=value)
    save(model, path)
    return path


def score(reg, path, metrics: str, **kwargs):
    settings = ev.EvalSettings(metrics=metrics, n=kwargs.pop("n", 300), provider="cpu", **kwargs)
    return ev.evaluate_generator(reg, path, path.parent / "eval", settings, data="digits")


@pytest.mark.slow  # 200 steps at 28 px: about 15 CPU-seconds
def test_the_fixed_classifier_learns_mnist_from_a_thousand_images(mnist_mirror):
    from gantool.plugins import registry
    from gantool.specs import DataRequest

    train = registry().open_dataset("mnist", DataRequest(split="train"))
    test = registry().open_dataset("mnist", DataRequest(split="test"))
    model = classifier.train(train.x[:1000], train.labels[:1000], 10, seed=0)
    assert classifier.accuracy(model, test.x[:2000], test.labels[:2000]) > 0.85


def test_the_classifier_is_decided_by_its_seed():
    data = _digits("train", 100)
    one, two, other = (classifier.train(data.x, data.labels, 10, seed=s) for s in (3, 3, 4))
    same = [np.array_equal(a, b) for a, b in zip(one.state_dict().values(), two.state_dict().values(), strict=True)]
    assert all(same)
    assert not np.array_equal(one.fc2.weight.detach(), other.fc2.weight.detach())


def test_cas_and_gan_test_rank_a_faithful_generator_above_a_mislabelling_one(reg, tmp_path):
    faithful = score(reg, conditional_onnx(tmp_path / "good.onnx"), "cas,gan-test")
    v = faithful.values
    assert set(v) == {"cas", "cas_real", "gan_test"}
    assert v["gan_test"] > 0.9 and v["cas"] > 0.6 and v["cas_real"] > 0.6
    p = faithful.protocol
    assert p["classifier"] == classifier.SPEC and p["task_n"] == 300 and p["classifier_seed"] == 0
    assert faithful.path.is_file()
    wrong = score(reg, conditional_onnx(tmp_path / "bad.onnx", shift=1), "cas,gan-test").values
    assert wrong["cas"] < 0.2 and wrong["gan_test"] < 0.2  # every image drawn as the next class
    assert wrong["cas_real"] == v["cas_real"]  # the real baseline does not depend on the generator


def test_augmentation_lists_ratios_with_intervals_and_mislabelled_images_hurt(reg, tmp_path):
    result = score(reg, conditional_onnx(tmp_path / "bad.onnx", shift=1), "augment", real_subset=60, repeats=2)
    v, p = result.values, result.protocol["augment"]
    assert p["ratios"] == [0.5, 1.0, 2.0] and p["seeds"] == [0, 1] and p["real_subset"] == 60
    assert p["generator_data"] == {"dataset": "digits50", "options": {}, "images": 50, "in_test_split": 0}
    assert np.array(p["accuracies"]).shape == (2, 4)
    for ratio in ("0.5", "1", "2"):
        assert {f"augment_x{ratio}", f"augment_gain_x{ratio}", f"augment_gain_x{ratio}_ci95"} <= v.keys()
    assert v["augment_gain_x2"] < -0.15  # twice as many wrongly labelled images as real ones
    assert v["augment_gain_x2"] == pytest.approx(v["augment_x2"] - v["augment_real"])


def test_the_protocol_guard_refuses_a_generator_that_saw_too_much(reg, tmp_path):
    with pytest.raises(UserError, match="holds 300 images of the test split"):
        score(reg, conditional_onnx(tmp_path / "t.onnx", dataset="digits:test"), "augment", real_subset=1000)
    with pytest.raises(UserError, match=r"trained on 400 real images \(digits\), more than the --real-subset 60"):
        score(reg, conditional_onnx(tmp_path / "f.onnx", dataset="digits"), "augment", real_subset=60)
    with pytest.raises(UserError, match="needs --real-subset K"):
        score(reg, conditional_onnx(tmp_path / "g.onnx"), "augment")


def test_task_metrics_refuse_an_unconditional_generator_in_one_line(reg, tmp_path):
    from tests.metrics.test_evaluate import generator_onnx

    path = generator_onnx(tmp_path / "u.onnx")
    with pytest.raises(UserError, match="unconditional generator .* cas, gan-test and augment need a conditional"):
        score(reg, path, "fid,cas")
    assert not (tmp_path / "eval").exists()  # refused before any work


COLUMNS = [{"name": "x", "kind": "continuous"}, {"name": "y", "kind": "discrete", "categories": ["no", "yes"]}]


def _rows(split: str) -> DataArrays:
    """x ~ N(2y, 1) with y = 1 in 10 % of the rows: a minority a plain classifier under-calls."""
    rng = np.random.default_rng({"train": 3, "test": 4}[split])
    y = (rng.uniform(size=400) < 0.1).astype(np.float32)
    return DataArrays(x=np.stack([rng.normal(2 * y, 1), y], 1).astype(np.float32), kind="table", columns=COLUMNS)


def table_onnx(path, dataset: str = "rows"):
    """z [batch, 2] -> (z0 + 2m, m) with m = z1 > 0.8: the real rows' law, more minority rows."""
    import json

    consts = [numpy_helper.from_array(np.array(v, dtype=np.float32), name)
              for name, v in (("cut", 0.8), ("two", 2.0))]
    idx = [numpy_helper.from_array(np.array([i], dtype=np.int64), f"i{i}") for i in (0, 1)]
    nodes = [helper.make_node("Gather", ["z", "i0"], ["z0"], axis=1), helper.make_node("Gather", ["z", "i1"], ["z1"], axis=1),
             helper.make_node("Greater", ["z1", "cut"], ["above"]), helper.make_node("Cast", ["above"], ["m"], to=1),
             helper.make_node("Mul", ["m", "two"], ["shift"]), helper.make_node("Add", ["z0", "shift"], ["x"]),
             helper.make_node("Concat", ["x", "m"], ["rows"], axis=1)]
    graph = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", 2])],
                              [helper.make_tensor_value_info("rows", TensorProto.FLOAT, ["batch", 2])], [*consts, *idx])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
    for key, value in {"kind": "table", "columns": json.dumps(COLUMNS), "dataset": dataset, "model": "rows"}.items():
        model.metadata_props.add(key=key, value=value)
    save(model, path)
    return path


@pytest.fixture
def table_reg(reg):
    reg.add("dataset", DatasetSpec(name="rows", summary="s", options=(), data_kind="table",
                                   load=lambda arg, request: _rows(request.split)), "tests")
    return reg


def test_table_augmentation_oversamples_the_minority_class(table_reg, tmp_path):
    settings = ev.EvalSettings(metrics="augment", n=200, provider="cpu", repeats=2)
    result = ev.evaluate_generator(table_reg, table_onnx(tmp_path / "t.onnx"), tmp_path / "eval", settings)
    v, p = result.values, result.protocol["augment"]
    assert p["minority"] == "yes" and p["target"] == "y" and p["ratios"] == [0.5, 1.0, 2.0] and p["seeds"] == [0, 1]
    assert p["generator_data"]["rows"] == 400 and "ks_mean" not in v  # only what was asked
    assert v["augment_minority_recall_gain_x1"] > 0.1  # minority rows drawn from its own law help recall it
    assert {"augment_real_balanced", "augment_gain_x1", "augment_gain_x1_ci95"} <= v.keys()
    with pytest.raises(UserError, match=r"trained on 400 real rows \(rows\), more than the --real-subset 100"):
        ev.evaluate_generator(table_reg, tmp_path / "t.onnx", tmp_path / "eval",
                              ev.EvalSettings(metrics="augment", real_subset=100, provider="cpu"))
    with pytest.raises(UserError, match="unknown metric fid for table data"):
        ev.evaluate_generator(table_reg, tmp_path / "t.onnx", tmp_path / "eval", ev.EvalSettings(metrics="fid"))


def test_default_metrics_leave_out_cas_without_a_separate_test_split(reg, tmp_path):
    from gantool.metrics.features import register_feature_extractors

    register_feature_extractors(register=lambda spec: reg.add("feature extractor", spec, "gantool.metrics.features"))
    # a dataset that ignores the split, as folder: and zip: do
    reg.add("dataset", DatasetSpec(name="flat", summary="s", options=(),
                                   load=lambda arg, request: _digits("train")), "tests")
    path = conditional_onnx(tmp_path / "good.onnx", dataset="flat")
    settings = ev.EvalSettings(metrics="", n=200, provider="cpu")
    result = ev.evaluate_generator(reg, path, tmp_path / "eval", settings, data="flat")
    assert "fid" in result.values and "cas" not in result.values and "gan_test" not in result.values
    assert any("cas and gan-test skipped" in note and "no separate test split" in note for note in result.notes)
    assert "cas" not in result.protocol["metrics"]
    with pytest.raises(UserError, match="no separate test split"):  # asked for: refused
        ev.evaluate_generator(reg, path, tmp_path / "eval", ev.EvalSettings(metrics="cas", n=200, provider="cpu"),
                              data="flat")
