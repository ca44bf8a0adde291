"""Built-in architectures: shapes, output ranges and the canonical DCGAN init."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gantool.errors import UserError
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
