"""The fault suite: what happens to a run when things go wrong around it. Concurrent resumes,
a suspended trainer, a second Ctrl-C during the final checkpoint, an update that blows up,
a full disk, a kill between a checkpoint and its link. Each ends in one line, the right
exit code, and a run whose last good checkpoint is intact and resumes."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from gantool.config import RunConfig
from gantool.core.errors import TrainingDiverged, UserError
from gantool.data.toy2d import load_ring
from gantool.losses.bce import BCELoss
from gantool.plugins import registry
from gantool.run import RunDir, checkpoint, send
from gantool.specs import DataRequest, LossSpec
from gantool.train import health
from gantool.train.trainer import Trainer
from tests.conftest import gantool, read_jsonl, wait_until


def _popen(tmp_path: Path, *args: str) -> subprocess.Popen:
    exe = Path(sys.executable).with_name("gantool")
    return subprocess.Popen([str(exe), *args], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "COLUMNS": "200"})


def _wait(predicate, timeout: float = 120.0, poll: float = 0.05) -> None:
    wait_until(predicate, timeout, poll)


def _status(run: Path) -> dict:
    return json.loads((run / "status.json").read_text())


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    return lines[0]


def _toy_run(tmp_path: Path, steps: int = 20) -> Path:
    done = gantool("train", "toy", "--steps", str(steps), "--checkpoint-every", "10", "--log-every", "5", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return tmp_path / "runs" / "toy" / "exp"


def test_two_resumes_started_together_exactly_one_trains(tmp_path):
    run = _toy_run(tmp_path)
    procs = [_popen(tmp_path, "train", "--resume", str(run), "--steps", "10000000") for _ in range(2)]
    try:
        _wait(lambda: any(p.poll() is not None for p in procs))
        refused = next(p for p in procs if p.poll() is not None)
        trainer = next(p for p in procs if p is not refused)
        assert refused.returncode == 2
        assert f"is being trained by process {trainer.pid}" in _one_line(refused.stderr.read())
        _wait(lambda: _status(run)["state"] == "running" and _status(run)["step"] > 40)
        send(run, "stop")
        assert trainer.wait(timeout=60) == 0
    finally:
        for p in procs:
            p.kill()
    steps = [m["step"] for m in read_jsonl(run / "metrics.jsonl")]
    assert steps == sorted(steps), "one history, never two mixed"
    assert [e["event"] for e in read_jsonl(run / "events.jsonl")].count("resumed") == 1


def test_a_suspended_trainer_is_not_resumed_under_it(tmp_path):
    """Ctrl-Z for minutes: the heartbeat is stale but the trainer lives and holds the lock."""
    run = _toy_run(tmp_path)
    proc = _popen(tmp_path, "train", "--resume", str(run), "--steps", "10000000")
    try:
        _wait(lambda: _status(run)["step"] > 20)
        proc.send_signal(signal.SIGSTOP)
        status = _status(run)
        (run / "status.json").write_text(json.dumps({**status, "heartbeat": time.time() - 600}))  # as if long ago
        before = (run / "metrics.jsonl").read_bytes()
        second = gantool("train", "--resume", str(run), "--steps", "10000000", cwd=tmp_path)
        assert second.returncode == 2 and f"process {proc.pid}" in _one_line(second.stderr)
        assert (run / "metrics.jsonl").read_bytes() == before  # the refused resume trimmed nothing
        proc.send_signal(signal.SIGCONT)
        send(run, "stop")
        assert proc.wait(timeout=60) == 0
    finally:
        proc.send_signal(signal.SIGCONT)
        proc.kill()


def test_a_second_ctrl_c_during_the_final_checkpoint_aborts_and_keeps_the_previous_one(tmp_path):
    # wide enough that writing a checkpoint takes a while (about 200 MB with Adam's moments)
    proc = _popen(tmp_path, "train", "toy", "--steps", "10000000", "--checkpoint-every", "5", "--log-every", "5",
                  "--set", "model.hidden=2048")
    run = tmp_path / "runs" / "toy" / "exp"
    try:
        _wait(lambda: (run / "checkpoints" / "step-0000005.pt").exists())
        _wait(lambda: not list((run / "checkpoints").glob(".*")))  # not inside a periodic write
        proc.send_signal(signal.SIGINT)
        _wait(lambda: list((run / "checkpoints").glob(".last.pt.*.tmp")), poll=0.002)  # the final write began
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=120)
    finally:
        proc.kill()
    line = _one_line(proc.stderr.read())
    assert code == 130 and line.startswith("aborted: a second Ctrl-C stopped the run"), line
    events = read_jsonl(run / "events.jsonl")
    assert events[-1]["event"] == "aborted" and _status(run)["state"] == "aborted"
    assert _status(run)["reason"] == events[-1]["reason"] == line.removeprefix("aborted: ")
    kept = events[-1]["reason"].rsplit(": ", 1)[1]
    assert kept.startswith("checkpoints/step-")
    last = checkpoint.load(run / "checkpoints" / "last.pt")  # intact: the previous checkpoint
    assert last["step"] == checkpoint.load(run / kept)["step"]
    assert not list((run / "checkpoints").glob(".*")), "the cut write leaves no temp file"
    resumed = gantool("train", "--resume", str(run), "--steps", str(last["step"] + 5), cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr


class BlowUpAfter(BCELoss):
    """BCE whose G term is scaled so hard after a number of G steps that the gradient
    overflows: the update writes NaN into G while the loss it reports is still finite."""

    def __init__(self, options):
        self.after = options.pop("blow_up_after")
        super().__init__(options)
        self.calls = 0

    def g_loss(self, fake, real=None):
        self.calls += 1
        loss = super().g_loss(fake, real)
        return loss * 1e30 if self.calls > self.after else loss


def test_an_update_that_blows_up_is_never_checkpointed(tmp_path):
    cfg = RunConfig(model="toy", data="ring", steps=40, batch_size=32, latent_dim=2, log_every=100,
                    checkpoint_every=4, sample_every=0, loss_options={"blow_up_after": 5})
    data = load_ring(None, DataRequest())
    trainer = Trainer(cfg, registry().get("model", "toy"), LossSpec(name="blowup", summary="t", factory=BlowUpAfter), data)
    run = RunDir.create(tmp_path, "toy", "blowup")
    with pytest.raises(TrainingDiverged, match=r"NaN or Inf in the generator.* at step 8; last good checkpoint: "
                                               r"checkpoints/step-0000004.pt"):
        trainer.fit(run, 40)
    assert health.first_nonfinite(trainer.parts).startswith("the generator")  # the live state did blow up
    for path in (run.checkpoints / "last.pt", run.checkpoints / "step-0000004.pt"):
        state = torch.load(path, weights_only=True)
        assert state["step"] == 4
        assert all(torch.isfinite(v).all() for part in ("generator", "discriminator") for v in state[part].values())
    # and it resumes: a fresh trainer with the usual loss continues from the named checkpoint
    ok = Trainer(RunConfig(**{**cfg.to_dict(), "loss_options": {}}), registry().get("model", "toy"),
                 registry().get("loss", "bce"), data)
    ok.load_state_dict(torch.load(run.checkpoints / "step-0000004.pt", weights_only=True))
    assert ok.fit(RunDir.open(run.path), 12, resumed=True) == "finished"


def test_a_huge_learning_rate_stops_as_diverged_instead_of_finishing(tmp_path):
    """lr 1e6: Adam's second moment overflows; before, the run 'finished' with nothing moving."""
    result = gantool("train", "toy", "--data", "ring", "--loss", "hinge", "--lr", "1e6", "--checkpoint-every", "1",
                     "--steps", "30", cwd=tmp_path)
    assert result.returncode == 1
    assert _one_line(result.stderr).startswith("error: training diverged: NaN or Inf in")
    run = tmp_path / "runs" / "toy" / "exp"
    assert _status(run)["state"] == "failed"
    for path in (run / "checkpoints").glob("*.pt"):  # whatever was written is finite
        state = torch.load(path, weights_only=True)
        assert all(torch.isfinite(v).all() for v in state["generator"].values())


