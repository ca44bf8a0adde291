"""zip:PATH in StyleGAN2-ADA's dataset layout, and `gantool data prepare/info`."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from gantool.cli import build_app
from gantool.core.errors import UserError
from gantool.data import archive
from gantool.specs import DataRequest
from tests.conftest import gantool, read_jsonl


@pytest.fixture(autouse=True)
def own_home(tmp_path, monkeypatch):
    monkeypatch.setenv("GANTOOL_HOME", str(tmp_path / "home"))


def stylegan_zip(path, n=24, size=28, classes=3, labelled=True):
    """What dataset_tool.py writes: 00000/img00000000.png ..., grey PNGs, dataset.json."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:size, :size]
    pairs = []
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(n):
            cy, cx = rng.uniform(8, size - 8, size=2)
            img = (((yy - cy) ** 2 + (xx - cx) ** 2) < (3 + 2 * (i % classes)) ** 2).astype(np.uint8) * 255
            name = f"{i // 1000:05d}/img{i:08d}.png"
            buf = io.BytesIO()
            Image.fromarray(img).save(buf, format="png")
            zf.writestr(name, buf.getvalue())
            pairs.append([name, i % classes])
        zf.writestr("dataset.json", json.dumps({"labels": pairs if labelled else None}))
    return path


def cli(*args):
    return CliRunner().invoke(build_app(), list(args))


def test_zip_reads_images_and_labels(tmp_path):
    data = archive.load(str(stylegan_zip(tmp_path / "d.zip")), DataRequest(image_size=28, channels=1))
    assert data.x.shape == (24, 1, 28, 28) and data.num_classes == 3
    assert list(data.labels[:4]) == [0, 1, 2, 0]
    unlabelled = archive.load(str(stylegan_zip(tmp_path / "u.zip", labelled=False)), DataRequest(image_size=28))
    assert unlabelled.labels is None and unlabelled.num_classes == 0


def test_prepare_writes_a_zip_that_reads_back_identically(tmp_path):
    rng = np.random.default_rng(2)
    for c in ("a", "b"):
        (tmp_path / "src" / c).mkdir(parents=True)
        for i in range(5):
            Image.fromarray(rng.integers(0, 256, (30, 26, 3), dtype=np.uint8)).save(tmp_path / "src" / c / f"{i}.png")
    (tmp_path / "src" / "a" / "broken.jpg").write_bytes(b"\xff\xd8 no")
    out = cli("data", "prepare", f"folder:{tmp_path / 'src'}", "--size", "16", "-o", str(tmp_path / "out.zip"))
    assert out.exit_code == 0, out.output
    assert "skipped 1 unreadable file(s):" in out.output and "a/broken.jpg (UnidentifiedImageError)" in out.output
    from gantool.data import folder

    original = folder.load(str(tmp_path / "src"), DataRequest(image_size=16, channels=3, skip_bad=True))
    back = archive.load(str(tmp_path / "out.zip"), DataRequest(image_size=16, channels=3))
    np.testing.assert_array_equal(back.x, original.x)
    np.testing.assert_array_equal(back.labels, original.labels)
    with zipfile.ZipFile(tmp_path / "out.zip") as zf:
        assert zf.namelist()[0] == "00000/img00000000.png"
        assert json.loads(zf.read("dataset.json"))["labels"][5] == ["00000/img00000005.png", 1]
    again = cli("data", "prepare", str(tmp_path / "src"), "--size", "16", "-o", str(tmp_path / "out.zip"))
    assert isinstance(again.exception, UserError) and "--force" in str(again.exception)
    npz = cli("data", "prepare", str(tmp_path / "out.zip"), "--size", "8", "--channels", "1",
              "-o", str(tmp_path / "out.npz"))
    assert npz.exit_code == 0, npz.output
    with np.load(tmp_path / "out.npz") as arrays:
        assert arrays["x"].shape == (10, 1, 8, 8) and list(arrays["y"]) == [0] * 5 + [1] * 5


def test_info_reports_counts_classes_and_cache_state(tmp_path):
    path = stylegan_zip(tmp_path / "d.zip")
    before = cli("data", "info", f"zip:{path}")
    assert before.exit_code == 0 and "24 files" in before.output and "3 (images per class: min 8, max 8)" in before.output
    assert "none yet" in before.output and "sizes:    28x28 to 28x28, shorter side median 28 (24 of 24" in before.output
    cli("data", "prepare", str(path), "--size", "28", "--channels", "1")
    after = cli("data", "info", str(path))
    assert "28x28x1, 24 images" in after.output and "current" in after.output


