"""How a torch.distributed worker ends: the process group is left while Python is fully
alive, and the worker exits without interpreter finalization, so gloo threads kept alive by
DistributedDataParallel cannot abort a finished run (exit 134) on a busy machine."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

WORKER = textwrap.dedent("""
    import sys

    import torch
    import torch.distributed as td
    from gantool.cli import _leave_worker
    from gantool.train.distributed import from_environment, wrap

    dist = from_environment()
    cpu = torch.device("cpu")
    dist.init(cpu)
    ddp = wrap(torch.nn.Linear(3, 1), dist, cpu)
    ddp(torch.ones(4, 3)).sum().backward()  # a gradient all-reduce
    mean = dist.mean(torch.tensor([float(dist.rank)]))  # and one of ours
    del ddp
    dist.close()
    # one file per rank: the two workers share stdout, where their lines can interleave
    with open(f"{sys.argv[1]}/rank{dist.rank}.txt", "w") as fh:
        fh.write(f"mean {mean.item()} initialized {td.is_initialized()}")
    # leave as the console script does: DDP's gloo threads outlive the group, and ending
    # through interpreter finalization can abort with exit 134 on a busy machine
    _leave_worker(0)
""")


def test_close_leaves_the_process_group_after_ddp_and_collectives(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
                           str(script), str(tmp_path)], capture_output=True, text=True, timeout=120,
                          env=_env_without_world())
    assert proc.returncode == 0, proc.stderr
    for rank in (0, 1):
        assert (tmp_path / f"rank{rank}.txt").read_text() == "mean 0.5 initialized False"


def test_a_worker_leaves_with_its_exit_code_and_flushed_output_but_no_finalization():
    code = textwrap.dedent("""
        import atexit, sys
        from gantool.cli import _leave_worker
        atexit.register(lambda: print("finalized"))
        print("written", end="")
        print("to stderr", end="", file=sys.stderr)
        _leave_worker(3)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout, proc.stderr) == (3, "written", "to stderr")


def test_a_message_as_exit_code_is_printed_and_exits_1():
    code = "from gantool.cli import _leave_worker; _leave_worker('bad thing')"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stderr.strip()) == (1, "bad thing")


def test_the_console_script_in_a_worker_leaves_that_way(tmp_path):
    """`gantool` under torchrun: a user error in every worker still gives exit 2 and one line."""
    env = {**_env_without_world(), "WORLD_SIZE": "2", "RANK": "0", "LOCAL_RANK": "0"}
    proc = subprocess.run([sys.executable, "-m", "gantool", "train", "--nproc", "2"], capture_output=True,
                          text=True, timeout=60, env=env, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith("error: --nproc given inside a torch.distributed worker")
    assert not os.listdir(tmp_path)


def _env_without_world():
    return {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR",
                                                               "MASTER_PORT")}
