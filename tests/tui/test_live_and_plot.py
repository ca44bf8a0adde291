"""`gantool train --tui` driven headless, and `gantool plot`."""

from __future__ import annotations

import asyncio
import json

import numpy as np
from PIL import Image

from gantool.config import RunConfig
from gantool.data.toy2d import load_ring
from gantool.plugins import registry
from gantool.run import RunDir
from gantool.specs import DataRequest
from gantool.train.report import quiet_reporter
from gantool.train.trainer import Trainer
from gantool.tui.live import train_with_dashboard
from tests.cli.test_errors import assert_user_error
from tests.conftest import gantool
from tests.tui.test_app import make_run


def test_quitting_the_dashboard_stops_training_with_a_checkpoint(tmp_path):
    cfg = RunConfig(model="toy", data="ring", steps=10_000_000, batch_size=32, latent_dim=2, log_every=20,
                    sample_every=0, checkpoint_every=0)
    reg = registry()
    trainer = Trainer(cfg, reg.get("model", "toy"), reg.get("loss", "bce"), load_ring(None, DataRequest()), quiet_reporter())
    run = RunDir.create(tmp_path, "toy", "tui")

    def run_headless(app):
        async def pilot_script(pilot):
            for _ in range(200):  # wait until the dashboard has seen training progress
                await pilot.pause(0.05)
                if app.current and app.current.series.last.get("step", 0) >= 40:
                    break
            await pilot.press("q")  # first q: ask the trainer to stop
            for _ in range(200):
                await pilot.pause(0.05)

        asyncio.run(app.run_async(headless=True, size=(120, 40), auto_pilot=pilot_script))

    state = train_with_dashboard(trainer, run, cfg.steps, False, run_app=run_headless)
    assert state == "stopped"
    status = json.loads((run.path / "status.json").read_text())
    assert status["state"] == "stopped" and status["step"] >= 40
    assert (run.path / "control").read_text().split() == ["stop"]
    import torch

    assert torch.load(run.checkpoints / "last.pt", weights_only=True)["step"] == status["step"]


def test_plot_writes_one_panel_per_group(tmp_path):
    run = make_run(tmp_path, "a", "finished")
    result = gantool("plot", str(run), "-o", "curves.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "3 panels" in result.stdout  # losses, logits, img_per_s
    with Image.open(tmp_path / "curves.png") as img:
        assert img.size == (1100, 3 * 330)
        assert len(np.unique(np.asarray(img.convert("L")))) > 10  # something was drawn
    assert_user_error(gantool("plot", str(run), "-o", "curves.png", cwd=tmp_path), "exists", "--force")
    assert_user_error(gantool("plot", str(tmp_path), cwd=tmp_path), "not a gantool run directory")
    assert_user_error(gantool("monitor", "nowhere", cwd=tmp_path), "does not exist")