@pytest.mark.parametrize("case, match", [
    ("corrupt", "cannot be read"), ("vectors", "class indices"), ("missing", "no label for"), ("empty", "holds no images"),
])
def test_zip_errors_are_one_line(tmp_path, case, match):
    path = tmp_path / "bad.zip"
    if case == "corrupt":
        stylegan_zip(path)
        path.write_bytes(path.read_bytes()[:-60])  # the central directory cut off
    else:
        with zipfile.ZipFile(path, "w") as zf:
            if case != "empty":
                buf = io.BytesIO()
                Image.new("L", (8, 8)).save(buf, format="png")
                zf.writestr("00000/img00000000.png", buf.getvalue())
                zf.writestr("00000/img00000001.png", buf.getvalue())
            labels = {"vectors": [["00000/img00000000.png", [0.5, 1.0]], ["00000/img00000001.png", [0, 1]]],
                      "missing": [["00000/img00000000.png", 1]], "empty": None}[case]
            zf.writestr("dataset.json", json.dumps({"labels": labels}))
    with pytest.raises(UserError, match=match):
        archive.load(str(path), DataRequest(image_size=8))


def test_a_dataset_tool_zip_trains_cgan_with_its_labels(tmp_path):
    path = stylegan_zip(tmp_path / "blobs.zip", n=32, classes=2)
    out = gantool("train", "cgan", "--data", f"zip:{path}", "--steps", "2", "--batch-size", "8", "--log-every", "1",
                  "--sample-every", "0", "--set", "data.workers=1", cwd=tmp_path,
                  env={"GANTOOL_HOME": str(tmp_path / "home")})
    assert out.returncode == 0, out.stderr
    run = tmp_path / "runs" / "cgan" / "exp"
    assert f'data = "zip:{path}"' in (run / "config.toml").read_text()
    assert [m["step"] for m in read_jsonl(run / "metrics.jsonl") if "loss_d" in m] == [1, 2]
    import torch

    checkpoint = torch.load(run / "checkpoints" / "last.pt", map_location="cpu", weights_only=False)
    assert checkpoint["model_args"]["num_classes"] == 2  # the labels of dataset.json


def test_prepare_any_dataset_into_a_stylegan_folder(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.integers(0, 256, size=(7, 3, 12, 12), dtype=np.uint8)
    np.savez(tmp_path / "a.npz", x=x, y=np.array([2, 0, 1, 2, 0, 1, 2]))
    out = cli("data", "prepare", f"npz:{tmp_path / 'a.npz'}", "--size", "12", "-o", str(tmp_path / "set"))
    assert out.exit_code == 0, out.output
    assert sorted(p.name for p in (tmp_path / "set").iterdir()) == ["00000", "dataset.json"]
    from gantool.data import folder

    back = folder.load(str(tmp_path / "set"), DataRequest(image_size=12, channels=3))
    np.testing.assert_array_equal(back.x, x)
    assert list(back.labels) == [2, 0, 1, 2, 0, 1, 2] and back.num_classes == 3
    again = cli("data", "prepare", f"npz:{tmp_path / 'a.npz'}", "--size", "12", "-o", str(tmp_path / "set"), "--force")
    assert isinstance(again.exception, UserError) and "a folder is written only where none is" in str(again.exception)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".set.")]  # no temp folder left


def test_a_missing_source_path_is_named_not_taken_for_a_dataset(tmp_path):
    for command in (["data", "prepare", str(tmp_path / "nope"), "--size", "8"], ["data", "info", "./nope.zip"]):
        out = gantool(*command, cwd=tmp_path)
        assert out.returncode == 2 and "Traceback" not in out.stderr
        assert "nope" in out.stderr and "does not exist" in out.stderr and "unknown dataset" not in out.stderr
    plain = tmp_path / "notes.txt"
    plain.write_text("x")
    out = gantool("data", "prepare", str(plain), "--size", "8", cwd=tmp_path)
    assert out.returncode == 2 and "neither a folder nor a .zip" in out.stderr
