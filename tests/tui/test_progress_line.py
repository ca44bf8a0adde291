"""The dashboard shows where a growing model stands: progan's level and fade-in alpha, from
metrics.jsonl, in the info line beside the step, and as charts under `m`."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from gantool.tui.app import MonitorApp

T0 = 1_790_000_000.0


def progan_run(root: Path) -> Path:
    run = root / "progan" / "grow"
    (run / "samples").mkdir(parents=True)
    (run / "config.toml").write_text('model = "progan"\n')
    lines = [{"step": s, "epoch": 0, "time": T0 + s, "loss_d": -0.5, "loss_g": 0.3, "level": 2.0, "alpha": s / 100}
             for s in (10, 20, 30, 40, 50)]
    lines.append({"step": 50, "time": T0 + 51, "fid": 12.5})  # a periodic evaluation: a line of its own
    (run / "metrics.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    (run / "events.jsonl").write_text(json.dumps({"time": T0, "event": "started", "step": 0}) + "\n")
    status = {"pid": 1, "heartbeat": T0 + 50, "state": "finished", "step": 50, "total_steps": 100, "epoch": 0,
              "model": "progan", "device": "cpu", "precision": "fp32"}
    (run / "status.json").write_text(json.dumps(status))
    return run


def test_info_line_shows_latest_level_and_alpha_and_charts_offer_them(tmp_path):
    run = progan_run(tmp_path)

    async def drive() -> None:
        app = MonitorApp(run, poll_s=0.05)
        async with app.run_test(size=(140, 45)) as pilot:
            await pilot.pause()
            info = str(app.query_one("#info").render())
            assert "step 50/100  epoch 0  level 2  alpha 0.50" in info
            with (run / "metrics.jsonl").open("a") as f:  # the next level starts fading in
                f.write(json.dumps({"step": 60, "time": T0 + 60, "loss_d": -0.4, "level": 3.0, "alpha": 0.05}) + "\n")
            status = json.loads((run / "status.json").read_text())
            (run / "status.json").write_text(json.dumps({**status, "step": 60, "heartbeat": time.time()}))
            for _ in range(40):
                await pilot.pause(0.05)
                if "level 3  alpha 0.05" in str(app.query_one("#info").render()):
                    break
            assert "level 3  alpha 0.05" in str(app.query_one("#info").render())
            titles = set()
            for _ in range(4):
                titles.add(str(app.query_one("#metrics").border_title).split()[0])
                await pilot.press("m")
            assert {"alpha", "level"} <= titles

    asyncio.run(drive())


def test_a_model_without_progress_scalars_shows_none(tmp_path):
    run = progan_run(tmp_path)
    text = (run / "metrics.jsonl").read_text().replace('"level"', '"lvl"').replace('"alpha"', '"a"')
    (run / "metrics.jsonl").write_text(text)

    async def drive() -> None:
        app = MonitorApp(run)
        async with app.run_test(size=(140, 45)) as pilot:
            await pilot.pause()
            info = str(app.query_one("#info").render())
            assert "level" not in info and "alpha" not in info and "step 50/100" in info

    asyncio.run(drive())
