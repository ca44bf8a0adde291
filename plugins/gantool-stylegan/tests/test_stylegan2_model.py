"""StyleGAN2's layers and networks against computations written out independently here:
the modulated convolution against the grouped (per-sample weights) form of the paper, the
FIR resampling's gains, the networks' shapes and the step's style mixing."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from gantool.core.errors import UserError
from gantool.specs import ModelArgs
from gantool_stylegan.layers import Downsample, ModulatedConv2d, Upsample
from gantool_stylegan.step import mix_styles
from gantool_stylegan.stylegan2 import MinibatchStd, build


def tiny(size: int = 16, channels: int = 3, **options):
    torch.manual_seed(0)
    opts = {"w_dim": 8, "mapping_layers": 1, "channel_base": 64, "channel_max": 8, **options}
    return build(ModelArgs(latent_dim=8, image_size=size, channels=channels, options=opts))


def grouped_modconv(conv: ModulatedConv2d, x: torch.Tensor, w: torch.Tensor, demodulate: bool) -> torch.Tensor:
    """The paper's form: per-sample modulated (and demodulated) weights, one group per sample."""
    n = x.shape[0]
    styles = conv.affine(w)
    weight = conv.weight * conv.weight_gain  # [out, in, k, k]
    wm = weight[None] * styles[:, None, :, None, None]  # [n, out, in, k, k]
    if demodulate:
        wm = wm * torch.rsqrt(wm.square().sum(dim=(2, 3, 4), keepdim=True) + 1e-8)
    out = F.conv2d(x.reshape(1, -1, *x.shape[2:]), wm.reshape(-1, *wm.shape[2:]), padding=conv.kernel // 2, groups=n)
    return out.reshape(n, -1, *out.shape[2:])


@pytest.mark.parametrize("demodulate", [True, False])
@pytest.mark.parametrize("kernel", [1, 3])
def test_modulated_conv_equals_the_grouped_form(demodulate, kernel):
    torch.manual_seed(0)
    conv = ModulatedConv2d(5, 7, kernel, w_dim=6, demodulate=demodulate)
    torch.nn.init.normal_(conv.affine.weight)  # styles far from 1, so modulation matters
    x, w = torch.randn(4, 5, 8, 8), torch.randn(4, 6)
    torch.testing.assert_close(conv(x, w), grouped_modconv(conv, x, w, demodulate), rtol=1e-4, atol=1e-5)


def test_upsampling_modulated_conv_is_the_conv_of_the_upsampled_input():
    torch.manual_seed(0)
    conv = ModulatedConv2d(3, 4, 3, w_dim=6, up=True)
    x, w = torch.randn(2, 3, 4, 4), torch.randn(2, 6)
    want = grouped_modconv(conv, Upsample(3)(x), w, True)
    torch.testing.assert_close(conv(x, w), want, rtol=1e-4, atol=1e-5)


def test_polyphase_upsampling_equals_zero_stuffing_then_the_fir_filter():
    from gantool_stylegan.layers import Blur

    x = torch.randn(2, 3, 5, 7)
    stuffed = F.pad(x.reshape(2, 3, 5, 1, 7, 1), (0, 1, 0, 0, 0, 1)).reshape(2, 3, 10, 14)
    want = Blur(3, (2, 1), gain=4.0)(stuffed)
    torch.testing.assert_close(Upsample(3)(x), want, rtol=1e-5, atol=1e-6)


def test_fir_resampling_keeps_a_flat_image_flat_and_the_size_right():
    flat = torch.full((1, 2, 8, 8), 0.5)
    up, down = Upsample(2)(flat), Downsample(2)(flat)
    assert up.shape == (1, 2, 16, 16) and down.shape == (1, 2, 4, 4)
    torch.testing.assert_close(up[..., 2:-2, 2:-2], torch.full_like(up[..., 2:-2, 2:-2], 0.5))  # gain 4 makes up for the zeros
    torch.testing.assert_close(down[..., 1:-1, 1:-1], torch.full_like(down[..., 1:-1, 1:-1], 0.5))
    # the [1, 3, 3, 1] filter: pixel 1 upsampled spreads as its outer product over 1..4 (centre 2.5)
    dot = torch.zeros(1, 1, 4, 4)
    dot[0, 0, 1, 1] = 1.0
    row = Upsample(1)(dot)[0, 0, 2]
    torch.testing.assert_close(row[:6], torch.tensor([0.0, 1.0, 3.0, 3.0, 1.0, 0.0]) * 3 / 16)


@pytest.mark.parametrize("size, num_ws", [(8, 4), (16, 6), (32, 8)])
def test_shapes_and_eval_is_deterministic(size, num_ws):
    m = tiny(size)
    g, d = m.generator, m.discriminator
    assert g.num_ws == num_ws
    for name, p in g.named_parameters():
        if name.endswith("noise_strength"):
            p.data.fill_(0.1)  # they start at 0; the noise must reach the image
    z = torch.randn(5, 8)
    x = g(z)
    assert x.shape == (5, 3, size, size) and d(x).shape == (5,)
    g.eval()
    torch.testing.assert_close(g(z), g(z))  # eval: the fixed noise buffers
    g.train()
    assert not torch.equal(g(z), g(z))  # training: fresh noise per call


def test_truncation_pulls_toward_the_average_w():
    g = tiny().generator.eval()
    g.w_avg.normal_()
    z = torch.randn(3, 8)
    average = g.synthesis(g.w_avg.expand(3, g.num_ws, -1))
    torch.testing.assert_close(g(z, truncation_psi=0.0), average)
    torch.testing.assert_close(g(z, truncation_psi=1.0), g(z))


def test_style_mixing_takes_the_second_w_from_one_cutoff_on():
    g = tiny(32).generator
    w, w2 = torch.zeros(4, 8), torch.ones(4, 8)
    torch.manual_seed(1)
    seen = set()
    for _ in range(50):
        ws = mix_styles(g, w, w2, 0.9)
        layer = ws[0, :, 0]  # 0 up to the cutoff, 1 after it, the same for every sample
        cutoff = int((layer == 0).sum())
        assert torch.equal(layer, (torch.arange(g.num_ws) >= cutoff).float())
        assert torch.equal(ws, ws[:1].expand_as(ws))
        seen.add(cutoff)
    assert g.num_ws in seen and len(seen) > 3  # sometimes unmixed, several cutoffs otherwise
    assert torch.equal(mix_styles(g, w, w2, 0.0), w[:, None].expand(-1, g.num_ws, -1))


def test_minibatch_std_groups_and_any_batch_size():
    x = torch.randn(6, 3, 4, 4)
    y = MinibatchStd(4)(x)  # 6 is not a multiple of 4: groups of 2
    assert y.shape == (6, 4, 4, 4)
    groups = x.reshape(2, 3, 3, 4, 4)
    want = groups.var(dim=0, unbiased=False).add(1e-8).sqrt().mean(dim=(1, 2, 3))
    torch.testing.assert_close(y[:3, 3, 0, 0], want)
    assert MinibatchStd(4)(torch.randn(1, 3, 4, 4)).shape == (1, 4, 4, 4)


def test_bad_sizes_name_the_plugin():
    with pytest.raises(UserError, match="^gantool-stylegan: image_size must be a power of two"):
        tiny(28)
    with pytest.raises(UserError, match="^gantool-stylegan: stylegan2 draws 1 or 3 channels"):
        tiny(16, channels=2)


def test_conditional_networks_embed_the_class_in_the_mapping_and_project_in_d():
    from gantool_stylegan.stylegan2 import build_conditional

    torch.manual_seed(0)
    args = ModelArgs(latent_dim=8, image_size=16, channels=3, num_classes=5,
                     options={"w_dim": 8, "mapping_layers": 1, "channel_base": 64, "channel_max": 8})
    m = build_conditional(args)
    g, d = m.generator.eval(), m.discriminator
    z, x = torch.randn(4, 8), torch.randn(4, 3, 16, 16)
    a, b = torch.tensor([0, 1, 2, 3]), torch.tensor([4, 4, 4, 4])
    assert g(z, a).shape == (4, 3, 16, 16) and not torch.allclose(g(z, a), g(z, b))
    assert d(x, a).shape == (4,) and not torch.allclose(d(x, a), d(x, b))
    # the projection: D's last vector dotted with the class's embedding, scaled by 1/sqrt(dim)
    assert d.cmap.shape == (5, 8) and m.generator.mapping.embed.shape == (5, 8)
    plain = build(args)  # the unconditional model ignores the data's classes
    assert plain.generator.mapping.embed is None and plain.discriminator.cmap is None
