"""The run directory contract, control commands, signals, kill -9 and divergence; the
writer's own repairs (trim, partial events, temp files) and liveness."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
import torch
from PIL import Image

from gantool.config import RunConfig
from gantool.core.errors import TrainingDiverged, UserError
from gantool.data.toy2d import load_ring
from gantool.losses.bce import BCELoss
from gantool.plugins import registry
from gantool.run import RunDir, SilentRunDir, send, writer_pid
from gantool.specs import DataRequest, LossSpec
from gantool.train.trainer import Trainer
from tests.conftest import gantool, read_jsonl, wait_until


def test_run_directory_contract(tmp_path, tiny_images):
    args = ["train", "dcgan", "--data", f"npz:{tiny_images}", "--batch-size", "16", "--steps", "12",
            "--log-every", "4", "--sample-every", "6", "--checkpoint-every", "6", "--set", "model.ngf=8",
            "--set", "model.ndf=8", "--seed", "3"]
    result = gantool(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    run = tmp_path / "runs" / "dcgan" / "exp"
    config = tomllib.loads((run / "config.toml").read_text())
    assert config["seed"] == 3 and config["model_options"] == {"ngf": 8, "ndf": 8}
    assert config["versions"]["torch"] == torch.__version__ and config["versions"]["gantool"]

    metrics = read_jsonl(run / "metrics.jsonl")
    assert [m["step"] for m in metrics] == [4, 8, 12]
    for m in metrics:
        assert {"step", "epoch", "time", "loss_d", "loss_g", "img_per_s"} <= m.keys()
    assert metrics[-1]["epoch"] == 2  # 96 images / 16 = 6 steps an epoch

    events = [e["event"] for e in read_jsonl(run / "events.jsonl")]
    assert events[0] == "started" and events[-1] == "finished"
    assert events.count("sample") == 2 and events.count("checkpoint") == 2

    status = json.loads((run / "status.json").read_text())
    assert status["state"] == "finished" and status["step"] == status["total_steps"] == 12
    assert {"pid", "heartbeat"} <= status.keys()

    assert sorted(p.name for p in (run / "samples").iterdir()) == ["step-0000006.png", "step-0000012.png"]
    with Image.open(run / "samples" / "step-0000012.png") as grid:
        assert grid.size[0] >= 8 * 28
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["last.pt", "step-0000006.pt", "step-0000012.pt"]
    state = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    assert state["step"] == 12 and state["config"]["seed"] == 3

    # a second run with the same name never overwrites the first
    second = gantool(*args, cwd=tmp_path)
    assert second.returncode == 0 and (tmp_path / "runs" / "dcgan" / "exp-2" / "config.toml").is_file()
    assert json.loads((run / "status.json").read_text()) == status


def _start(tmp_path, *extra) -> subprocess.Popen:
    exe = Path(sys.executable).with_name("gantool")
    return subprocess.Popen(
        [str(exe), "train", "toy", "--steps", "1000000", "--log-every", "20", "--device", "cpu", *extra],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


_wait = wait_until


def _status(run):
    return json.loads((run / "status.json").read_text())


def test_control_file_commands(tmp_path):
    proc = _start(tmp_path)
    run = tmp_path / "runs" / "toy" / "exp"
    try:
        _wait(lambda: _status(run)["step"] > 0)
        send(run, "pause")
        _wait(lambda: _status(run)["state"] == "paused")
        paused_at = _status(run)["step"]
        send(run, "sample")
        _wait(lambda: (run / "samples" / f"step-{paused_at:07d}.png").exists())
        send(run, "checkpoint")
        _wait(lambda: (run / "checkpoints" / f"step-{paused_at:07d}.pt").exists())
        time.sleep(0.5)
        assert _status(run)["step"] == paused_at  # still paused
        send(run, "resume")
        _wait(lambda: _status(run)["step"] > paused_at)
        send(run, "stop")
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
    status = _status(run)
    assert status["state"] == "stopped"
    events = [e["event"] for e in read_jsonl(run / "events.jsonl")]
    assert events[-1] == "stopped" and "paused" in events and "resumed" in events
    assert torch.load(run / "checkpoints" / "last.pt", weights_only=True)["step"] == status["step"]


@pytest.mark.parametrize("sig,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_saves_a_checkpoint_and_marks_interrupted(tmp_path, sig, code):
    proc = _start(tmp_path)
    run = tmp_path / "runs" / "toy" / "exp"
    try:
        _wait(lambda: _status(run)["step"] > 0)
        proc.send_signal(sig)
        assert proc.wait(timeout=60) == code
    finally:
        proc.kill()
    status = _status(run)
    assert status["state"] == "interrupted"
    assert read_jsonl(run / "events.jsonl")[-1]["event"] == "interrupted"
    step = torch.load(run / "checkpoints" / "last.pt", weights_only=True)["step"]
    assert step == status["step"] > 0
    assert "--resume" in proc.stdout.read()
    resumed = gantool("train", "--resume", str(run), "--steps", str(step + 30), cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert _status(run)["state"] == "finished"


def test_kill_9_then_resume(tmp_path):
    proc = _start(tmp_path, "--checkpoint-every", "40")
    run = tmp_path / "runs" / "toy" / "exp"
    try:
        _wait(lambda: (run / "checkpoints" / "step-0000120.pt").exists())
        busy = gantool("train", "--resume", str(run), "--steps", "10000000", cwd=tmp_path)
        assert busy.returncode == 2 and f"is being trained by process {proc.pid}" in busy.stderr
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
    # every file is valid after the crash
    tomllib.loads((run / "config.toml").read_text())
    _status(run)
    read_jsonl(run / "events.jsonl")
    for line in (run / "metrics.jsonl").read_text().splitlines():
        json.loads(line)
    for ckpt in (run / "checkpoints").glob("*.pt"):
        torch.load(ckpt, weights_only=True)
    last = torch.load(run / "checkpoints" / "last.pt", weights_only=True)["step"]
    # the kill may land inside an atomic write; its hidden temp file is garbage, not a run file
    (run / "checkpoints" / ".last.pt.killed.tmp").write_bytes(b"half a checkpoint")

    resumed = gantool("train", "--resume", str(run), "--steps", str(last + 60), cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming {run}".replace(str(tmp_path) + "/", "") in resumed.stdout or "resuming" in resumed.stdout
    steps = [m["step"] for m in read_jsonl(run / "metrics.jsonl")]
    assert steps == sorted(steps) and steps[-1] == last + 60
    assert _status(run)["state"] == "finished"
    assert not list((run / "checkpoints").glob(".*")), "resume leaves no temp files behind"


class NanAfter(BCELoss):
    """BCE that turns into NaN after a number of discriminator steps."""

    def __init__(self, options):
        self.after = options.pop("nan_after")
        super().__init__(options)
        self.calls = 0

    def d_loss(self, real, fake):
        self.calls += 1
        loss = super().d_loss(real, fake)
        return loss * float("nan") if self.calls > self.after else loss


def test_nan_stops_the_run_and_keeps_the_last_good_checkpoint(tmp_path):
    cfg = RunConfig(model="toy", data="ring", steps=40, batch_size=32, latent_dim=2, log_every=2,
                    checkpoint_every=4, sample_every=0, loss_options={"nan_after": 6})
    loss = LossSpec(name="nanloss", summary="test", factory=NanAfter)
    data = load_ring(None, DataRequest())
    trainer = Trainer(cfg, registry().get("model", "toy"), loss, data)
    run = RunDir.create(tmp_path, "toy", "nan")
    with pytest.raises(TrainingDiverged, match=r"loss_d became nan by step 8; last good checkpoint: checkpoints/step-0000004.pt"):
        trainer.fit(run, 40)
    status = json.loads((run.path / "status.json").read_text())
    assert status["state"] == "failed" and "diverged" in status["reason"]
    assert read_jsonl(run.path / "events.jsonl")[-1]["event"] == "failed"
    state = torch.load(run.checkpoints / "last.pt", weights_only=True)
    assert state["step"] == 4
    assert all(torch.isfinite(v).all() for v in state["generator"].values())


def test_create_never_reuses_a_name_and_open_refuses_a_stranger(tmp_path):
    first = RunDir.create(tmp_path, "toy", "exp")
    second = RunDir.create(tmp_path, "toy", "exp")
    assert (first.path.name, second.path.name) == ("exp", "exp-2")
    assert first.samples.is_dir() and first.checkpoints.is_dir()
    (tmp_path / "stranger").mkdir()
    with pytest.raises(UserError, match="is not a gantool run directory"):
        RunDir.open(tmp_path / "stranger")
    assert RunDir.open(first.path).path == first.path  # checkpoints/ is enough


def test_resume_repairs_what_a_crash_leaves(tmp_path):
    run = RunDir.create(tmp_path, "toy", "exp")
    for step in (2, 4, 6):
        run.metrics({"step": step, "loss_d": 1.0})
    with open(run.layout.metrics, "a") as fh:
        fh.write('{"step": 8, "lo')  # killed mid-line
    assert run.trim_metrics(4) == 2 and [r["step"] for r in read_jsonl(run.layout.metrics)] == [2, 4]
    assert run.trim_metrics(4) == 0
    run.event("started", 0)
    with open(run.layout.events, "a") as fh:
        fh.write('{"event": "sam')
    run.repair_events()
    assert [e["event"] for e in read_jsonl(run.layout.events)] == ["started"]
    (run.checkpoints / ".last.pt.abc.tmp").write_bytes(b"half")
    (run.checkpoints / ".step-0000004.pt.link").write_bytes(b"linked")  # killed between link and rename
    (run.checkpoints / ".step-0000006.pt.link").write_bytes(b"linked")  # ... renamed already: a leftover
    (run.checkpoints / "step-0000006.pt").write_bytes(b"the checkpoint")
    (run.path / ".keep").write_text("not ours")  # only our temp suffixes go
    assert run.remove_temp_files() == 2 and (run.path / ".keep").exists()
    assert (run.checkpoints / "step-0000004.pt").read_bytes() == b"linked"  # the link is finished, not lost
    assert (run.checkpoints / "step-0000006.pt").read_bytes() == b"the checkpoint"
    assert not list(run.checkpoints.glob(".*"))


def test_status_names_a_live_writer_only(tmp_path):
    run = RunDir.create(tmp_path, "toy", "exp")
    run.status(state="running", step=1)
    status = json.loads(run.layout.status.read_text())
    assert writer_pid(status) == status["pid"]
    assert writer_pid({**status, "state": "finished"}) is None
    assert writer_pid({**status, "heartbeat": time.time() - 60}) is None  # no heartbeat for 30 s: stale


def test_silent_run_dir_writes_nothing(tmp_path):
    silent = SilentRunDir(tmp_path / "toy" / "exp")
    silent.write_config("x")
    silent.event("started", 0)
    silent.metrics({"step": 1})
    silent.status(state="running")
    assert not (tmp_path / "toy").exists()
