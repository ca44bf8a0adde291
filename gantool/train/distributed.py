"""Data-parallel training on torch.distributed: one process per device, launched by torchrun
(or `gantool train --nproc N`, which runs torchrun's launcher for you).

The contract that makes a run with N processes the same run as one process with the same
global batch (up to the order of floating-point sums):

- every process holds the same weights, RNG state and shuffled order (same seed); each
  global batch of real samples, latents and per-sample noise is drawn whole on every
  process, and each process keeps its contiguous share (`Shard`);
- G and D are wrapped in separate DistributedDataParallel objects, which average the
  gradients, so each optimizer step sees the mean over the global batch;
- losses logged are averaged over the processes at each log tick (the only sync besides
  the control poll);
- BatchNorm statistics are per process unless `--sync-bn` converts them to SyncBatchNorm.

Only rank 0 writes the run directory; the others get a `SilentRunDir`. Stop, pause,
checkpoint and signals reach every process through `ControlSync` at the same step.
"""

from __future__ import annotations

import inspect
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from gantool.core.errors import UserError

if TYPE_CHECKING:  # torch is imported where it is used: `gantool train`'s input errors need no torch
    import torch


@dataclass(frozen=True)
class Shard:
    """This process's contiguous share of every global batch."""

    rank: int = 0
    world: int = 1

    def take(self, x: torch.Tensor) -> torch.Tensor:
        if self.world == 1:
            return x
        n = x.shape[0] // self.world
        return x[self.rank * n : (self.rank + 1) * n]

    def draw(self, sample: Callable[..., torch.Tensor], n: int, *rest: int, **kwargs: Any) -> torch.Tensor:
        """`sample((n * world, *rest), **kwargs)` drawn whole, then this rank's share: every
        process consumes the same random numbers, so they stay in step and a sample's noise
        does not depend on how many processes there are."""
        return self.take(sample((n * self.world, *rest), **kwargs))

    def rand(self, n: int, *rest: int, **kwargs: Any) -> torch.Tensor:
        import torch

        return self.draw(torch.rand, n, *rest, **kwargs)

    def randn(self, n: int, *rest: int, **kwargs: Any) -> torch.Tensor:
        import torch

        return self.draw(torch.randn, n, *rest, **kwargs)

    def randint(self, low: int, high: int, n: int, *rest: int, **kwargs: Any) -> torch.Tensor:
        import torch

        return self.draw(lambda size, **kw: torch.randint(low, high, size, **kw), n, *rest, **kwargs)

    def randn_like(self, x: torch.Tensor) -> torch.Tensor:
        return self.randn(x.shape[0], *x.shape[1:], device=x.device, dtype=x.dtype)

    def rand_like(self, x: torch.Tensor) -> torch.Tensor:
        return self.rand(x.shape[0], *x.shape[1:], device=x.device, dtype=x.dtype)


SINGLE = Shard()


@dataclass(frozen=True)
class Dist:
    """Where this process sits in the job; `Dist()` is the single-process case."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def shard(self) -> Shard:
        return Shard(self.rank, self.world)

    def device(self, device: torch.device) -> torch.device:
        """One GPU per process: `cuda` means this process's local GPU."""
        if self.enabled and device.type == "cuda" and device.index is None:
            import torch

            return torch.device("cuda", self.local_rank)
        return device

    def init(self, device: torch.device) -> None:
        """Join the process group (idempotent); NCCL for CUDA, gloo otherwise."""
        import torch.distributed as td

        if not self.enabled or td.is_initialized():
            return
        if device.type == "cuda":
            import torch

            torch.cuda.set_device(device)
        td.init_process_group("nccl" if device.type == "cuda" else "gloo")

    def close(self) -> None:
        """Leave the process group while the interpreter is fully alive (the train command
        does, whatever the outcome). It does not stop gloo's threads: DistributedDataParallel
        keeps the group alive, which is why workers also skip interpreter finalization
        (`gantool.cli._leave_worker`)."""
        if not self.enabled:
            return
        import torch.distributed as td

        if td.is_initialized():
            td.destroy_process_group()

    def mean(self, values: torch.Tensor) -> torch.Tensor:
        if not self.enabled:
            return values
        import torch.distributed as td

        values = values.clone()
        td.all_reduce(values)
        return values / self.world

    def gather(self, obj: Any) -> list[Any]:
        """Every process's `obj`, in rank order, on every process."""
        if not self.enabled:
            return [obj]
        import torch.distributed as td

        out: list[Any] = [None] * self.world
        td.all_gather_object(out, obj)
        return out

    def broadcast(self, obj: Any) -> Any:
        """Rank 0's `obj` on every process."""
        if not self.enabled:
            return obj
        import torch.distributed as td

        box = [obj]
        td.broadcast_object_list(box, src=0)
        return box[0]


def from_environment() -> Dist:
    """The job as torchrun describes it in the environment (WORLD_SIZE, RANK, LOCAL_RANK)."""
    try:
        world = int(os.environ.get("WORLD_SIZE", "1"))
        rank = int(os.environ.get("RANK", "0"))
        local = int(os.environ.get("LOCAL_RANK", "0"))
    except ValueError:
        raise UserError("WORLD_SIZE, RANK and LOCAL_RANK must be integers (as torchrun sets them)") from None
    return Dist(rank, world, local) if world > 1 else Dist()


def wrap(module: torch.nn.Module, dist: Dist, device: torch.device) -> torch.nn.Module | None:
    """DDP for one network. Each network gets its own wrapper: G's and D's gradients are
    reduced in their own phases. Buffers (BatchNorm running stats) stay per process:
    broadcasting them every forward would overwrite D's statistics mid-step."""
    if not dist.enabled or not any(p.requires_grad for p in module.parameters()):
        return None
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index] if device.type == "cuda" else None
    # newer torch renames the switch; at construction it still syncs, which is harmless here
    # (every process built the same weights from the same seed)
    no_sync = ({"forward_sync_buffers": False} if "forward_sync_buffers" in inspect.signature(DistributedDataParallel).parameters
               else {"broadcast_buffers": False})
    return DistributedDataParallel(module, device_ids=ids, **no_sync)


class ControlSync:
    """Control commands and signals applied by every process at the same step.

    Every `every` steps all processes exchange (rank 0's new control commands, whether a
    signal arrived anywhere, the step of the next exchange). Rank 0 picks the next step so
    that exchanges happen about every `interval` seconds whatever the speed."""

    def __init__(self, dist: Dist, poll: Callable[[], list[str]], interval: float = 0.5):
        self.dist = dist
        self.poll = poll
        self.interval = interval
        self.next_step = 1
        self._last = (time.monotonic(), 0)

    def due(self, step: int) -> bool:
        return step >= self.next_step

    def exchange(self, step: int, signalled: bool) -> tuple[list[str], bool]:
        """(commands every process must run, whether any process was signalled)."""
        commands = self.poll() if self.dist.is_main else []
        now = time.monotonic()
        last_time, last_step = self._last
        rate = (step - last_step) / (now - last_time) if now > last_time and step > last_step else 0.0
        gap = max(1, int(rate * self.interval)) if rate else 1
        self._last = (now, step)
        shared = self.dist.gather((commands, signalled, step + gap))
        main_commands, _, next_step = shared[0]
        self.next_step = next_step
        return main_commands, any(s for _, s, _ in shared)
