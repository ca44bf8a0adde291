"""The dashboard under Textual's pilot: keys, a live writer, failures, snapshots."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gantool.tui.app import MonitorApp
from gantool.tui.widgets import MetricChart

T0 = 1_790_000_000.0


def sync(coroutine):
    """Run an async pilot test with asyncio.run (no pytest plugin needed)."""

    @functools.wraps(coroutine)
    def run(*args, **kwargs):
        return asyncio.run(coroutine(*args, **kwargs))

    return run
SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.fixture(autouse=True)
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


def make_run(root: Path, name: str, state: str, steps: int = 40, pid: int | None = None, reason: str | None = None) -> Path:
    run = root / "dcgan" / name
    (run / "samples").mkdir(parents=True)
    (run / "checkpoints").mkdir()
    (run / "config.toml").write_text('model = "dcgan"\n')
    lines = [json.dumps({"step": s, "epoch": 0, "time": T0 + s, "loss_d": 1.0 + np.sin(s / 5) / 2,
                         "loss_g": 2.0 - s / steps, "logit_real": 0.1 * s, "img_per_s": 500.0 + s}) for s in range(10, steps + 1, 10)]
    (run / "metrics.jsonl").write_text("\n".join(lines) + "\n")
    events = [{"time": T0, "event": "started", "step": 0}, {"time": T0 + 20, "event": "sample", "step": 20, "path": "samples/step-0000020.png"}]
    if state in ("finished", "failed"):
        events.append({"time": T0 + 40, "event": state, "step": steps, **({"reason": reason} if reason else {})})
    (run / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    gradient = np.linspace(0, 255, 64 * 64, dtype=np.uint8).reshape(64, 64)
    Image.fromarray(gradient).save(run / "samples" / "step-0000020.png")
    status = {"pid": pid or 1, "heartbeat": time.time() if pid else T0 + 40, "state": state, "step": steps,
              "total_steps": 100, "epoch": 0, "model": "dcgan", "device": "cpu", "precision": "fp32",
              "last_checkpoint": "checkpoints/last.pt", "img_per_s": 540.0, "eta_s": 12.0}
    if reason:
        status["reason"] = reason
    (run / "status.json").write_text(json.dumps(status))
    return run


def control_lines(run: Path) -> list[str]:
    path = run / "control"
    return path.read_text().split() if path.exists() else []


@sync
async def test_keys_write_control_commands(tmp_path):
    run = make_run(tmp_path, "live", "running", pid=os.getpid())
    app = MonitorApp(run, poll_s=0.05)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("p", "s", "c")
        await pilot.press("x")
        await pilot.press("n")  # declined: nothing sent
        assert control_lines(run) == ["pause", "sample", "checkpoint"]
        await pilot.press("x", "y")
        await pilot.pause()
        assert control_lines(run) == ["pause", "sample", "checkpoint", "stop"]
        status = json.loads((run / "status.json").read_text())
        (run / "status.json").write_text(json.dumps({**status, "state": "paused"}))
        await pilot.pause(0.2)
        await pilot.press("p")  # paused runs get resume
        assert control_lines(run)[-1] == "resume"
        await pilot.press("q")
    assert control_lines(run)[-1] == "resume"  # quitting sent nothing


WRITER = """
import json, sys, time
path = sys.argv[1]
with open(path, "a") as fh:
    for step in range(50, 71, 10):
        fh.write(json.dumps({"step": step, "loss_d": 7.25, "loss_g": 0.5}) + "\\n"); fh.flush(); time.sleep(0.05)
    fh.write('{"step": 80, "loss_d": 9.5'); fh.flush()
