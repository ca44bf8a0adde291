"""The control file, read defensively: anyone can write it, so junk is reported and never
obeyed, a missing newline does not swallow the next command, and a runaway line neither
bloats nor stalls the trainer."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from gantool.run import ControlFile
from gantool.run.control import MAX_LINE
from tests.conftest import read_jsonl


def _append(path: Path, text: str) -> None:
    with open(path, "a") as fh:
        fh.write(text)


def test_a_line_without_newline_does_not_swallow_the_next_command(tmp_path):
    path = tmp_path / "control"
    control = ControlFile(path, interval=0)
    _append(path, "junk")  # printf junk >> control; echo sample >> control, within one poll
    _append(path, "sample\n")
    assert control.poll() == ["sample"]
    assert control.ignored == ["'junk'"]


def test_a_line_whose_newline_never_comes_is_taken_as_ended_at_the_next_poll(tmp_path):
    path = tmp_path / "control"
    control = ControlFile(path, interval=0)
    _append(path, "checkpoint")
    assert control.poll() == []  # perhaps still being written
    assert control.poll() == ["checkpoint"]  # nothing more came: it is not coming
    _append(path, "bogus\nstop\n")
    assert control.poll() == ["stop"]
    assert control.ignored == ["'bogus'"]


def test_a_huge_line_is_cut_and_skipped_without_holding_it(tmp_path):
    path = tmp_path / "control"
    control = ControlFile(path, interval=0)
    with open(path, "ab") as fh:
        fh.write(b"x" * (40 << 20) + b"\nsample\n")
    seen = []
    for _ in range(10):
        seen += control.poll()
        assert len(control._tail.partial) <= MAX_LINE
        if seen:
            break
    assert seen == ["sample"]
    assert any("longer than 256 bytes" in text for text in control.ignored)


def test_ignored_commands_are_events_and_stop_while_paused_logs_no_resume(tmp_path):
    import subprocess

    exe = Path(sys.executable).with_name("gantool")
    proc = subprocess.Popen([str(exe), "train", "toy", "--steps", "10000000", "--log-every", "20"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    run = tmp_path / "runs" / "toy" / "exp"
    try:
        deadline = time.monotonic() + 60
        while not (run / "status.json").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        _append(run / "control", "pause\n")
        while '"paused"' not in (run / "status.json").read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        _append(run / "control", "pasue\nstop\n")
        assert proc.wait(timeout=60) == 0
        out = proc.stdout.read()
    finally:
        proc.kill()
    events = read_jsonl(run / "events.jsonl")
    names = [e["event"] for e in events]
    assert names[-1] == "stopped" and "resumed" not in names[names.index("paused"):]
    assert {"event": "ignored", "command": "'pasue'"}.items() <= next(e for e in events if e["event"] == "ignored").items()
    assert "control: ignored 'pasue'" in out
    assert os.path.getsize(run / "control") > 0
