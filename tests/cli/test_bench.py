"""`gantool bench` from the console script: measured numbers, counted FLOPs, JSON output."""

from __future__ import annotations

import json

import torch

from gantool.train.bench import peak_tflops
from tests.conftest import gantool


def test_bench_reports_training_and_sampling_speed(tmp_path):
    done = gantool("bench", "--model", "gan", "--steps", "3", "--warmup", "1", "--no-features", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["model"] == "gan" and result["device"] == "cpu"
    assert result["train_img_per_s"] > 0 and result["sample_onnx_img_per_s"] > 0 and result["sample_torch_img_per_s"] > 0
    # the seeds' MLP GAN: G 100-256-512-1024-784, D 784-1024-512-256-1; a step is D on real and fake
    # (forward + backward) and, with the G update, D and G again: a few MFLOP per image
    assert 2e-3 < result["gflop_per_image_step"] < 3e-2
    assert result["mfu"] is None  # no known peak for a CPU


def test_bench_vector_models_and_bad_input(tmp_path):
    done = gantool("bench", "--model", "toy", "--steps", "2", "--no-features", "--json", "--set", "model.arch=mlp",
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "sample_onnx_img_per_s" not in json.loads(done.stdout)
    bad = gantool("bench", "--steps", "0", cwd=tmp_path)
    assert bad.returncode == 2 and "--steps must be positive" in bad.stderr


def test_peak_table_knows_datacenter_gpus_and_not_cpus(monkeypatch):
    assert peak_tflops(torch.device("cpu"), "fp32") is None
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "NVIDIA H100 80GB HBM3")
    assert peak_tflops(torch.device("cuda", 0), "bf16") == 989.0