"""


@sync
async def test_live_writer_shows_up_and_half_lines_wait(tmp_path):
    run = make_run(tmp_path, "live", "running", pid=os.getpid())
    app = MonitorApp(run, poll_s=0.05)
    async with app.run_test(size=(140, 45)) as pilot:
        subprocess.run([sys.executable, "-c", WRITER, str(run / "metrics.jsonl")], check=True)
        for _ in range(40):
            await pilot.pause(0.05)
            if app.current.series.last.get("step") == 70:
                break
        chart = app.query_one("#losses", MetricChart)
        assert app.current.series.last["step"] == 70  # the half-written step 80 is not parsed
        assert "loss_d 7.25" in str(chart.render())
        with open(run / "metrics.jsonl", "a") as fh:
            fh.write(', "loss_g": 0.25}\n')
        for _ in range(40):
            await pilot.pause(0.05)
            if app.current.series.last.get("step") == 80:
                break
        assert "loss_d 9.5" in str(chart.render())


@sync
async def test_failed_run_shows_its_reason(tmp_path):
    run = make_run(tmp_path, "bad", "failed", reason="training diverged: loss_d became nan by step 40")
    app = MonitorApp(run)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.pause()
        info = str(app.query_one("#info").render())
        assert "failed" in info and "loss_d became nan by step 40" in info
        await pilot.press("p")
        assert control_lines(run) == []  # nothing is sent to a run that is not training


@sync
async def test_stale_run_says_so(tmp_path):
    run = make_run(tmp_path, "crashed", "running", pid=2**22 + 12345)
    status = json.loads((run / "status.json").read_text())
    (run / "status.json").write_text(json.dumps({**status, "heartbeat": time.time() - 3600}))
    app = MonitorApp(run)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.pause()
        info = str(app.query_one("#info").render())
        assert "stale" in info and "--resume" in info
        assert "img/s" not in info and "ETA -" in info  # a dead run has no speed and no ETA
        first = re.search(r"last heartbeat 1:00:(\d\d) ago", info)
        assert first, info
        await pilot.pause(1.6)  # nothing changes on disk, yet the age advances
        later = re.search(r"last heartbeat 1:00:(\d\d) ago", str(app.query_one("#info").render()))
        assert later and int(later.group(1)) > int(first.group(1))


def test_records_that_go_back_in_time_are_not_plotted():
    from gantool.run import Series

    series = Series()
    series.add([{"step": 10, "loss_d": 1.0}, {"step": -5, "loss_d": 9.0}, {"step": 20, "loss_d": 2.0},
                {"step": 3, "loss_d": 9.0}, {"step": float("nan"), "loss_d": 9.0}, {"step": 20, "mode_coverage": 4}])
    series.add([{"step": 15, "loss_d": 9.0}, {"step": 30, "loss_d": 3.0}])
    assert list(series.steps["loss_d"]) == [10, 20, 30] and list(series.values["loss_d"]) == [1.0, 2.0, 3.0]
    assert series.skipped == 4 and list(series.steps["mode_coverage"]) == [20]


@sync
async def test_project_table_selects_runs(tmp_path):
    make_run(tmp_path, "a", "finished")
    make_run(tmp_path, "b", "failed", reason="boom")
    app = MonitorApp(tmp_path)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.pause()
        table = app.query_one("#runs")
        assert table.row_count == 2 and app.current.name == "dcgan/a"
        await pilot.press("down")
        await pilot.pause()
        assert app.current.name == "dcgan/b"


async def stable_screenshot(app, pilot, timeout: float = 10.0) -> str:
    """The screen once it stops changing (parts like the footer render late on a busy machine)."""
    previous, waited = None, 0.0
    while waited < timeout:
        await pilot.pause(0.25)
        waited += 0.25
        current = app.export_screenshot()
        if current == previous:
            return current
        previous = current
    return previous


@pytest.mark.parametrize("screen", ["run", "project"])
@sync
async def test_snapshots(tmp_path, monkeypatch, screen):
    make_run(tmp_path, "a", "finished")
    if screen == "project":
        make_run(tmp_path, "b", "failed", reason="training diverged: loss_d became nan by step 40")
    monkeypatch.chdir(tmp_path)  # relative paths on screen: the picture does not depend on tmp_path
    app = MonitorApp(Path("dcgan/a") if screen == "run" else Path("."))
    async with app.run_test(size=(140, 45)) as pilot:
        svg = await stable_screenshot(app, pilot)
    expected = SNAPSHOTS / f"monitor_{screen}.svg"
    if os.environ.get("GANTOOL_UPDATE_SNAPSHOTS") or not expected.exists():
        expected.parent.mkdir(exist_ok=True)
        expected.write_text(svg)
        pytest.fail(f"snapshot {expected.name} written; check it and run again")
    if svg != expected.read_text():  # not `assert ==`: pytest's diff of two 300 kB strings takes minutes
        actual = tmp_path / expected.name
        actual.write_text(svg)
        pytest.fail(f"screen differs from {expected} (got {actual}); GANTOOL_UPDATE_SNAPSHOTS=1 to accept")
