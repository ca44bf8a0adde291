"""The FID Inception: canonical keys, weight verification and download, preprocessing,
and ONNX Runtime agreeing with PyTorch."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import gantool
from gantool.core.errors import UserError
from gantool.metrics import inception
from gantool.metrics.features import InceptionFeatures

CANONICAL_KEYS = (Path(__file__).parent / "data" / "inception_keys.txt").read_text().split()  # torchvision's Inception3(1008, no aux)


def test_a_random_state_dict_with_the_canonical_keys_loads_strictly():
    model = inception.FIDInception()
    shapes = {k: v.shape for k, v in model.state_dict().items()}
    assert list(shapes) == CANONICAL_KEYS
    state = {k: torch.randn(shapes[k]) if shapes[k] else torch.tensor(0) for k in CANONICAL_KEYS}
    fresh = inception.FIDInception()
    fresh.load_state_dict(state, strict=True)
    assert torch.equal(fresh.fc.weight, state["fc.weight"])
    assert sum(p.numel() for p in fresh.parameters()) == 23_850_960


def test_weights_with_the_wrong_hash_are_rejected(tmp_path, monkeypatch):
    fake = tmp_path / inception.WEIGHTS_NAME
    fake.write_bytes(b"not the weights")
    monkeypatch.setenv(inception.WEIGHTS_ENV, str(fake))
    with pytest.raises(UserError, match="is not the FID Inception weights file"):
        inception.weights_path()


@pytest.fixture
def weights_server(tmp_path):
    """A host serving a file with the weights' name but other bytes; records what was asked."""
    (tmp_path / "srv").mkdir()
    (tmp_path / "srv" / inception.WEIGHTS_NAME).write_bytes(b"x" * 1000)
    requests = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            requests.append(self.path)

    handler = functools.partial(Handler, directory=str(tmp_path / "srv"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", requests
    server.shutdown()


def test_download_is_verified_and_a_bad_file_never_reaches_the_cache(tmp_path, monkeypatch, weights_server):
    url, requests = weights_server
    monkeypatch.delenv(inception.WEIGHTS_ENV, raising=False)
    monkeypatch.setenv("GANTOOL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GANTOOL_DATA_MIRROR", url)
    with pytest.raises(UserError) as err:
        inception.weights_path()
    message = str(err.value)
    assert inception.WEIGHTS_ENV in message and inception.WEIGHTS_NAME in message  # names both ways out
    assert any(inception.WEIGHTS_NAME in r for r in requests)
    assert not list((tmp_path / "home").rglob(inception.WEIGHTS_NAME))


def test_tf_preprocessing_resizes_without_half_pixel_offset():
    image = np.array([[[[-1.0, 1.0], [1.0, -1.0]]]], dtype=np.float32)  # uint8 0 and 255
    x = inception.preprocess(image, "tf")
    assert x.shape == (1, 3, 299, 299)
    # output pixel i samples input i * 2 / 299: row 0 is exactly input row 0, col 0 exactly input col 0
    assert x[0, 0, 0, 0] == pytest.approx((0 - 128) / 128)
    j = 100  # samples 200/299 of the way from input col 0 to col 1
    assert x[0, 0, 0, j] == pytest.approx(((255 * (j * 2 / 299)) - 128) / 128, rel=1e-5)
    assert x[0, 0, 0, -1] == pytest.approx((255 - 128) / 128)  # past the last input: clamped


def _tf1_resize(x: np.ndarray, size: int) -> np.ndarray:
    """TF1's resize_bilinear kernel written out (float32 throughout): source position
    i * (n_in / n_out), then lerps top + (bottom - top) * fraction, rows of lerped columns."""
    def axis(n_in):
        pos = np.arange(size, dtype=np.float32) * (np.float32(n_in) / np.float32(size))
        lo = np.floor(pos).astype(int)
        return lo, np.minimum(lo + 1, n_in - 1), pos - lo.astype(np.float32)

    (y0, y1, fy), (x0, x1, fx) = axis(x.shape[2]), axis(x.shape[3])
    top, bottom = x[:, :, y0], x[:, :, y1]
    top = top[..., x0] + (top[..., x1] - top[..., x0]) * fx
    bottom = bottom[..., x0] + (bottom[..., x1] - bottom[..., x0]) * fx
    return top + (bottom - top) * fy[:, None]


@pytest.mark.parametrize("shape", [(300, 300), (512, 512), (300, 512), (28, 28)])
def test_both_resizes_match_their_references_to_float32_rounding(shape):
    # the sampling positions are float32 in TF1, torch-fidelity and torch: computed in float64
    # they moved the network input by up to 1e-4 at 300 px and 5e-5 at 512 px
    images = np.random.default_rng(0).uniform(-1, 1, (2, 3, *shape)).astype(np.float32)
    quantised = np.round((images + 1) * 127.5)
    torch_way = F.interpolate(torch.from_numpy(quantised / 255), size=(299, 299), mode="bilinear",
                              align_corners=False) * 2 - 1
    assert np.abs(inception.preprocess(images, "pytorch-fid") - torch_way.numpy()).max() < 1e-6
    tf_way = (_tf1_resize(quantised.astype(np.float32), 299) - 128) / 128
    assert np.abs(inception.preprocess(images, "tf") - tf_way).max() < 1e-6
    with pytest.raises(UserError, match="--resize"):
        inception.preprocess(images, "lanczos")


@pytest.fixture(scope="module")
def random_weights(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    model = inception.FIDInception()
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.1, 0.1)
            module.running_var.uniform_(0.5, 1.5)
    torch.nn.init.uniform_(model.fc.bias, 1.0, 2.0)  # a bias IS logits must leave out
    path = tmp_path_factory.mktemp("weights") / "random.pth"
    torch.save(model.state_dict(), path)
    return path


def test_onnx_runtime_and_pytorch_features_agree(random_weights, tmp_path, monkeypatch):
    monkeypatch.setenv("GANTOOL_HOME", str(tmp_path / "home"))
    images = np.random.default_rng(1).uniform(-1, 1, (3, 1, 28, 28)).astype(np.float32)
    torch_out = InceptionFeatures("torch", weights=random_weights)(images)
    onnx_engine = InceptionFeatures("onnx", weights=random_weights, provider="cpu")
    onnx_out = onnx_engine(images)
    cached = onnx_engine.onnx_path()
    # exported once under $GANTOOL_HOME (weights may sit on a read-only path), keyed by the
    # weights' hash and gantool's version: another gantool never reuses this export
    assert cached.is_file() and cached.is_relative_to(tmp_path / "home")
    assert [p.name for p in random_weights.parent.iterdir()] == [random_weights.name]
    assert onnx_engine.sha256[:16] in cached.name and f"gantool-{gantool.__version__}" in cached.name
    monkeypatch.setattr(gantool, "__version__", "99.0")
    assert onnx_engine.onnx_cache_path() != cached and "gantool-99.0" in onnx_engine.onnx_cache_path().name
    assert torch_out.features.shape == (3, 2048) and torch_out.logits.shape == (3, 1008)
    scale = np.abs(torch_out.features).max()
    assert np.abs(onnx_out.features - torch_out.features).max() / scale < 1e-5
    assert np.abs(onnx_out.logits - torch_out.logits).max() / np.abs(torch_out.logits).max() < 1e-5
    weight = torch.load(random_weights, weights_only=True)["fc.weight"].numpy()
    assert np.allclose(torch_out.logits, torch_out.features @ weight.T, rtol=1e-4, atol=1e-4)  # no bias
