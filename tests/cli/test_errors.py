"""User mistakes end with one clear line on stderr, exit code 2, and nothing overwritten."""

from __future__ import annotations

import gzip
import shutil

import numpy as np
import pytest
from PIL import Image

from tests.conftest import MNIST_MIRROR, gantool


def assert_user_error(result, *fragments):
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert "Traceback" not in result.stderr


def test_unknown_model(tmp_path):
    assert_user_error(gantool("train", "dcgna", cwd=tmp_path), "unknown model 'dcgna'", "did you mean 'dcgan'")
    assert not (tmp_path / "runs").exists()


def test_unknown_loss_and_dataset(tmp_path):
    assert_user_error(gantool("train", "toy", "--loss", "bcee", cwd=tmp_path), "unknown loss 'bcee'", "'bce'")
    assert_user_error(gantool("train", "toy", "--data", "rign", cwd=tmp_path), "unknown dataset 'rign'", "'ring'")
    assert_user_error(gantool("train", "toy", "--data", "mnist", cwd=tmp_path), "model 'toy' trains on vector data")


def test_missing_folder(tmp_path):
    assert_user_error(gantool("train", "dcgan", "--data", "folder:nope", cwd=tmp_path), "nope", "does not exist")
    assert not (tmp_path / "runs").exists()


def test_folder_with_a_corrupt_image(tmp_path):
    images = tmp_path / "imgs"
    images.mkdir()
    for i in range(40):
        Image.new("L", (28, 28), i * 5).save(images / f"{i}.png")
    (images / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    assert_user_error(gantool("train", "dcgan", "--data", f"folder:{images}", cwd=tmp_path), "bad.png", "--skip-bad")
    assert not (tmp_path / "runs").exists()
    ok = gantool("train", "dcgan", "--data", f"folder:{images}", "--skip-bad", "--steps", "2", "--batch-size", "8",
                 "--set", "model.ngf=4", "--set", "model.ndf=4", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "skipped 1 unreadable image" in ok.stdout


def test_npz_of_the_wrong_shape(tmp_path):
    np.savez(tmp_path / "bad.npz", x=np.zeros((10, 7, 28, 28), np.uint8))
    assert_user_error(gantool("train", "dcgan", "--data", "npz:bad.npz", cwd=tmp_path), "bad.npz", "(10, 7, 28, 28)")


def test_corrupt_checkpoint_for_resume(tmp_path, tiny_images):
    args = ["--data", f"npz:{tiny_images}", "--steps", "2", "--batch-size", "16", "--set", "model.ngf=4", "--set", "model.ndf=4"]
    assert gantool("train", "dcgan", *args, cwd=tmp_path).returncode == 0
    run = tmp_path / "runs" / "dcgan" / "exp"
    last = run / "checkpoints" / "last.pt"
    last.write_bytes(last.read_bytes()[:1000])  # truncated, as a full disk would leave it
    before = {p: p.read_bytes() for p in run.rglob("*") if p.is_file() and p.name != ".lock"}  # .lock: the pid of its taker
    assert_user_error(gantool("train", "--resume", str(run), "--steps", "4", cwd=tmp_path), "last.pt", "truncated or damaged")
    assert {p: p.read_bytes() for p in run.rglob("*") if p.is_file() and p.name != ".lock"} == before
    assert_user_error(gantool("train", "--resume", str(tmp_path / "nothing"), cwd=tmp_path), "does not exist")


def test_mirror_file_with_wrong_sha256(tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for f in MNIST_MIRROR.glob("*.gz"):
        shutil.copy(f, mirror)
    raw = bytearray(gzip.decompress((MNIST_MIRROR / "train-labels-idx1-ubyte.gz").read_bytes()))
    raw[-1] ^= 0xFF
    (mirror / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(bytes(raw)))
    home = tmp_path / "home"
    env = {"GANTOOL_DATA_MIRROR": str(mirror), "GANTOOL_HOME": str(home)}
    result = gantool("train", "dcgan", cwd=tmp_path, env=env)
    assert_user_error(result, "train-labels-idx1-ubyte", "failed verification", "GANTOOL_DATA_MIRROR")
    assert not (home / "data" / "mnist" / "train-labels-idx1-ubyte").exists()
    assert not (tmp_path / "runs").exists()


def test_debug_shows_the_traceback(tmp_path):
    result = gantool("--debug", "train", "dcgna", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" in result.stderr and "error: unknown model" in result.stderr


@pytest.mark.parametrize("args,fragment", [
    (["train"], "name a model"),
    (["train", "toy", "--set", "nonsense"], "--set expects key=value"),
    (["train", "toy", "--precision", "fp8"], "precision must be one of"),
    (["train", "toy", "--device", "cuda"], "CUDA is not available"),
    (["train", "toy", "--config", "missing.toml"], "missing.toml does not exist"),
])
def test_other_bad_inputs(tmp_path, args, fragment):
    assert_user_error(gantool(*args, cwd=tmp_path), fragment)


@pytest.mark.parametrize("option,fragment", [
    ("model.hidden=abc", "model.hidden must be a whole number of at least 1, not 'abc'"),
    ("loss.label_smoothing=0.7", "loss.label_smoothing must be a number in [0, 0.5), not 0.7"),
    ("loss.minimax=yes", "loss.minimax must be true or false, not 'yes'"),
    ("model.hiden=128", "model 'toy' has no option model.hiden; did you mean model.hidden?"),
    ("data.sigma=0.1", "dataset 'ring' has no option data.sigma (it takes none)"),
])
def test_a_bad_model_loss_or_data_option_names_itself(tmp_path, option, fragment):
    assert_user_error(gantool("train", "toy", "--steps", "2", "--set", option, cwd=tmp_path), fragment)
    assert not (tmp_path / "runs").exists()


def test_a_misspelt_model_option_is_refused_before_any_download(tmp_path):
    """An empty cache and a mirror with nothing in it: loading MNIST would fail with a download
    error, so getting the option error proves the check runs first."""
    (tmp_path / "empty-mirror").mkdir()
    env = {"GANTOOL_HOME": str(tmp_path / "home"), "GANTOOL_DATA_MIRROR": str(tmp_path / "empty-mirror")}
    result = gantool("train", "dcgan", "--set", "model.ngff=8", cwd=tmp_path, env=env)
    assert_user_error(result, "model 'dcgan' has no option model.ngff; did you mean model.ngf?")
    assert not (tmp_path / "home").exists() and not (tmp_path / "runs").exists()
