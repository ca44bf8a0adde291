"""ONNX export: round-trip parity for every built-in model, metadata, uint8, fp16, SN folding."""

from __future__ import annotations

import dataclasses

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from torch import nn

from gantool import hookimpl, plugins
from gantool.core import onnx_meta as meta
from gantool.core.errors import UserError
from gantool.core.imaging import to_uint8
from gantool.data.toy2d import load_ring
from gantool.export import generator
from gantool.export.onnx_export import export
from gantool.specs import DataRequest, GanModules, ModelSpec, TrainingHooks
from tests.conftest import random_images, train_checkpoint

CASES = {
    "gan": dict(model="gan", data=lambda: random_images(), cfg={}),
    "dcgan-28": dict(model="dcgan", data=lambda: random_images(), cfg={"model_options": {"ngf": 8, "ndf": 8}}),
    "dcgan-32-rgb": dict(model="dcgan", data=lambda: random_images(size=32, channels=3),
                         cfg={"image_size": 32, "channels": 3, "model_options": {"ngf": 8, "ndf": 8}}),
    "dcgan-64": dict(model="dcgan", data=lambda: random_images(size=64),
                     cfg={"image_size": 64, "model_options": {"ngf": 4, "ndf": 4}}),
    "wgan": dict(model="wgan", data=lambda: random_images(), cfg={"model_options": {"ngf": 8, "ndf": 8, "batchnorm_d": False}}),
    "wgan-gp": dict(model="wgan-gp", data=lambda: random_images(), cfg={"loss": "wgan-gp", "gp_lambda": 10.0,
                                                                       "model_options": {"ngf": 8, "ndf": 8, "batchnorm_d": False}}),
    "toy": dict(model="toy", data=lambda: load_ring(None, DataRequest()), cfg={"latent_dim": 2}),
    "toy-pacgan": dict(model="toy", data=lambda: load_ring(None, DataRequest()),
                       cfg={"latent_dim": 2, "model_options": {"arch": "pacgan"}}),
    "sngan": dict(model="sngan", data=lambda: random_images(size=32), cfg={
        "image_size": 32, "loss": "hinge", "latent_dim": 16, "model_options": {"ch_g": 8, "ch_d": 8}}),
    "cgan": dict(model="cgan", data=lambda: random_images(classes=3), cfg={"model_options": {"ngf": 8, "ndf": 8}}),
    "acgan": dict(model="acgan", data=lambda: random_images(classes=3), cfg={"model_options": {"ngf": 8, "ndf": 8}}),
}


def torch_output(gen, z, labels=None):
    with torch.no_grad():
        args = (torch.from_numpy(z),) + ((torch.from_numpy(labels),) if labels is not None else ())
        return gen.module(*args).numpy()


@pytest.mark.parametrize("case", list(CASES))
def test_round_trip_parity_for_every_builtin_model(tmp_path, case):
    spec = CASES[case]
    run = train_checkpoint(tmp_path, spec["model"], spec["data"](), ema=True, **spec["cfg"])
    gen = generator.load(run)
    assert gen.weights == "ema" and not gen.module.training
    report = export(gen, run / "generator.onnx")
    assert report.max_diff <= 1e-4
    session = ort.InferenceSession(str(report.path), providers=["CPUExecutionProvider"])
    z = np.random.default_rng(5).standard_normal((5, gen.args.latent_dim), dtype=np.float32)  # another batch size
    feeds = {"z": z}
    if gen.num_classes:
        feeds["labels"] = np.array([0, 1, 2, 1, 0], dtype=np.int64)
        assert [i.name for i in session.get_inputs()] == ["z", "labels"]
    np.testing.assert_allclose(session.run(None, feeds)[0], torch_output(gen, z, feeds.get("labels")), atol=1e-5)

    model = onnx.load(str(report.path))
    md = {p.key: p.value for p in model.metadata_props}
    assert md[meta.MODEL] == spec["model"] and md[meta.LATENT_DIM] == str(gen.args.latent_dim)
    assert md[meta.TRAINING_STEP] == "2" and md[meta.WEIGHTS] == "ema" and md[meta.CONFIG_HASH] == gen.cfg.hash()
    assert md[meta.KIND] == ("vector" if case.startswith("toy") else "image")
    assert md[meta.NUM_CLASSES] == str(gen.num_classes)
    assert not any(t.data_location == onnx.TensorProto.EXTERNAL for t in model.graph.initializer)
    batch_dim = model.graph.input[0].type.tensor_type.shape.dim[0]
    assert batch_dim.dim_param and not batch_dim.dim_value  # dynamic batch


