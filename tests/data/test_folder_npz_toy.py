"""folder:, npz: and the 2-D mixtures."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from gantool.core.errors import UserError
from gantool.data import folder, npz, toy2d
from gantool.specs import DataRequest


def _write_images(root, n=4, size=(40, 30), mode="RGB", sub=None):
    target = root / sub if sub else root
    target.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.new(mode, size, (i * 40, 255 - i * 40, 10) if mode == "RGB" else i * 40).save(target / f"img{i}.png")


def test_folder_recursive_resized_and_labelled(tmp_path):
    _write_images(tmp_path, 3, sub="cats")
    _write_images(tmp_path, 2, size=(64, 64), sub="dogs/nested")
    (tmp_path / "notes.txt").write_text("not an image")
    data = folder.load(str(tmp_path), DataRequest(image_size=16, channels=3))
    assert data.x.shape == (5, 3, 16, 16) and data.x.dtype == np.uint8
    assert list(data.labels) == [0, 0, 0, 1, 1] and data.num_classes == 2
    grey = folder.load(str(tmp_path), DataRequest(image_size=16, channels=1))
    assert grey.x.shape == (5, 1, 16, 16)


def test_folder_center_crops_the_long_side(tmp_path):
    img = np.zeros((20, 60, 3), dtype=np.uint8)
    img[:, 20:40] = 255  # a white centre band; the crop keeps only it
    Image.fromarray(img).save(tmp_path / "wide.png")
    data = folder.load(str(tmp_path), DataRequest(image_size=20, channels=3))
    assert data.x.min() > 200 and data.labels is None


def test_folder_errors(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        folder.load(str(tmp_path / "missing"), DataRequest())
    with pytest.raises(UserError, match="holds no images"):
        folder.load(str(tmp_path), DataRequest())
    _write_images(tmp_path, 2)
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8 definitely not a jpeg")
    with pytest.raises(UserError, match=r"cannot read image .*broken\.jpg.*--skip-bad"):
        folder.load(str(tmp_path), DataRequest())
    data = folder.load(str(tmp_path), DataRequest(skip_bad=True))
    assert len(data.x) == 2 and data.skipped == 1


@pytest.mark.parametrize("layout", ["nchw", "nhwc", "nhw"])
def test_npz_layouts(tmp_path, layout):
    base = np.random.default_rng(0).integers(0, 256, size=(5, 3, 8, 8), dtype=np.uint8)
    arr = {"nchw": base, "nhwc": base.transpose(0, 2, 3, 1), "nhw": base[:, 0]}[layout]
    np.savez(tmp_path / "a.npz", images=arr, labels=np.arange(5))
    data = npz.load(str(tmp_path / "a.npz"), DataRequest(image_size=8, channels=3 if layout != "nhw" else 1))
    expected = base if layout != "nhw" else base[:, :1]
    np.testing.assert_array_equal(data.x, expected)
    assert data.num_classes == 5


@pytest.mark.parametrize("scale", ["unit", "signed"])
def test_npz_float_ranges(tmp_path, scale):
    u8 = np.array([0, 51, 255], dtype=np.uint8).reshape(3, 1, 1, 1).repeat(4, 2).repeat(4, 3)
    f = u8 / 255.0 if scale == "unit" else u8 / 127.5 - 1.0
    np.savez(tmp_path / "f.npz", x=f.astype(np.float32))
    np.testing.assert_array_equal(npz.load(str(tmp_path / "f.npz"), DataRequest(image_size=4)).x, u8)


def test_npz_errors(tmp_path):
    np.savez(tmp_path / "bad.npz", x=np.zeros((4, 5, 8, 8)))
    with pytest.raises(UserError, match=r"shape \(4, 5, 8, 8\).*expected"):
        npz.load(str(tmp_path / "bad.npz"), DataRequest())
    (tmp_path / "junk.npz").write_bytes(b"junk")
    with pytest.raises(UserError, match="neither an .npz"):
        npz.load(str(tmp_path / "junk.npz"), DataRequest())
    (tmp_path / "cut.npz").write_bytes(b"PK\x03\x04 and then nothing")  # a zip's magic, no archive
    with pytest.raises(UserError, match="not a readable .npz"):
        npz.load(str(tmp_path / "cut.npz"), DataRequest())
    np.savez(tmp_path / "lab.npz", x=np.zeros((4, 8, 8), np.uint8), y=np.zeros(3, int))
    with pytest.raises(UserError, match="labels must be"):
        npz.load(str(tmp_path / "lab.npz"), DataRequest())
    with pytest.raises(UserError, match="does not exist"):
        npz.load(str(tmp_path / "none.npz"), DataRequest())


@pytest.mark.parametrize("loader,modes,sigma", [(toy2d.load_ring, 8, 0.01), (toy2d.load_grid, 25, 0.05)])
def test_mixtures_follow_the_pacgan_protocol(loader, modes, sigma):
    data = loader(None, DataRequest())
    centres = toy2d.ring_modes() if modes == 8 else toy2d.grid_modes()
    assert len(centres) == modes and data.num_classes == modes
    offsets = data.x - centres[data.labels]
    assert abs(offsets.std() - sigma) < sigma * 0.02
    assert np.bincount(data.labels).min() > len(data.x) / modes * 0.9
    if modes == 8:
        np.testing.assert_allclose(np.linalg.norm(centres, axis=1), 1.0)
    else:
        assert set(np.unique(centres)) == {-4.0, -2.0, 0.0, 2.0, 4.0}
    assert not np.array_equal(loader("test", DataRequest()).x[:10], data.x[:10])
