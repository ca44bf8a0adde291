"""Built-in architectures: shapes, output ranges and the canonical DCGAN init."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gantool.core.errors import UserError
from gantool.plugins import registry
from gantool.specs import ModelArgs


def build(name, **kw):
    args = ModelArgs(**{"latent_dim": 16, "image_size": 28, "channels": 1, **kw})
    return registry().get("model", name).build(args)


@pytest.mark.parametrize("size", [28, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_dcgan_shapes(size, channels):
    m = build("dcgan", image_size=size, channels=channels, options={"ngf": 8, "ndf": 8})
    z = torch.randn(3, 16)
    x = m.generator(z)
    assert x.shape == (3, channels, size, size)
    assert x.abs().max() <= 1.0
    assert m.discriminator(x).shape == (3,)


def test_dcgan_init_is_canonical():
    torch.manual_seed(0)
    m = build("dcgan", image_size=64, options={"ngf": 64, "ndf": 64})
    convs = [p for mod in m.generator.modules() if isinstance(mod, (nn.Conv2d, nn.ConvTranspose2d)) for p in [mod.weight]]
    w = torch.cat([c.flatten() for c in convs])
    assert abs(w.mean()) < 1e-3 and abs(w.std() - 0.02) < 1e-3
    bn = torch.cat([mod.weight for mod in m.discriminator.modules() if isinstance(mod, nn.BatchNorm2d)])
    assert abs(bn.mean() - 1.0) < 5e-3 and abs(bn.std() - 0.02) < 5e-3


def test_dcgan_rejects_unsupported_size():
    with pytest.raises(UserError, match="image sizes 28, 32, 64"):
        build("dcgan", image_size=48)


def test_mlp_gan_matches_the_seed_architecture():
    m = build("gan", latent_dim=100)
    widths = [l.out_features for l in m.generator.modules() if isinstance(l, nn.Linear)]
    assert widths == [256, 512, 1024, 784]
    d_widths = [l.out_features for l in m.discriminator.modules() if isinstance(l, nn.Linear)]
    assert d_widths == [1024, 512, 256, 1]
    assert [d.p for d in m.discriminator.modules() if isinstance(d, nn.Dropout)] == [0.3] * 3
    assert m.generator(torch.randn(2, 100)).shape == (2, 1, 28, 28)


def test_toy_pair():
    m = build("toy", latent_dim=2, data_dim=2)
    out = m.generator(torch.randn(5, 2))
    assert out.shape == (5, 2) and m.discriminator(out).shape == (5,)


def test_wgan_critics_have_no_batchnorm_and_presets_pick_their_loss():
    for name, loss in (("wgan", "wgan"), ("wgan-gp", "wgan-gp")):
        spec = registry().get("model", name)
        assert spec.defaults["loss"] == loss
        m = spec.build(ModelArgs(latent_dim=16, image_size=28, channels=1, options=spec.defaults["model_options"]))
        assert not any(isinstance(x, nn.BatchNorm2d) for x in m.discriminator.modules())
        assert any(isinstance(x, nn.BatchNorm2d) for x in m.generator.modules())
        assert m.discriminator(m.generator(torch.randn(2, 16))).shape == (2,)


def test_toy_pacgan_networks_match_the_paper():
    m = build("toy", latent_dim=2, data_dim=2, options={"arch": "pacgan"})
    g_linear = [l.out_features for l in m.generator.modules() if isinstance(l, nn.Linear)]
    assert g_linear == [400, 400, 400, 400, 2]
    assert sum(isinstance(l, nn.BatchNorm1d) for l in m.generator.modules()) == 4
    maxouts = [l for l in m.discriminator.modules() if type(l).__name__ == "Maxout"]
    assert [(l.units, l.pieces) for l in maxouts] == [(200, 5)] * 3
    x = torch.randn(6, 2)
    h = maxouts[0](x)  # each unit is the max of its 5 linear pieces
    assert torch.equal(h, maxouts[0].linear(x).view(6, 200, 5).max(dim=2).values)
    small = build("toy", latent_dim=2, data_dim=2, options={"arch": "mlp", "hidden": 8})
    assert small.discriminator(small.generator(torch.randn(3, 2))).shape == (3,)
    with pytest.raises(UserError, match="model.arch"):
        build("toy", latent_dim=2, data_dim=2, options={"arch": "big"})


def test_sngan_is_the_32px_resnet_with_spectral_norm_in_d():
    m = build("sngan", image_size=32, options={"ch_g": 16, "ch_d": 16})
    x = m.generator(torch.randn(2, 16))
    assert x.shape == (2, 1, 32, 32) and x.abs().max() <= 1.0
    assert m.discriminator(x).shape == (2,)
    weighted = [mod for mod in m.discriminator.modules() if isinstance(mod, (nn.Conv2d, nn.Linear))]
    assert weighted and all(hasattr(mod, "parametrizations") for mod in weighted)
    assert registry().get("model", "sngan").defaults["loss"] == "hinge"
    with pytest.raises(UserError, match="32 px"):
        build("sngan", image_size=28)


def test_cgan_generator_and_projection_discriminator_use_the_label():
    torch.manual_seed(0)
    m = build("cgan", num_classes=10, options={"ngf": 8, "ndf": 8})
    z = torch.randn(1, 16).repeat(2, 1)
    labels = torch.tensor([3, 7])
    x = m.generator(z, labels)
    assert x.shape == (2, 1, 28, 28) and not torch.allclose(x[0], x[1])
    d = m.discriminator.eval()
    same = x[:1].repeat(2, 1, 1, 1)
    logits = d(same, labels)
    h = d.features(same)  # projection: the label adds embed(y) . h(x)
    expected = d.linear(h).squeeze(1) + (d.embed(labels) * h).sum(1)
    assert torch.allclose(logits, expected) and not torch.allclose(logits[0], logits[1])
    with pytest.raises(UserError, match="labelled dataset"):
        build("cgan", num_classes=0)


def test_conditional_label_paths_class_norm_in_g_and_label_planes_in_d():
    torch.manual_seed(0)
    from gantool.models.conditional import ClassBatchNorm

    m = build("cgan", num_classes=10, options={"ngf": 8, "ndf": 8, "class_norm": True, "label_planes": True})
    norms = [mod for mod in m.generator.modules() if isinstance(mod, ClassBatchNorm)]
    assert len(norms) == 2 and not any(type(mod) is nn.BatchNorm2d and mod.affine for mod in m.generator.modules())
    # with the input embedding zeroed, the label still reaches G through each norm's scale and shift
    with torch.no_grad():
        m.generator.embed.weight.zero_()
        norms[0].shift.weight[7] += 1.0
    z = torch.randn(1, 16).repeat(2, 1)
    x = m.generator.eval()(z, torch.tensor([3, 7]))
    assert not torch.allclose(x[0], x[1])
    # D sees the label as one-hot planes beside the image, and still through the projection
    d = m.discriminator.eval()
    assert d.features.net[0].in_channels == 1 + 10
    with torch.no_grad():
        d.embed.weight.zero_()
    logits = d(x[:1].repeat(2, 1, 1, 1), torch.tensor([3, 7]))
    assert not torch.allclose(logits[0], logits[1])


def test_cgan_defaults_use_the_label_paths_and_old_runs_keep_their_networks():
    assert registry().get("model", "cgan").defaults["model_options"] == {"class_norm": True, "label_planes": True}
    # a run made before these options existed has none in its config: it rebuilds the old networks
    old = build("cgan", num_classes=10, options={"ngf": 8, "ndf": 8})
    assert sum(isinstance(mod, nn.BatchNorm2d) and mod.affine for mod in old.generator.modules()) == 2
    assert old.discriminator.features.net[0].in_channels == 1


def test_acgan_step_adds_the_class_loss_to_both_phases(tmp_path):
    from tests.conftest import random_images, read_jsonl, train_checkpoint

    run = train_checkpoint(tmp_path, "acgan", random_images(classes=4), steps=2, log_every=1,
                           model_options={"ngf": 8, "ndf": 8})
    lines = [r for r in read_jsonl(run / "metrics.jsonl") if "loss_d" in r]
    assert all(r["aux_d"] > 0 and r["aux_g"] > 0 for r in lines)
    m = build("acgan", num_classes=4, options={"ngf": 8, "ndf": 8})
    adversarial, classes = m.discriminator.heads(torch.randn(3, 1, 28, 28))
    assert adversarial.shape == (3,) and classes.shape == (3, 4)


def test_acgan_twin_classifier_learns_the_fakes_and_g_is_scored_against_it():
    import torch.nn.functional as F

    from gantool.models.acgan import ACGANStep

    torch.manual_seed(0)
    m = build("acgan", num_classes=4, options={"ngf": 8, "ndf": 8, "twin": True, "projection": True})
    d = m.discriminator.eval()
    x, labels = torch.randn(3, 1, 28, 28), torch.tensor([0, 1, 3])
    logits, classes, twin = d(x, labels, both_heads=True)
    assert twin.shape == (3, 4) and not torch.allclose(twin, classes)
    # projection: the adversarial logit depends on the label
    assert not torch.allclose(logits, d(x, torch.tensor([2, 2, 2])))
    step = ACGANStep.__new__(ACGANStep)  # judge() needs only D and the weights
    step.aux_weight, step.classify_fakes = 1.0, False
    step.d_net = lambda role: d
    ce = lambda out: F.cross_entropy(out, labels)  # noqa: E731
    assert torch.allclose(step.judge(x, labels, "real")[1], ce(classes))
    assert torch.allclose(step.judge(x, labels, "fake")[1], ce(twin))
    assert torch.allclose(step.judge(x, labels, "generator")[1], ce(classes) - ce(twin))


@pytest.mark.parametrize("model,options", [("cgan", {"class_norm": True, "label_planes": True}),
                                           ("acgan", {"class_norm": True, "projection": True, "twin": True})])
def test_the_new_label_paths_train_export_and_sample_with_onnx_runtime(tmp_path, model, options):
    import numpy as np
    import onnxruntime as ort

    from gantool.export import generator
    from gantool.export.onnx_export import export
    from tests.conftest import random_images, train_checkpoint

    run = train_checkpoint(tmp_path, model, random_images(classes=3), model_options={"ngf": 8, "ndf": 8, **options})
    gen = generator.load(run)
    report = export(gen, run / "generator.onnx")  # checked against PyTorch on a fixed batch
    assert report.max_diff <= 1e-4
    session = ort.InferenceSession(str(report.path), providers=["CPUExecutionProvider"])
    z = np.random.default_rng(1).standard_normal((1, gen.args.latent_dim), dtype=np.float32).repeat(3, axis=0)
    images = session.run(None, {"z": z, "labels": np.array([0, 1, 2], dtype=np.int64)})[0]
    assert images.shape == (3, 1, 28, 28)
    assert not np.allclose(images[0], images[1]) and not np.allclose(images[1], images[2])  # the label steers G
