"""What a user does, through the installed console script: train each model, resume
exactly in every phase, export, sample token for token as PyTorch does (and without
torch), evaluate, and the refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from gantool_text.models import build_mle
from text_testing import TINY_ORACLE, assert_same_state, checkpoint, gantool

from gantool import ModelArgs


@pytest.fixture
def no_torch(tmp_path):
    """PYTHONPATH with a `torch` that leaves a marker and refuses to import."""
    blocker = tmp_path / "blocker" / "torch"
    blocker.mkdir(parents=True)
    marker = tmp_path / "torch-was-imported"
    (blocker / "__init__.py").write_text(f"open({str(marker)!r}, 'w').close()\nraise ImportError('torch is blocked')\n")
    return {"PYTHONPATH": str(blocker.parent)}, marker


@pytest.fixture
def mle_run(tmp_path, corpus):
    done = gantool("train", "mle", "--data", f"textfile:{corpus}", "--steps", "40", "--batch-size", "32",
                   "--sample-every", "20", "--log-every", "10", "--name", "m", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return tmp_path / "runs/mle/m"


def test_mle_previews_exports_samples_and_evaluates(tmp_path, mle_run, no_torch):
    lines = (mle_run / "samples/step-0000040.txt").read_text().splitlines()
    assert len(lines) == 1000 and (mle_run / "samples/step-0000040.png").is_file()
    logged = [json.loads(line) for line in (mle_run / "metrics.jsonl").read_text().splitlines()]
    assert any("nll_train" in m for m in logged) and any("nll_test" in m for m in logged)
    exported = gantool("export", str(mle_run), "--onnx", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert "max difference 0.00e+00" in exported.stdout  # the tokens, exactly
    assert (mle_run / "generator.onnx").is_file() and (mle_run / "generator-nll.onnx").is_file()
    env, marker = no_torch
    for name in ("a.txt", "b.txt", "c.npz"):
        made = gantool("sample", str(mle_run), "-n", "50", "--seed", "7", "-o", name, cwd=tmp_path, env=env)
        assert made.returncode == 0, made.stderr
    assert not marker.exists(), "gantool sample imported torch"
    refused = gantool("sample", str(mle_run), "-o", "grid.png", cwd=tmp_path, env=env)
    assert refused.returncode == 2 and "cannot write tokens samples to grid.png: use .npz, .txt" in refused.stderr
    text = (tmp_path / "a.txt").read_text()
    assert text == (tmp_path / "b.txt").read_text() and len(text.splitlines()) == 50
    assert all(w in {"the", "cat", "dog", "bird", "fish", "mouse", "sees", "likes", "chases", "hears", "today"}
               for w in text.split())
    # ONNX Runtime's tokens are PyTorch's for the same latents
    state = checkpoint(mle_run)
    g = build_mle(ModelArgs(**state["model_args"])).generator
    g.load_state_dict(state["generator"])
    saved = np.load(tmp_path / "c.npz")
    with torch.no_grad():
        expected = g.eval()(torch.from_numpy(saved["z"])).long().numpy()
    np.testing.assert_array_equal(saved["tokens"], expected)
    scored = gantool("eval", str(mle_run), "-n", "200", cwd=tmp_path)
    assert scored.returncode == 0, scored.stderr
    values = json.loads(next((mle_run / "eval").glob("*.json")).read_text())["values"]
    assert {"nll_test", "bleu2", "bleu5", "selfbleu2", "selfbleu5"} <= values.keys()
    assert 0 < values["bleu2"] <= 1 and values["nll_test"] > 0
    refused = gantool("eval", str(mle_run), "--metrics", "fid", cwd=tmp_path)
    assert refused.returncode == 2 and "drop --metrics fid" in refused.stderr, refused.stderr
    curve = gantool("text-curve", str(mle_run), "-n", "40", "--temperatures", "0.5,1,2", "--order", "2",
                    "-o", "curve.png", cwd=tmp_path, env=env)
    assert curve.returncode == 0, curve.stderr
    points = json.loads((tmp_path / "curve.json").read_text())["points"]
    assert [p["temperature"] for p in points] == [0.5, 1.0, 2.0] and (tmp_path / "curve.png").is_file()
    assert points[0]["selfbleu2"] > points[-1]["selfbleu2"]  # colder sampling repeats itself more


@pytest.mark.parametrize("model, stops", [("seqgan", (2, 4, 7)), ("gumbel-lstm", (2, 5))])
def test_resume_is_exact_in_every_phase(tmp_path, model, stops):
    """MLE until step 3, (seqgan) D pre-training until 5, then adversarial: a run stopped in
    each phase and resumed each time ends where the straight run does (weights, optimizer
    state and RNG through the loop's checkpoint; the rollout network through the step's)."""
    phases = ["--set", "model.mle_steps=3"] + (["--set", "model.d_steps=2", "--set", "model.rollouts=2"]
                                               if model == "seqgan" else [])
    common = [*TINY_ORACLE, *phases, "--set", "model.d_width=8", "--set", "model.d_embed=8"]
    straight = gantool("train", model, *common, "--steps", "9", "--name", "straight", cwd=tmp_path)
    assert straight.returncode == 0, straight.stderr
    first = gantool("train", model, *common, "--steps", str(stops[0]), "--name", "split", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    for stop in (*stops[1:], 9):
        resumed = gantool("train", "--resume", str(tmp_path / f"runs/{model}/split"), "--steps", str(stop), cwd=tmp_path)
        assert resumed.returncode == 0, resumed.stderr
    a, b = checkpoint(tmp_path / f"runs/{model}/straight"), checkpoint(tmp_path / f"runs/{model}/split")
    for key in ("generator", "discriminator"):
        assert_same_state(a[key], b[key])
    if model == "seqgan":
        assert_same_state(a["step_state"]["rollout"], b["step_state"]["rollout"])
    logged = {k for line in (tmp_path / f"runs/{model}/straight/metrics.jsonl").read_text().splitlines()
              for k in json.loads(line)}
    assert {"nll_train", "loss_d", "loss_g", "nll_oracle"} <= logged


@pytest.mark.parametrize("args, message", [
    (["mle", "--label-smoothing", "0.1"], "error: model 'mle' cannot use --label-smoothing (the mle model trains no "),
    (["mle", "--set", "gp_lambda=10"], "error: model 'mle' cannot use --set gp_lambda=... (the mle model trains no "),
    (["seqgan", "--loss", "hinge"], "error: model 'seqgan' cannot use --loss (SeqGAN's D is a binary classifier"),
    (["gumbel-lstm", "--pack", "2"], "error: model 'gumbel-lstm' cannot use --pack"),
    (["mle", "--data", "oracle:x"], "error: gantool-text: oracle:SEED takes an integer seed, not 'x'"),
    (["mle", "--data", "ring"], "error: model 'mle' trains on tokens data but dataset 'ring' is vector data"),
])
def test_refusals_are_one_line(tmp_path, corpus, args, message):
    data = [] if "--data" in args else ["--data", f"textfile:{corpus}"]  # not the oracle: 30 s to make
    refused = gantool("train", *args, *data, "--steps", "1", cwd=tmp_path)
    assert refused.returncode == 2 and message in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr and not (tmp_path / "runs").exists()


def test_the_paper_recipe_builds_the_papers_networks(tmp_path):
    """`--recipe paper`: SeqGAN's 12 filter sizes and widths, its rates and schedule."""
    done = gantool("train", "seqgan", "--recipe", "paper", "--set", "data.sequences=64", "--steps", "1",
                   "--name", "paper", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    state = checkpoint(tmp_path / "runs/seqgan/paper")
    widths = [state["discriminator"][f"convs.{i}.weight"].shape[:3:2] for i in range(12)]
    assert widths == [(w, k) for w, k in zip((100, 200, 200, 200, 200, 100, 100, 100, 100, 100, 160, 160),
                                             (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20))]
    options = state["model_args"]["options"]
    assert (options["mle_steps"], options["d_steps"], options["g_every"], options["rollouts"]) == (12500, 47000, 4688, 16)
