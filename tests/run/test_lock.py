"""The run directory's writer lock (run/lock.py): one trainer per run, released by the
kernel when its holder dies, named in the refusal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from gantool.core.errors import UserError
from gantool.run import RunDir, lock

HOLD = """
import sys, time
from gantool.run import RunDir
RunDir.open(sys.argv[1])
print("locked", flush=True)
time.sleep(120)
"""


def _holder(run) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(run.path)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_writer_is_refused_with_the_holders_pid_until_the_holder_dies(tmp_path):
    run = RunDir.create(tmp_path, "toy", "exp")
    run.release_lock()
    proc = _holder(run)
    try:
        assert lock.holder(run.path) == proc.pid
        with pytest.raises(UserError, match=f"is being trained by process {proc.pid}"):
            RunDir.open(run.path)
        proc.send_signal(signal.SIGKILL)  # kill -9: the kernel drops the lock with the process
        proc.wait(timeout=30)
    finally:
        proc.kill()
    assert lock.holder(run.path) is None
    assert RunDir.open(run.path).path == run.path
    assert lock.holder(run.path) == os.getpid()
    proc = subprocess.run([sys.executable, "-c", HOLD, str(run.path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and f"process {os.getpid()}" in proc.stderr


def test_a_suspended_holder_keeps_the_lock(tmp_path):
    """Ctrl-Z: no heartbeat for minutes, yet the trainer is alive and will write again."""
    run = RunDir.create(tmp_path, "toy", "exp")
    run.release_lock()
    proc = _holder(run)
    try:
        proc.send_signal(signal.SIGSTOP)
        time.sleep(0.2)
        with pytest.raises(UserError, match=f"process {proc.pid}"):
            RunDir.open(run.path)
    finally:
        proc.send_signal(signal.SIGCONT)
        proc.kill()
        proc.wait(timeout=30)


def test_the_lock_is_taken_again_in_the_same_process_and_released(tmp_path):
    run = RunDir.create(tmp_path, "toy", "exp")
    RunDir.open(run.path)  # the same process: no self-refusal
    assert run.layout.lock.read_text().strip() == str(os.getpid())
    run.release_lock()
    run.release_lock()  # idempotent


def test_a_read_only_run_is_one_line_and_unchanged(tmp_path, read_only):
    run = RunDir.create(tmp_path, "toy", "exp")
    run.release_lock()
    run.layout.lock.unlink()
    with read_only(run.path):
        with pytest.raises(UserError, match="cannot write to run directory"):
            RunDir.open(run.path)
    assert sorted(p.name for p in run.path.iterdir()) == ["checkpoints", "samples"]


def test_the_monitor_sees_a_suspended_trainer_as_alive(tmp_path):
    """No heartbeat for minutes, but the process holding the lock lives (Ctrl-Z): not stale."""
    import json

    from gantool.run import RunView

    run = RunDir.create(tmp_path, "toy", "exp")
    run.release_lock()
    run.layout.status.write_text(json.dumps({"state": "running", "pid": 2**22 + 7, "heartbeat": time.time() - 600}))
    dead = RunView(run.path)
    dead.poll()
    assert dead.state == "stale"  # nobody holds the lock: crashed
    proc = _holder(run)
    try:
        view = RunView(run.path)
        view.poll()
        assert view.state == "running"
    finally:
        proc.kill()
        proc.wait(timeout=30)