def _inject_enospc_after(monkeypatch, limit: int) -> None:
    """Checkpoint writes whose file refuses more than `limit` bytes, as a full disk does."""
    from gantool.run import checkpoint as ckpt

    real = ckpt.atomic_write

    class Full:
        def __init__(self, fh):
            self.fh, self.written = fh, 0

        def write(self, data):
            self.written += len(data)
            if self.written > limit:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return self.fh.write(data)

        def __getattr__(self, name):
            return getattr(self.fh, name)

    monkeypatch.setattr(ckpt, "atomic_write", lambda path, write, mode="wb": real(path, lambda fh: write(Full(fh)), mode))


def test_a_full_disk_is_one_line_and_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    cfg = RunConfig(model="toy", data="ring", steps=40, batch_size=32, latent_dim=2, log_every=100,
                    checkpoint_every=4, sample_every=0)
    trainer = Trainer(cfg, registry().get("model", "toy"), registry().get("loss", "bce"), load_ring(None, DataRequest()))
    run = RunDir.create(tmp_path, "toy", "full")
    trainer.fit(run, 4)
    before = (run.checkpoints / "last.pt").read_bytes()
    _inject_enospc_after(monkeypatch, 10_000)
    with pytest.raises(UserError) as caught:
        trainer.fit(run, 40, resumed=True)
    message = str(caught.value)
    assert message == (f"could not write checkpoint {run.checkpoints / 'last.pt'} (No space left on device); "
                       "the previous checkpoint is kept")
    assert (run.checkpoints / "last.pt").read_bytes() == before
    assert not list(run.checkpoints.glob(".*"))
    assert _status(run.path)["state"] == "failed" and _status(run.path)["reason"] == message
    assert read_jsonl(run.path / "events.jsonl")[-1]["reason"] == message


