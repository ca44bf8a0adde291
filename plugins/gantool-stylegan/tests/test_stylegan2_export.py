"""stylegan2's three ONNX files against PyTorch at batch 1, 3 and 64: generator.onnx with
its scalar `truncation_psi` (the average w baked in), and the mapping / synthesis pair,
which composed give generator.onnx's images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
from stylegan_testing import TINY_SETS

from gantool.export.generator import load
from gantool.export.onnx_export import export_run
from gantool.train.testing import one_thread, train_run

BATCHES = (1, 3, 64)
TOL = 1e-4


@pytest.fixture(scope="module")
def exported(blobs, tmp_path_factory) -> tuple[Path, torch.nn.Module]:
    """A tiny run trained 3 steps, exported; and its EMA generator rebuilt in PyTorch."""
    project = tmp_path_factory.mktemp("export") / "runs"
    flags = {"data": f"npz:{blobs}", "project": str(project), "batch_size": 8, "steps": 3, "sample_every": 0,
             "checkpoint_every": 0, "device": "cpu"}
    with one_thread():
        run = train_run("stylegan2", flags, TINY_SETS)
    export_run(run)
    return run, load(run).module.eval()


def session(path: Path) -> ort.InferenceSession:
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def meta(path: Path) -> dict[str, str]:
    return dict(session(path).get_modelmeta().custom_metadata_map)


def test_files_inputs_and_metadata(exported):
    run, g = exported
    s = session(run / "generator.onnx")
    assert [(i.name, i.shape) for i in s.get_inputs()] == [("z", ["batch", 8]), ("truncation_psi", [])]
    md = meta(run / "generator.onnx")
    assert md["inputs"] == "z,truncation_psi" and md["truncation_psi_default"] == "1"
    assert (md["mapping_graph"], md["synthesis_graph"], md["num_ws"], md["w_dim"]) == ("mapping", "synthesis", "6", "8")
    assert [i.name for i in session(run / "generator-mapping.onnx").get_inputs()] == ["z", "truncation_psi"]
    synthesis = session(run / "generator-synthesis.onnx")
    assert [(i.name, i.shape) for i in synthesis.get_inputs()] == [("ws", ["batch", 6, 8])]
    assert g.w_avg.abs().sum() > 0  # the average the graphs bake in is a trained one


@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("psi", [1.0, 0.5, 0.0])
def test_generator_matches_pytorch(exported, batch, psi):
    run, g = exported
    z = np.random.default_rng(batch).standard_normal((batch, 8), dtype=np.float32)
    got = session(run / "generator.onnx").run(None, {"z": z, "truncation_psi": np.array(psi, np.float32)})[0]
    with torch.no_grad():
        want = g(torch.from_numpy(z), truncation_psi=psi).clamp(-1, 1).numpy()
    assert got.shape == (batch, 3, 16, 16)
    assert np.abs(got - want).max() < TOL
    if psi == 0.0:  # every latent gives the image of the average w
        assert np.abs(got - got[:1]).max() < TOL


@pytest.mark.parametrize("batch", BATCHES)
def test_mapping_and_synthesis_match_pytorch_and_compose_to_the_generator(exported, batch):
    run, g = exported
    rng = np.random.default_rng(batch)
    z = rng.standard_normal((batch, 8), dtype=np.float32)
    psi = np.array(0.7, np.float32)
    w = session(run / "generator-mapping.onnx").run(None, {"z": z, "truncation_psi": psi})[0]
    ws = rng.standard_normal((batch, 6, 8), dtype=np.float32)
    images = session(run / "generator-synthesis.onnx").run(None, {"ws": ws})[0]
    with torch.no_grad():
        want_w = g.truncate(g.mapping(torch.from_numpy(z)), 0.7).numpy()
        want_images = g.synthesis(torch.from_numpy(ws)).clamp(-1, 1).numpy()
    assert w.shape == (batch, 8) and np.abs(w - want_w).max() < TOL
    assert images.shape == (batch, 3, 16, 16) and np.abs(images - want_images).max() < TOL
    composed = session(run / "generator-synthesis.onnx").run(None, {"ws": np.repeat(w[:, None], 6, axis=1)})[0]
    direct = session(run / "generator.onnx").run(None, {"z": z, "truncation_psi": psi})[0]
    assert np.abs(composed - direct).max() < TOL


def test_conditional_model_exports_labels_and_samples_every_class(blobs, tmp_path):
    from stylegan_testing import gantool

    flags = {"data": f"npz:{blobs}", "project": str(tmp_path / "runs"), "batch_size": 8, "steps": 2,
             "sample_every": 0, "checkpoint_every": 0, "device": "cpu"}
    with one_thread():
        run = train_run("stylegan2-cond", flags, TINY_SETS)
    export_run(run)
    g = load(run).module.eval()
    s = session(run / "generator.onnx")
    assert [i.name for i in s.get_inputs()] == ["z", "labels", "truncation_psi"]
    assert [i.name for i in session(run / "generator-mapping.onnx").get_inputs()] == ["z", "labels", "truncation_psi"]
    for batch in BATCHES:
        z = np.random.default_rng(batch).standard_normal((batch, 8), dtype=np.float32)
        labels = np.arange(batch, dtype=np.int64) % 3
        got = s.run(None, {"z": z, "labels": labels, "truncation_psi": np.array(0.8, np.float32)})[0]
        with torch.no_grad():
            want = g(torch.from_numpy(z), torch.from_numpy(labels), truncation_psi=0.8).clamp(-1, 1).numpy()
        assert np.abs(got - want).max() < TOL
    out = gantool("sample", str(run), "--labels", "all", "-n", "6", "--truncation", "0.7", "-o", "all.png",
                  cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    mixed = gantool("sample", str(run), "--style-mix", "-n", "4", "-o", "mix.png", cwd=tmp_path)
    assert mixed.returncode == 0, mixed.stderr
