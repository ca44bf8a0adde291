"""Shuffled minibatches, gathered where the data fits: on the device, in host memory, or read
from the decoded cache file as training goes.

Small datasets (MNIST is 47 MB as uint8) are kept whole on the device, so a batch costs one
gather and one conversion instead of a DataLoader round trip. A set that does not fit the
device stays in (pinned) host memory. A decoded image cache larger than the memory budget
(`--set data.memory_gb=`, default a share of the available RAM) is streamed: a background
thread reads each batch's rows ahead of the loop (gantool.train.stream), so resident memory
stays at a few batches. All three draw the same order: the permutation and its position are
part of the checkpoint, which makes resume exact mid-epoch whichever path a run takes.
"""

from __future__ import annotations

import copy
import os
from typing import Any

import numpy as np
import torch

from gantool.core.errors import UserError
from gantool.specs import DataArrays
from gantool.train.distributed import SINGLE, Shard
from gantool.train.stream import Prefetcher, file_backed

RAM_SHARE = 0.5  # of the available RAM, the default budget for a set held in memory
DEVICE_SHARE = 0.4  # of the free device memory, for a set held on the device


def available_ram() -> int:
    """Bytes the kernel could give this process without swapping (MemAvailable)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 1 << 62  # unknown: never stream unless told to


def memory_budget(options: dict[str, Any] | None) -> int:
    """The bytes a dataset may take in memory: `data.memory_gb`, or a share of the free RAM."""
    if options and "memory_gb" in options:
        from gantool.core.typed_options import read_float

        return int(read_float(options, "memory_gb", 0.0, 1e-6, scope="data") * 2**30)
    return int(RAM_SHARE * available_ram())


def placement(x: np.ndarray, device: torch.device, budget: int) -> str:
    """"device", "host" or "stream": where batches of `x` are gathered from."""
    if file_backed(x) and x.nbytes > budget:
        return "stream"
    if device.type == "cuda" and x.nbytes < DEVICE_SHARE * torch.cuda.mem_get_info(device)[0]:
        return "device"
    return "host"


class Order:
    """The shuffled order: a new permutation each epoch, the ragged tail dropped, this
    process's share of each global batch. `copy()` walks on independently."""

    def __init__(self, n: int, batch_size: int, seed: int, shard: Shard, home: torch.device):
        self.n, self.batch_size, self.shard, self.home = n, batch_size, shard, home
        self.generator = torch.Generator().manual_seed(seed)
        self.perm: torch.Tensor | None = None
        self.pos = 0

    def next_indices(self) -> torch.Tensor:
        if self.perm is None or self.pos + self.batch_size > self.n:
            self.perm = torch.randperm(self.n, generator=self.generator).to(self.home)
            self.pos = 0
        idx = self.shard.take(self.perm[self.pos : self.pos + self.batch_size])
        self.pos += self.batch_size
        return idx

    def copy(self) -> Order:
        twin = copy.copy(self)
        twin.generator = torch.Generator()
        twin.generator.set_state(self.generator.get_state())
        return twin

    def state_dict(self) -> dict[str, Any]:
        return {"generator": self.generator.get_state(), "perm": None if self.perm is None else self.perm.cpu(),
                "pos": self.pos}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.generator.set_state(state["generator"])
        self.perm = None if state["perm"] is None else state["perm"].to(self.home)
        self.pos = int(state["pos"])


class Batches:
    """`batch_size` is the global batch; with a `Shard` each process gathers only its share
    of it (every process shuffles alike, so the shares never overlap). `options` are the
    run's data options, for `memory_gb`."""

    def __init__(self, data: DataArrays, batch_size: int, seed: int, device: torch.device, shard: Shard = SINGLE,
                 channels_last: bool = False, options: dict[str, Any] | None = None):
        self.n = len(data.x)
        if self.n < batch_size:
            raise UserError(f"the dataset has {self.n} samples, fewer than --batch-size {batch_size}")
        if batch_size % shard.world:
            raise UserError(f"--batch-size {batch_size} must be divisible by the {shard.world} processes")
        self.device, self.batch_size, self.shard = device, batch_size, shard
        self.where = placement(data.x, device, memory_budget(options))
        self.home = device if self.where == "device" else torch.device("cpu")
        self._source = data.x
        self.x = None if self.where == "stream" else self._in_memory(data.x)
        self._prefetcher: Prefetcher | None = None
        self.is_image = data.x.dtype.name == "uint8"
        self.memory_format = torch.channels_last if channels_last and self.is_image else torch.contiguous_format
        self.labels = torch.from_numpy(np.asarray(data.labels)).to(self.home) if data.labels is not None else None
        self.order = Order(self.n, batch_size, seed, shard, self.home)

    def _in_memory(self, x: np.ndarray) -> torch.Tensor:
        t = torch.from_numpy(x)
        if self.where == "device":
            return t.to(self.device)
        return t.pin_memory() if self.device.type == "cuda" else t

    @property
    def steps_per_epoch(self) -> int:
        return self.n // self.batch_size  # the ragged tail batch is dropped

    def next(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        if self.x is None and self._prefetcher is None:  # started at the first batch, from the order as it is now
            rows = self.batch_size // self.shard.world
            self._prefetcher = Prefetcher(self._source, self.order.copy().next_indices, rows, self.device)
        idx = self.order.next_indices()
        if self._prefetcher is not None:
            x = self._prefetcher.take(idx)
        else:
            x = self.x[idx].to(self.device, non_blocking=True)
        labels = self.labels[idx].to(self.device, non_blocking=True) if self.labels is not None else None
        if self.is_image:  # uint8 [0, 255] -> float [-1, 1]
            x = x.to(dtype=torch.float32, memory_format=self.memory_format).div_(127.5).sub_(1.0)
        return x, labels

    def state_dict(self) -> dict[str, Any]:
        return self.order.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.order.load_state_dict(state)
        if self._prefetcher is not None:  # it read ahead from the old position
            self._prefetcher.close()
            self._prefetcher = None
