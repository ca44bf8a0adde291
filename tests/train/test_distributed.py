"""Data-parallel training: 2 gloo processes on the CPU are the same run as 1 process with
the same global batch (tolerance 1e-5 on every weight after 30 steps: only the order of
floating-point sums differs), and --nproc behaves like any run from the CLI."""

from __future__ import annotations

import json
import time

import pytest
import torch

from gantool.train.distributed import SINGLE, Shard
from gantool.train.launch import worker_argv
from tests.conftest import gantool, read_jsonl

TOLERANCE = 1e-5


def test_shards_of_a_draw_are_the_single_process_draw_split():
    torch.manual_seed(3)
    whole = SINGLE.randn(8, 2)
    parts = []
    for rank in range(2):
        torch.manual_seed(3)
        parts.append(Shard(rank, 2).randn(4, 2))
    torch.testing.assert_close(torch.cat(parts), whole, rtol=0, atol=0)
    assert not torch.equal(parts[0], parts[1])  # the shares are different samples


def test_worker_argv_drops_only_the_launch_options():
    argv = ["train", "toy", "--nproc", "2", "--steps", "5", "--master-port=29511", "--nnodes", "1", "--sync-bn"]
    assert worker_argv(argv) == ["train", "toy", "--steps", "5", "--sync-bn"]


def _weights(run):
    state = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    return {f"{net}.{k}": v.float() for net in ("generator", "discriminator") for k, v in state[net].items()}


def _losses(run):
    return [{k: v for k, v in r.items() if k.startswith(("loss", "gp"))} for r in read_jsonl(run / "metrics.jsonl")
            if "loss_d" in r]


def _initial_weights():
    from gantool.config import resolve
    from gantool.plugins import registry
    from gantool.specs import DataRequest
    from gantool.train.trainer import Trainer

    reg = registry()
    model = reg.get("model", "toy")
    cfg = resolve("toy", model.defaults, lambda name: reg.get("loss", name).defaults, None,
                  {"loss": "wgan-gp", "seed": 4, "device": "cpu"}, {})
    trainer = Trainer(cfg, model, reg.get("loss", "wgan-gp"), reg.get("dataset", "ring").load(None, DataRequest()))
    return {f"{net}.{k}": v.float() for net, m in (("generator", trainer.G), ("discriminator", trainer.D))
            for k, v in m.state_dict().items()}


# wgan-gp (penalty interpolation, n_critic 5) and instance noise: every random draw of the step
COMMON = ["--steps", "30", "--batch-size", "64", "--log-every", "10", "--sample-every", "0", "--device", "cpu",
          "--loss", "wgan-gp", "--instance-noise", "0.1", "--seed", "4"]


def test_two_gloo_processes_match_one_process(tmp_path):
    one = gantool("train", "toy", *COMMON, "--name", "one", cwd=tmp_path)
    assert one.returncode == 0, one.stderr
    two = gantool("train", "toy", *COMMON, "--name", "two", "--nproc", "2", cwd=tmp_path)
    assert two.returncode == 0, two.stderr
    assert "2 processes" in two.stdout
    a, b = _weights(tmp_path / "runs/toy/one"), _weights(tmp_path / "runs/toy/two")
    start = _initial_weights()
    moved = max((a[k] - start[k]).abs().max().item() for k in a)
    assert moved > 100 * TOLERANCE  # training changed the weights far more than the tolerance
    worst = max((a[k] - b[k]).abs().max().item() for k in a)
    assert worst < TOLERANCE, f"2 processes differ from 1 by {worst}"
    # the logged losses are the mean over both processes: the global batch's losses
    for x, y in zip(_losses(tmp_path / "runs/toy/one"), _losses(tmp_path / "runs/toy/two"), strict=True):
        assert x.keys() == y.keys()
        for k in x:
            assert y[k] == pytest.approx(x[k], abs=1e-4)
    # only rank 0 wrote the run: one started event, one metrics line per tick
    events = read_jsonl(tmp_path / "runs/toy/two/events.jsonl")
    assert [e["event"] for e in events].count("started") == 1
    assert [r["step"] for r in read_jsonl(tmp_path / "runs/toy/two/metrics.jsonl") if "loss_d" in r] == [10, 20, 30]


