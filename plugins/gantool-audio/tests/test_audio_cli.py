"""What a user does, through the installed console script: train a tiny WaveGAN and SpecGAN
on synthesised digits, export them, sample WAVs without torch, evaluate; and exact resume."""

from __future__ import annotations

import json
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
from audio_testing import TINY, gantool

from gantool.train.testing import assert_same_state, checkpoint_of, metric_keys, train_run

TINY_FLAGS = {"batch_size": 4, "seed": 0, "log_every": 1, "sample_every": 0, "checkpoint_every": 0, "device": "cpu",
              "latent_dim": 8, "data": "spoken-digits", "steps": 2}
TINY_SETS = {"data.clips": 20, "data.samples": 1024, "model.width": 2}
# gantool sample in a process where `import torch` fails
NO_TORCH = "import sys; sys.modules['torch'] = None; sys.argv = ['gantool', *sys.argv[1:]]; from gantool.cli import main; main()"


@pytest.fixture(scope="module")
def wavegan_run(tmp_path_factory) -> Path:
    cwd = tmp_path_factory.mktemp("wavegan")
    done = gantool("train", "wavegan", *TINY, "--steps", "2", "--sample-every", "1", cwd=cwd)
    assert done.returncode == 0, done.stderr
    done = gantool("export", "runs/wavegan/exp", "--onnx", cwd=cwd)
    assert done.returncode == 0, done.stderr
    assert "output: audio" in done.stdout and "verified" in done.stdout
    return cwd / "runs" / "wavegan" / "exp"


def test_wavegan_trains_previews_and_samples_wavs_without_torch(wavegan_run):
    assert {"digit_is", "digit_fd", "digit_confidence", "loss_d", "loss_g"} <= metric_keys(wavegan_run)
    assert (wavegan_run / "samples" / "step-0000001.png").is_file()
    out = wavegan_run.parent / "out"
    done = subprocess.run([sys.executable, "-c", NO_TORCH, "sample", str(wavegan_run), "-o", str(out), "-n", "3"],
                          capture_output=True, text=True, cwd=wavegan_run.parent)
    assert done.returncode == 0, done.stderr
    files = sorted(out.glob("*.wav"))
    assert [f.name for f in files] == ["000000.wav", "000001.wav", "000002.wav"]
    session = ort.InferenceSession(str(wavegan_run / "generator.onnx"))
    z = np.random.default_rng(0).standard_normal((3, 8), dtype=np.float32)  # gantool sample's latents, seed 0
    expected = np.round(np.clip(session.run(None, {"z": z})[0][:, 0], -1, 1) * 32767)
    for wav, clip in zip(files, expected):
        with wave.open(str(wav), "rb") as f:
            assert (f.getnchannels(), f.getsampwidth(), f.getframerate(), f.getnframes()) == (1, 2, 8000, 1024)
            assert np.array_equal(np.frombuffer(f.readframes(1024), "<i2"), clip)


def test_grid_and_refused_suffix(wavegan_run):
    done = gantool("sample", str(wavegan_run), "-o", "grid.png", "-n", "8", cwd=wavegan_run.parent)
    assert done.returncode == 0 and (wavegan_run.parent / "grid.png").is_file()
    done = gantool("sample", str(wavegan_run), "-o", "x.txt", cwd=wavegan_run.parent)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "cannot write audio samples to x.txt: use .npz, .png, a folder" in done.stderr


def test_conditional_specgan_exports_matching_torch_and_evaluates(tmp_path):
    # trained in this process (the console script's train is tested on wavegan): one torch start-up less
    run = train_run("cspecgan", {**TINY_FLAGS, "project": str(tmp_path / "runs" / "cspecgan"), "name": "exp"},
                    TINY_SETS)
    done = gantool("export", str(run), "--onnx", cwd=tmp_path)
    assert done.returncode == 0 and "output: spectrogram" in done.stdout, done.stderr
    # parity: the file's spectrograms are G's (rebuilt from the checkpoint) for the same z and labels
    from gantool_audio.models import build_cspecgan

    from gantool import ModelArgs

    state = checkpoint_of(run)
    session = ort.InferenceSession(str(run / "generator.onnx"))
    md = session.get_modelmeta().custom_metadata_map
    assert md["sample_rate"] == "8000" and md["audio_representation"] == "spectrogram" and md["num_classes"] == "10"
    options = {"samples": 1024, "width": 2, "spectrogram_mean": json.loads(md["spectrogram_mean"]),
               "spectrogram_std": json.loads(md["spectrogram_std"])}
    g = build_cspecgan(ModelArgs(8, 28, 1, 10, 1, options)).generator
    g.load_state_dict(state["ema"] if state.get("ema") else state["generator"])
    z = np.random.default_rng(1).standard_normal((5, 8), dtype=np.float32)
    labels = np.arange(5, dtype=np.int64)
    with torch.no_grad():
        expected = g.eval()(torch.from_numpy(z), torch.from_numpy(labels)).numpy()
    assert np.abs(session.run(None, {"z": z, "labels": labels})[0] - expected).max() < 1e-4
    done = gantool("sample", str(run), "-o", "s.npz", "-n", "4", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    with np.load(tmp_path / "s.npz") as saved:
        assert saved["audio"].shape == (4, 1, 1024) and list(saved["labels"]) == [0, 1, 2, 3]
        assert int(saved["sample_rate"]) == 8000 and np.abs(saved["audio"]).max() <= 1
    done = gantool("eval", str(run), "-n", "20", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(next((run / "eval").glob("*.json")).read_text())
    values = result["values"]
    assert {"is", "fd", "precision", "recall", "accuracy", "nn_ratio", "near_copies", "real_is", "real_accuracy"} <= set(values)
    assert 1 <= values["is"] <= 10 and result["protocol"]["extractor"] == "digits-logmel"


def test_resume_is_bitwise_exact(tmp_path):
    flags = {**TINY_FLAGS, "project": str(tmp_path)}
    from io import StringIO

    from rich.console import Console

    from gantool.plugins import registry
    from gantool.train.report import PlainReporter
    from gantool.train.session import resume_run

    full = checkpoint_of(train_run("wavegan", {**flags, "name": "full", "steps": 4}, TINY_SETS))
    half = train_run("wavegan", {**flags, "name": "half", "steps": 2}, TINY_SETS)
    trainer, run, total, _ = resume_run(registry(), half, {"steps": 4}, PlainReporter(Console(file=StringIO())))
    assert trainer.fit(run, total) == "finished"
    resumed = checkpoint_of(half)
    assert full["step"] == resumed["step"] == 4
    for key in ("generator", "discriminator", "opt_g", "opt_d", "rng", "batches"):
        assert_same_state(full[key], resumed[key], key)


def test_wrong_kind_refused_before_a_run_folder_and_the_paper_recipe(tmp_path):
    from gantool.core.errors import UserError
    from gantool.plugins import registry

    flags = {"data": "ring", "steps": 1, "project": str(tmp_path / "runs"), "device": "cpu"}
    with pytest.raises(UserError, match="trains on audio data but dataset 'ring' is vector data"):
        train_run("wavegan", flags)
    assert not (tmp_path / "runs").exists()
    paper = registry().recipe("wavegan", "paper").settings
    assert (paper["model.width"], paper["data.samples"], paper["loss"], paper["n_critic"]) == (64, 16384, "wgan-gp", 5)