def test_uint8_equals_rounded_float_and_fp16_is_close(tmp_path):
    run = train_checkpoint(tmp_path, "dcgan", random_images(), model_options={"ngf": 8, "ndf": 8})
    gen = generator.load(run)
    paths = {kind: export(gen, run / f"{kind}.onnx", uint8=kind == "u8", fp16=kind == "f16").path
             for kind in ("f32", "u8", "f16")}
    z = np.random.default_rng(1).standard_normal((16, 100), dtype=np.float32)
    out = {k: ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]).run(None, {"z": z})[0]
           for k, p in paths.items()}
    assert out["u8"].dtype == np.uint8 and out["u8"].shape == (16, 28, 28, 1)
    diff = np.abs(out["u8"].astype(int) - to_uint8(out["f32"]).astype(int))
    assert diff.max() <= 1 and (diff == 0).mean() > 0.999  # ties may round either way in float
    assert out["f16"].dtype == np.float32
    assert np.abs(out["f16"] - out["f32"]).max() < 1e-2
    md = {p.key: p.value for p in onnx.load(str(paths["u8"])).metadata_props}
    assert (md[meta.VALUE_RANGE], md[meta.OUTPUT_LAYOUT]) == ("0,255", "NHWC")


class CondGenerator(nn.Module):
    """A conditional generator with a spectrally normalised layer, to test labels and SN folding."""

    def __init__(self, latent_dim, classes):
        super().__init__()
        self.embed = nn.Embedding(classes, latent_dim)
        self.fc = nn.utils.parametrizations.spectral_norm(nn.Linear(latent_dim, 16))
        self.old_style = nn.utils.spectral_norm(nn.Linear(16, 16))

    def forward(self, z, labels):
        return torch.tanh(self.old_style(torch.relu(self.fc(z * self.embed(labels))))).view(-1, 1, 4, 4)


class CondDiscriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 1)

    def forward(self, x):
        return self.fc(x.flatten(1)).squeeze(1)


class CondPlugin:
    @hookimpl
    def register_models(self, register):
        register(ModelSpec(name="condtest", summary="test conditional model", conditional=True,
                           build=lambda a: GanModules(CondGenerator(a.latent_dim, a.num_classes), CondDiscriminator())))


@pytest.fixture
def conditional_model():
    p = plugins.get_plugins()
    p.pm.register(CondPlugin(), name="condtest")
    p.registry.plugins["condtest"] = plugins.PluginInfo(name="condtest", version="0", builtin=False)
    p._register_specs("condtest")
    return "condtest"


class LabelStep:
    """The default step ignores labels; this one feeds them to G (what cgan will do)."""

    unsupported: dict = {}

    def __init__(self, ctx):
        from gantool import Phase

        self.ctx, self.phases = ctx, [Phase("D", "d")]

    def begin(self, step, real, labels, due):
        self.real, self.labels = real, labels

    def loss(self, phase, step):
        from gantool import PhaseLoss

        c = self.ctx
        fake = c.generator(torch.randn(self.real.shape[0], c.latent_dim), self.labels)
        loss = c.loss.d_loss(c.discriminator(self.real), c.discriminator(fake.detach()))
        return PhaseLoss(loss, {"loss_d": loss})


def test_conditional_export_has_labels_and_folds_spectral_norm(tmp_path, conditional_model, monkeypatch):
    spec = plugins.registry().get("model", "condtest")
    monkeypatch.setitem(plugins.registry().specs["model"], "condtest",
                        dataclasses.replace(spec, training=TrainingHooks(make_step=LabelStep)))
    run = train_checkpoint(tmp_path, "condtest", random_images(size=4, classes=3), image_size=4, latent_dim=6)
    gen = generator.load(run)
    names = [n for n, _ in gen.module.named_parameters()]
    assert not any("parametrizations" in n or "weight_orig" in n for n in names)  # folded
    report = export(gen, run / "generator.onnx")
    assert report.max_diff <= 1e-4
    model = onnx.load(str(report.path))
    assert [i.name for i in model.graph.input] == ["z", "labels"]
    assert {p.key: p.value for p in model.metadata_props}[meta.NUM_CLASSES] == "3"
    session = ort.InferenceSession(str(report.path), providers=["CPUExecutionProvider"])
    z = np.ones((3, 6), np.float32)
    out = session.run(None, {"z": z, "labels": np.array([0, 1, 2])})[0]
    assert not np.allclose(out[0], out[1])  # the label changes the image


def test_export_errors_leave_nothing_behind(tmp_path):
    with pytest.raises(UserError, match="has no checkpoint"):
        generator.load(tmp_path)
    run = train_checkpoint(tmp_path, "toy", load_ring(None, DataRequest()), latent_dim=2)
    with pytest.raises(UserError, match="no EMA weights"):
        generator.load(run, "ema")
    gen = generator.load(run)
    with pytest.raises(UserError, match="--uint8 is for image generators"):
        export(gen, run / "g.onnx", uint8=True)
    (run / "generator.onnx").write_text("precious")
    with pytest.raises(UserError, match="exists; pass --force"):
        export(gen, run / "generator.onnx")
    assert (run / "generator.onnx").read_text() == "precious"
    with pytest.raises(UserError, match="does not exist"):
        export(gen, tmp_path / "missing" / "g.onnx")
    assert not [p for p in run.iterdir() if p.name.startswith(".") and p.name != ".lock"]  # the run's own lock stays