def test_nproc_stop_and_resume_from_the_cli(tmp_path):
    """A control `stop` reaches both processes at the same step; --resume under --nproc continues."""
    import subprocess
    import sys
    from pathlib import Path

    exe = Path(sys.executable).with_name("gantool")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "gantool"]
    proc = subprocess.Popen([*cmd, "train", "toy", "--steps", "1000000", "--batch-size", "64", "--log-every", "100",
                             "--device", "cpu", "--nproc", "2"], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    run = tmp_path / "runs/toy/exp"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if json.loads((run / "status.json").read_text()).get("step", 0) > 50:
                break
        except (FileNotFoundError, json.JSONDecodeError):
            pass
        time.sleep(0.2)
    with (run / "control").open("a") as fh:
        fh.write("stop\n")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    status = json.loads((run / "status.json").read_text())
    assert status["state"] == "stopped"
    stopped_at = status["step"]
    assert f"stopped at step {stopped_at}" in out
    resumed = gantool("train", "--resume", str(run), "--steps", str(stopped_at + 40), "--nproc", "2", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming {run} at step {stopped_at}" in resumed.stdout
    assert json.loads((run / "status.json").read_text())["step"] == stopped_at + 40


def test_launch_errors_are_one_line(tmp_path):
    sync_bn = gantool("train", "toy", "--steps", "2", "--device", "cpu", "--nproc", "2", "--sync-bn", cwd=tmp_path)
    assert sync_bn.returncode == 2
    lines = [line for line in sync_bn.stderr.splitlines() if line.startswith("error:")]
    assert lines == ["error: --sync-bn needs one GPU per process (PyTorch's SyncBatchNorm is GPU-only)"]
    assert "Traceback" not in sync_bn.stderr
    tui = gantool("train", "toy", "--nproc", "2", "--tui", cwd=tmp_path)
    assert tui.returncode == 2 and "--tui does not combine with --nproc" in tui.stderr
    odd = gantool("train", "toy", "--steps", "2", "--device", "cpu", "--nproc", "2", "--batch-size", "63", cwd=tmp_path)
    assert odd.returncode == 2 and "divisible by the 2 processes" in odd.stderr


def test_a_custom_step_that_follows_the_contract_runs_under_nproc(tmp_path, tiny_images):
    """acgan has its own step (D with a classifier head) and declares distributed=True."""
    run = gantool("train", "acgan", "--data", f"npz:{tiny_images}", "--steps", "4", "--batch-size", "16",
                  "--device", "cpu", "--set", "model.ngf=8", "--set", "model.ndf=8", "--nproc", "2", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    records = [r for r in read_jsonl(tmp_path / "runs/acgan/exp/metrics.jsonl") if "aux_d" in r]
    assert records and records[-1]["step"] == 4


def test_a_custom_step_without_the_contract_is_refused():
    import dataclasses

    from gantool.config import resolve
    from gantool.core.errors import UserError
    from gantool.plugins import registry
    from gantool.specs import DataRequest, TrainingHooks
    from gantool.train.distributed import Dist
    from gantool.train.trainer import Trainer

    reg = registry()
    model = dataclasses.replace(reg.get("model", "toy"), training=TrainingHooks(make_step=lambda ctx: None))
    cfg = resolve("toy", model.defaults, lambda name: reg.get("loss", name).defaults, None, {"device": "cpu"}, {})
    with pytest.raises(UserError, match="does not support --nproc"):
        Trainer(cfg, model, reg.get("loss", "bce"), reg.get("dataset", "ring").load(None, DataRequest()),
                dist=Dist(rank=0, world=2))
