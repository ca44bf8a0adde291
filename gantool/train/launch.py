"""`gantool train ... --nproc N`: run the same command as N torch.distributed workers.

This is torchrun, called in-process: torchrun's own argument parser and launcher
(torch.distributed.run / torch.distributed.launcher), so the workers see exactly the
environment torchrun gives them (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, ...), and
`torchrun --nproc-per-node N -m gantool train ...` is the same thing for users who want
torchrun's other options (elastic rendezvous, restarts, log redirection).
"""

from __future__ import annotations

import logging
import os
import sys
import uuid

from gantool.core.errors import UserError

# the train command's options that configure the launch, not the run
LAUNCH_OPTIONS = ("--nproc", "--nnodes", "--node-rank", "--master-addr", "--master-port")


def worker_argv(argv: list[str]) -> list[str]:
    """The command line each worker runs: this one without the launch options."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
            continue
        name = arg.split("=", 1)[0]
        if name in LAUNCH_OPTIONS:
            skip = "=" not in arg
            continue
        out.append(arg)
    return out


def torchrun_args(nproc: int, nnodes: int, node_rank: int, master_addr: str | None, master_port: int | None,
                  argv: list[str]) -> list[str]:
    args = ["--nproc-per-node", str(nproc), "--nnodes", str(nnodes), "--node-rank", str(node_rank)]
    if master_addr:
        args += ["--master-addr", master_addr]
    if master_port:
        args += ["--master-port", str(master_port)]
    return [*args, "-m", "gantool", *worker_argv(argv)]


def launch(nproc: int, nnodes: int = 1, node_rank: int = 0, master_addr: str | None = None,
           master_port: int | None = None, argv: list[str] | None = None) -> int:
    """Run the workers and wait; returns the exit code to leave with (the first failed
    worker's, 0 when all finished)."""
    if nproc < 1 or nnodes < 1:
        raise UserError("--nproc and --nnodes must be at least 1")
    if "WORLD_SIZE" in os.environ:
        raise UserError("--nproc given inside a torch.distributed worker; drop it (torchrun already started the processes)")
    if nnodes > 1 and not master_addr:
        raise UserError("--nnodes > 1 needs --master-addr (the address of node 0) and the same --master-port on every node")
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import elastic_launch
    from torch.distributed.run import config_from_args, get_args_parser, parse_min_max_nnodes

    args = get_args_parser().parse_args(torchrun_args(nproc, nnodes, node_rank, master_addr, master_port,
                                                      sys.argv[1:] if argv is None else argv))
    if args.master_port is None and parse_min_max_nnodes(args.nnodes)[1] == 1:
        # one machine and no port given: let the c10d store pick a free port, as torchrun does
        args.rdzv_backend, args.rdzv_endpoint, args.rdzv_id = "c10d", "localhost:0", str(uuid.uuid4())
    if args.master_port is None:
        args.master_port = 29500
    # one thread per worker by default (torchrun's choice), without torchrun's banner about it
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
    config, cmd, cmd_args = config_from_args(args)
    # the workers report their own errors (one line for a user error); the agent's log line
    # about a failed worker would only repeat it
    logging.getLogger("torch.distributed.elastic").setLevel(logging.CRITICAL)
    try:
        elastic_launch(config=config, entrypoint=cmd)(*cmd_args)
    except SignalException as exc:
        # Ctrl-C or SIGTERM: the agent has passed it on and waited for the workers, which
        # stop at the same step with a checkpoint
        return 128 + int(exc.sigval)
    except ChildFailedError as exc:
        codes = [f.exitcode for f in exc.failures.values()]
        # a worker killed by a signal reports -signum; the shell convention is 128 + signum
        return next((c if c > 0 else 128 - c for c in codes if c), 1)
    return 0
