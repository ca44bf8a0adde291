"""What a user does, through the installed console script: train on two folders, watch the
grid, resume exactly, export both directions, translate a folder, and the errors."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import onnx
import pytest
import torch
from cyclegan_testing import TINY, gantool
from PIL import Image


def train(tmp_path, domains, *extra):
    a, b = domains
    return gantool("train", "cyclegan", "--data-a", str(a), "--data-b", str(b), *TINY, *extra, cwd=tmp_path)


async def monitor(run):
    """What `gantool monitor RUN` reads from the run, under Textual's pilot."""
    from gantool.tui.app import MonitorApp

    app = MonitorApp(run, poll_s=0.05)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.pause(0.3)
        return dict(app.current.series.last)


def test_plugin_is_listed_with_its_version_and_flags(tmp_path):
    out = gantool("plugins", "--json", cwd=tmp_path)
    info = next(p for p in json.loads(out.stdout) if p["name"] == "cyclegan")
    assert info["version"] == "0.1.0" and info["status"] == "loaded"
    assert info["registered"] == {"model": ["cyclegan"], "dataset": ["unpaired", "recolored-mnist"],
                                  "command": ["translate"]}
    table = gantool("plugins", cwd=tmp_path)
    assert "gantool train cyclegan --data-a DIR" in table.stdout


def test_train_export_translate(tmp_path, domains):
    out = train(tmp_path, domains, "--steps", "6", "--sample-every", "3")
    assert out.returncode == 0, out.stderr
    run = tmp_path / "runs" / "cyclegan" / "exp"
    config = (run / "config.toml").read_text()
    assert f'a = "{domains[0]}"' in config and 'loss = "lsgan"' in config
    grid = Image.open(run / "samples" / "step-0000006.png")
    # 6 rows (A, A->B, A->B->A, B, B->A, B->A->B) of 8 tiles of 16 px with 2 px gaps, shown 2x
    assert grid.size == (2 * (8 * 18 + 2), 2 * (6 * 18 + 2)) and grid.mode == "RGB"
    metrics = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert {"loss_d", "loss_g", "cycle", "identity"} <= set(metrics[-1])
    shown = asyncio.run(monitor(run))
    assert shown["step"] == 6 and shown["cycle"] == metrics[-1]["cycle"]

    exported = gantool("export", str(run), "--onnx", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    for direction in ("a2b", "b2a"):
        model = onnx.load(str(run / f"generator-{direction}.onnx"))
        assert [i.name for i in model.graph.input] == ["image"]
        assert {p.key: p.value for p in model.metadata_props}["direction"] == direction
    refused = gantool("sample", str(run / "generator-a2b.onnx"), "-o", "x.png", cwd=tmp_path)
    assert refused.returncode == 2 and "image-to-image" in refused.stderr

    translated = gantool("translate", str(run / "generator-a2b.onnx"), str(domains[0]), "-o", "out",
                         "--grid", "pairs.png", cwd=tmp_path)
    assert translated.returncode == 0, translated.stderr
    assert "translated 12 image(s)" in translated.stdout
    files = sorted((tmp_path / "out").glob("*.png"))
    assert [f.name for f in files] == [p.name for p in sorted(domains[0].glob("*.png"))]
    picture = np.asarray(Image.open(files[0]))
    assert picture.shape == (16, 16, 3)
    assert Image.open(tmp_path / "pairs.png").size == (2 * (8 * 18 + 2), 2 * (4 * 18 + 2))  # 12 inputs: 2 pairs of rows
    again = gantool("translate", str(run / "generator-a2b.onnx"), str(domains[0]), "-o", "out", cwd=tmp_path)
    assert again.returncode == 2 and "not an empty folder; pass --force" in again.stderr


def test_resume_is_exact(tmp_path, domains):
    """The pool of past fakes is part of the checkpoint: 3 + 3 steps equal 6 straight."""
    straight = train(tmp_path, domains, "--steps", "6", "--name", "straight")
    assert straight.returncode == 0, straight.stderr
    first = train(tmp_path, domains, "--steps", "3", "--name", "split")
    assert first.returncode == 0, first.stderr
    resumed = gantool("train", "--resume", str(tmp_path / "runs/cyclegan/split"), "--steps", "6", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    a = torch.load(tmp_path / "runs/cyclegan/straight/checkpoints/last.pt", weights_only=False)
    b = torch.load(tmp_path / "runs/cyclegan/split/checkpoints/last.pt", weights_only=False)
    for key in ("generator", "discriminator"):
        for name, tensor in a[key].items():
            assert torch.equal(tensor, b[key][name]), (key, name)
    assert torch.equal(a["step_state"]["pools"]["a"]["images"], b["step_state"]["pools"]["a"]["images"])


@pytest.mark.parametrize("case, message", [
    ("empty", "error: gantool-cyclegan: domain A: image folder {empty} holds no images"),
    ("one", "error: gantool-cyclegan: name both domains: gantool train cyclegan --data-a A --data-b B"),
    ("missing", "error: gantool-cyclegan: domain B: 'nowhere' is neither a folder nor a dataset name"),
    ("vector", "error: gantool-cyclegan: domain B: dataset 'ring' holds vector data, not images"),
])
def test_domain_errors_name_the_plugin(tmp_path, domains, case, message):
    empty = tmp_path / "empty"
    empty.mkdir()
    args = {"empty": ["--data-a", str(empty), "--data-b", str(domains[1])], "one": ["--data-a", str(domains[0])],
            "missing": ["--data-a", str(domains[0]), "--data-b", "nowhere"],
            "vector": ["--data-a", str(domains[0]), "--data-b", "ring"]}[case]
    # flags may come before the model name too
    words = [*args, "cyclegan"] if case == "missing" else ["cyclegan", *args]
    out = gantool("train", *words, "--steps", "1", cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.strip().startswith(message.format(empty=empty))
    assert not (tmp_path / "runs").exists()  # a bad input leaves no run folder behind


def test_flag_errors(tmp_path, domains):
    typo = gantool("train", "cyclegan", "--data-aa", "x", cwd=tmp_path)
    assert typo.returncode == 2 and typo.stderr.strip() == "error: no such option --data-aa for model 'cyclegan'; did you mean --data-a?"
    other = gantool("train", "dcgan", "--data-a", "x", cwd=tmp_path)
    assert other.returncode == 2 and "no such option --data-a for model 'dcgan'" in other.stderr
    novalue = gantool("train", "cyclegan", "--data-a", cwd=tmp_path)
    assert novalue.returncode == 2 and "--data-a needs a value: --data-a DIR" in novalue.stderr


def test_translate_errors(tmp_path, domains):
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Identity", ["z"], ["images"])], "g",
                              [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", 8])],
                              [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["batch", 8])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9), str(tmp_path / "z.onnx"))
    out = gantool("translate", "z.onnx", str(domains[0]), "-o", "out", cwd=tmp_path)
    assert out.returncode == 2 and "gantool-cyclegan: z.onnx is not an image-to-image model" in out.stderr
    (tmp_path / "none").mkdir()
    missing = gantool("translate", "nothing.onnx", "none", "-o", "out", cwd=tmp_path)
    assert missing.returncode == 2 and "gantool-cyclegan: nothing.onnx does not exist" in missing.stderr