def test_a_full_tmpfs_through_the_console_script(tmp_path):
    """The real thing where this machine allows it: a 6 MiB tmpfs, toy checkpoints of ~3 MB."""
    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount") or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here; test_a_full_disk_is_one_line... injects ENOSPC instead")
    try:
        result = gantool("train", "toy", "--steps", "200", "--checkpoint-every", "10", "--project", str(mount),
                         cwd=tmp_path)
        assert result.returncode == 2
        line = _one_line(result.stderr)
        assert "No space left on device" in line and "the previous checkpoint is kept" in line
        run = mount / "toy" / "exp"
        assert checkpoint.load(run / "checkpoints" / "last.pt")["step"] == 10
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_keep_checkpoints_keeps_the_newest_periodic_files(tmp_path):
    done = gantool("train", "toy", "--steps", "50", "--checkpoint-every", "10", "--keep-checkpoints", "2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    ckpts = tmp_path / "runs" / "toy" / "exp" / "checkpoints"
    assert sorted(p.name for p in ckpts.iterdir()) == ["last.pt", "step-0000040.pt", "step-0000050.pt"]
    # a resumable key: a resume may change how many it keeps
    more = gantool("train", "--resume", str(ckpts.parent), "--steps", "70", "--keep-checkpoints", "1", cwd=tmp_path)
    assert more.returncode == 0, more.stderr
    assert sorted(p.name for p in ckpts.iterdir()) == ["last.pt", "step-0000070.pt"]


def test_a_kill_in_the_link_window_keeps_the_periodic_checkpoint(tmp_path):
    run = _toy_run(tmp_path)
    step_file = run / "checkpoints" / "step-0000020.pt"
    os.replace(step_file, run / "checkpoints" / ".step-0000020.pt.link")  # last.pt written, link not yet renamed
    resumed = gantool("train", "--resume", str(run), "--steps", "25", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert checkpoint.load(step_file)["step"] == 20
    assert not list((run / "checkpoints").glob(".*"))


def test_status_names_the_checkpoint_as_soon_as_it_is_written(tmp_path):
    proc = _popen(tmp_path, "train", "toy", "--steps", "10000000", "--checkpoint-every", "7", "--log-every", "1000")
    run = tmp_path / "runs" / "toy" / "exp"
    try:
        _wait(lambda: (run / "checkpoints" / "step-0000007.pt").exists())
        send(run, "pause")
        _wait(lambda: _status(run)["state"] == "paused")
        step = _status(run)["step"]
        send(run, "checkpoint")
        named = f"checkpoints/step-{step:07d}.pt"
        _wait(lambda: any(e.get("path") == named for e in read_jsonl(run / "events.jsonl")))
        # status.json is written before the event: not up to 2 s later with the next heartbeat
        assert _status(run)["last_checkpoint"] == named
        send(run, "stop")
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()


def test_resuming_from_an_earlier_checkpoint_sets_the_later_ones_aside(tmp_path):
    """--from step-10 with --keep-checkpoints 1: the abandoned history's step-20/30 must not
    count as 'newest' and get this history's step-20 deleted."""
    done = gantool("train", "toy", "--steps", "30", "--checkpoint-every", "10", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    run = tmp_path / "runs" / "toy" / "exp"
    again = gantool("train", "--resume", str(run), "--from", "step-0000010.pt", "--steps", "25",
                    "--keep-checkpoints", "1", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    ckpts = run / "checkpoints"
    assert sorted(p.name for p in ckpts.glob("*.pt")) == ["last.pt", "step-0000020.pt"]
    assert checkpoint.load(ckpts / "step-0000020.pt")["step"] == 20 and checkpoint.load(ckpts / "last.pt")["step"] == 25
    aside = [p for p in ckpts.iterdir() if p.is_dir()]
    assert len(aside) == 1 and sorted(p.name for p in aside[0].iterdir()) == ["step-0000020.pt", "step-0000030.pt"]
    assert "abandoned history" in again.stdout


def test_a_full_disk_while_writing_a_sample_grid_is_one_line_too(tmp_path, monkeypatch):
    cfg = RunConfig(model="toy", data="ring", steps=40, batch_size=32, latent_dim=2, log_every=100,
                    checkpoint_every=4, sample_every=6, sample_count=16)
    trainer = Trainer(cfg, registry().get("model", "toy"), registry().get("loss", "bce"), load_ring(None, DataRequest()))
    run = RunDir.create(tmp_path, "toy", "full")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(run.samples / "step-0000006.png"))

    monkeypatch.setattr(trainer.preview, "draw", full)
    with pytest.raises(UserError) as caught:
        trainer.fit(run, 40)
    assert str(caught.value) == (f"could not write {run.samples / 'step-0000006.png'} (No space left on device); "
                                 "the previous checkpoint is kept: checkpoints/step-0000004.pt")
    assert _status(run.path)["reason"] == str(caught.value)


def test_the_moment_state_skips_the_step_counter():
    """Adam keeps `step` on the CPU beside CUDA moments: the finiteness check must not mix them."""
    net = torch.nn.Linear(2, 1)
    opt = torch.optim.Adam(net.parameters())
    net(torch.ones(1, 2)).sum().backward()
    opt.step()
    from gantool.train.health import _optimizer_tensors

    assert [t.dim() for t in _optimizer_tensors(opt)] == [2, 2, 1, 1]  # exp_avg, exp_avg_sq of weight and bias
