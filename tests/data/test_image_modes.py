"""Every common image mode becomes proper 8-bit grey or RGB (data/images.py `to_8bit`)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from gantool.data import folder
from gantool.data.images import to_8bit
from gantool.specs import DataRequest


def test_a_16_bit_png_is_scaled_not_clipped(tmp_path):
    ramp = np.linspace(0, 65535, 32 * 32).reshape(32, 32).astype(np.uint16)
    Image.fromarray(ramp).save(tmp_path / "deep.png")
    with Image.open(tmp_path / "deep.png") as img:
        assert img.mode.startswith("I")
        out = np.asarray(to_8bit(img, 1))
    assert out.min() == 0 and out.max() == 255
    assert abs(out.mean() - 127.5) < 2  # PIL's own convert("L") leaves ~99.6 % of it at 255
    data = folder.load(str(tmp_path), DataRequest(image_size=32, channels=1))
    assert abs(data.x.mean() - 127.5) < 2


def test_transparency_is_composited_on_black_and_palettes_expand():
    rgba = Image.new("RGBA", (4, 4), (255, 255, 255, 0))
    rgba.putpixel((0, 0), (200, 100, 50, 255))
    out = np.asarray(to_8bit(rgba, 3))
    assert out[0, 0].tolist() == [200, 100, 50] and out[1, 1].tolist() == [0, 0, 0]
    palette = Image.new("P", (2, 1))
    palette.putpalette([10, 20, 30, 200, 150, 100] + [0] * 762)
    palette.putpixel((1, 0), 1)
    assert np.asarray(to_8bit(palette, 3)).tolist() == [[[10, 20, 30], [200, 150, 100]]]


def test_exif_orientation_and_cmyk(tmp_path):
    wide = Image.new("RGB", (8, 2), (255, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    wide.save(tmp_path / "rotated.jpg", exif=exif)
    with Image.open(tmp_path / "rotated.jpg") as img:
        assert to_8bit(img, 3).size == (2, 8)
    Image.new("CMYK", (2, 2), (0, 255, 255, 0)).save(tmp_path / "cmyk.jpg")
    with Image.open(tmp_path / "cmyk.jpg") as img:
        r, g, b = np.asarray(to_8bit(img, 3))[0, 0].tolist()
    assert r > 200 and g < 60 and b < 60  # red
