"""progan: the growing schedule, continuity of G and D across a level transition, the real
batch made like the fakes, exact resume (level, alpha and the images shown), level/alpha
in metrics.jsonl, refusals, its loss and its export at the final size."""

from __future__ import annotations

import json

import numpy as np
import onnxruntime as ort
import pytest
import torch
from stylegan_testing import same

from gantool.core.errors import UserError
from gantool.export.generator import load
from gantool.export.onnx_export import export_run
from gantool.specs import ModelArgs
from gantool.train.testing import checkpoint_of, one_thread, train_run
from gantool_stylegan.losses import WassersteinDrift
from gantool_stylegan.progan import build, schedule, upsample

SETS = {"image_size": 16, "channels": 3, "latent_dim": 8, "model.channel_base": 64, "model.channel_max": 8,
        "model.phase_images": 16}
FLAGS = {"batch_size": 8, "seed": 0, "log_every": 1, "sample_every": 0, "checkpoint_every": 0, "device": "cpu"}


@pytest.fixture(scope="module", autouse=True)
def single_thread():
    with one_thread():
        yield


def tiny(size: int = 16):
    torch.manual_seed(0)
    return build(ModelArgs(latent_dim=8, image_size=size, channels=3,
                           options={"channel_base": 64, "channel_max": 8, "phase_images": 16}))


def train(blobs, project, name: str, **flags):
    return train_run("progan", {**FLAGS, "data": f"npz:{blobs}", "project": str(project), "name": name, **flags}, SETS)


def test_schedule_stabilises_fades_in_and_stops_at_the_last_level():
    p = 10
    assert schedule(0, p, 2) == (0, 1.0) and schedule(9, p, 2) == (0, 1.0)
    assert schedule(10, p, 2) == (1, 0.0) and schedule(15, p, 2) == (1, 0.5)
    assert schedule(20, p, 2) == (1, 1.0) and schedule(29, p, 2) == (1, 1.0)
    assert schedule(30, p, 2) == (2, 0.0) and schedule(10**6, p, 2) == (2, 1.0)


@pytest.mark.parametrize("level", [1, 2])
def test_generator_and_discriminator_are_continuous_across_a_level_transition(level):
    """At alpha 0 the new level's output is the previous level's (G at the final size, D on
    the pooled image), so growing does not jolt either network."""
    m = tiny()
    g, d = m.generator.eval(), m.discriminator
    z, image = torch.randn(4, 8), torch.randn(4, 3, 4 * 2**level, 4 * 2**level)
    with torch.no_grad():
        g.set_progress(level - 1, 1.0)
        before_g, before_d = g(z), d(torch.nn.functional.avg_pool2d(image, 2))
        g.set_progress(level, 0.0)
        after_g, after_d = g(z), d(image)
        g.set_progress(level, 0.5)
        halfway = g(z)
    assert after_g.shape == before_g.shape == (4, 3, 16, 16)  # always the final size
    torch.testing.assert_close(after_g, before_g, rtol=0, atol=1e-6)
    torch.testing.assert_close(after_d, before_d, rtol=1e-5, atol=1e-5)
    assert (halfway - before_g).abs().max() > 1e-3  # and alpha does move it


def test_the_ema_copy_follows_the_shared_progress():
    import copy

    g = tiny().generator
    twin = copy.deepcopy(g)
    g.set_progress(2, 0.25)
    assert (twin.progress.level, twin.progress.alpha) == (2, 0.25)
    assert g.progress_state.tolist() == [2.0, 0.25]


def test_reals_are_pooled_to_the_level_and_blended_while_fading_in():
    from gantool_stylegan.progan_step import ProGANStep

    m = tiny()
    step = ProGANStep.__new__(ProGANStep)
    step.g = m.generator
    real = torch.randn(2, 3, 16, 16)
    eight = torch.nn.functional.avg_pool2d(real, 2)
    torch.testing.assert_close(step.reals(real, 1, 1.0), eight)
    want = 0.25 * eight + 0.75 * upsample(torch.nn.functional.avg_pool2d(eight, 2))
    torch.testing.assert_close(step.reals(real, 1, 0.25), want)
    torch.testing.assert_close(step.reals(real, 2, 1.0), real)
    step.g.batch_sizes = [8, 4]
    assert [step.batch_size(level, 6) for level in (0, 1, 2)] == [6, 4, 4]


def test_drift_loss():
    loss = WassersteinDrift({"label_smoothing": 0.0})
    real, fake = torch.tensor([1.0, 3.0]), torch.tensor([0.0, 1.0])
    torch.testing.assert_close(loss.d_loss(real, fake), torch.tensor(0.5 - 2.0 + 0.001 * 5.0))
    with pytest.raises(UserError, match="drif"):
        WassersteinDrift({"label_smoothing": 0.0, "drif": 1})


def test_grows_logs_level_and_alpha_and_resumes_exactly(blobs, tmp_path):
    from io import StringIO

    from rich.console import Console

    from gantool.plugins import registry
    from gantool.train.report import PlainReporter
    from gantool.train.session import resume_run

    full_run = train(blobs, tmp_path, "full", steps=6)  # 8 images a step, 16 per phase: through a fade-in
    lines = [json.loads(x) for x in (full_run / "metrics.jsonl").read_text().splitlines()]
    assert [(x["level"], x["alpha"]) for x in lines] == [(0, 1), (0, 1), (1, 0), (1, 0.5), (1, 1), (1, 1)]
    assert "gp" in lines[0]  # the loss's gradient penalty, applied by the loop
    full = checkpoint_of(full_run)
    half = train(blobs, tmp_path, "half", steps=3)
    trainer, run, total, _ = resume_run(registry(), half, {"steps": 6}, PlainReporter(Console(file=StringIO())))
    assert trainer.fit(run, total) == "finished"
    resumed = checkpoint_of(half)
    assert full["step_state"] == resumed["step_state"] == {"images": 48}
    for key in ("generator", "discriminator", "ema", "opt_g", "opt_d", "rng", "batches"):
        same(full[key], resumed[key], key)


def test_export_is_at_the_final_size_and_matches_pytorch(blobs, tmp_path):
    run = train(blobs, tmp_path, "export", steps=3)  # stops at level 1, alpha 0
    export_run(run)
    session = ort.InferenceSession(str(run / "generator.onnx"), providers=["CPUExecutionProvider"])
    md = dict(session.get_modelmeta().custom_metadata_map)
    assert (md["level"], md["alpha"]) == ("1", "0")
    g = load(run).module.eval()  # loading the weights restores the level and alpha
    assert (g.progress.level, g.progress.alpha) == (1, 0.0)
    for batch in (1, 3, 64):
        z = np.random.default_rng(batch).standard_normal((batch, 8), dtype=np.float32)
        got = session.run(None, {"z": z})[0]
        with torch.no_grad():
            want = g(torch.from_numpy(z)).numpy()
        assert got.shape == (batch, 3, 16, 16) and np.abs(got - want).max() < 1e-4


@pytest.mark.parametrize("settings", [{"minibatch_std": True}, {"pack": 2}])
def test_refused_before_a_run_folder_exists(blobs, tmp_path, settings):
    with pytest.raises(UserError, match=r"^model 'progan' cannot use --"):
        train(blobs, tmp_path / "runs", "refused", steps=1, **settings)
    assert not (tmp_path / "runs").exists()
