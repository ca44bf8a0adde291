"""A run directory written by the release before the architecture change (gantool
0.1.0.dev0 at commit 0ef6d91: dcgan, 4 px-wide nets, 4 steps on MNIST with EMA) still
resumes, exports and opens in the monitor. Fails when the run directory or checkpoint
format changes without a migration."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import torch

from tests.conftest import gantool, read_jsonl

FIXTURE = Path(__file__).parent / "fixtures" / "runs" / "dcgan-0.1.0"


def _copy(tmp_path: Path) -> Path:
    run = tmp_path / "runs" / "dcgan" / "release-0.1"
    shutil.copytree(FIXTURE, run)
    return run


def test_old_run_resumes_exactly_where_it_stopped(tmp_path, mnist_mirror):
    run = _copy(tmp_path)
    result = gantool("train", "--resume", str(run), "--steps", "6", "--device", "cpu", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    state = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    assert state["step"] == 6 and state["ema"] is not None
    steps = [r["step"] for r in read_jsonl(run / "metrics.jsonl")]
    assert steps == [2, 4, 6]
    events = [e["event"] for e in read_jsonl(run / "events.jsonl")]
    assert events.count("resumed") == 1 and events[-1] == "finished"


def test_old_run_exports_and_samples(tmp_path):
    run = _copy(tmp_path)
    result = gantool("export", str(run), "--onnx", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (run / "generator.onnx").is_file()
    sample = gantool("sample", str(run), "-n", "4", "-o", str(tmp_path / "grid.png"), cwd=tmp_path)
    assert sample.returncode == 0, sample.stderr
    assert (tmp_path / "grid.png").stat().st_size > 0


def test_old_run_opens_in_the_monitor(tmp_path):
    from gantool.tui.app import MonitorApp

    run = _copy(tmp_path)

    async def look() -> None:
        app = MonitorApp(run, poll_s=0.05)
        async with app.run_test(size=(140, 45)) as pilot:
            await pilot.pause(0.3)
            assert app.current.series.last["step"] == 4
            await pilot.press("q")

    asyncio.run(look())
