"""Shuffled minibatches by indexing a tensor that lives on the training device.

Small datasets (MNIST is 47 MB as uint8) are kept whole on the device, so a batch costs one
gather and one conversion instead of a DataLoader round trip. The permutation and its
position are part of the checkpoint, which makes resume exact mid-epoch.
"""

from __future__ import annotations

from typing import Any

import torch

from gantool.core.errors import UserError
from gantool.specs import DataArrays
from gantool.train.distributed import SINGLE, Shard


def _fits(nbytes: int, device: torch.device) -> bool:
    if device.type != "cuda":
        return True
    free, _ = torch.cuda.mem_get_info(device)
    return nbytes < 0.4 * free


class Batches:
    """`batch_size` is the global batch; with a `Shard` each process gathers only its share
    of it (every process shuffles alike, so the shares never overlap)."""

    def __init__(self, data: DataArrays, batch_size: int, seed: int, device: torch.device, shard: Shard = SINGLE,
                 channels_last: bool = False):
        self.n = len(data.x)
        if self.n < batch_size:
            raise UserError(f"the dataset has {self.n} samples, fewer than --batch-size {batch_size}")
        self.device = device
        # keep the data where the batches are gathered: the device when it fits comfortably,
        # else pinned host memory with asynchronous copies of each batch
        self.home = device if _fits(data.x.nbytes, device) else torch.device("cpu")
        x = torch.from_numpy(data.x)
        self.x = x.to(device) if self.home == device else (x.pin_memory() if device.type == "cuda" else x)
        self.is_image = data.x.dtype.name == "uint8"
        self.memory_format = torch.channels_last if channels_last and self.is_image else torch.contiguous_format
        self.labels = torch.from_numpy(data.labels).to(self.home) if data.labels is not None else None
        if batch_size % shard.world:
            raise UserError(f"--batch-size {batch_size} must be divisible by the {shard.world} processes")
        self.batch_size = batch_size
        self.shard = shard
        self.generator = torch.Generator().manual_seed(seed)
        self.perm: torch.Tensor | None = None
        self.pos = 0

    @property
    def steps_per_epoch(self) -> int:
        return self.n // self.batch_size  # the ragged tail batch is dropped

    def next(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        if self.perm is None or self.pos + self.batch_size > self.n:
            self.perm = torch.randperm(self.n, generator=self.generator).to(self.home)
            self.pos = 0
        idx = self.shard.take(self.perm[self.pos : self.pos + self.batch_size])
        self.pos += self.batch_size
        x = self.x[idx].to(self.device, non_blocking=True)
        labels = self.labels[idx].to(self.device, non_blocking=True) if self.labels is not None else None
        if self.is_image:  # uint8 [0, 255] -> float [-1, 1]
            x = x.to(dtype=torch.float32, memory_format=self.memory_format).div_(127.5).sub_(1.0)
        return x, labels

    def state_dict(self) -> dict[str, Any]:
        return {"generator": self.generator.get_state(), "perm": None if self.perm is None else self.perm.cpu(),
                "pos": self.pos}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.generator.set_state(state["generator"])
        self.perm = None if state["perm"] is None else state["perm"].to(self.home)
        self.pos = int(state["pos"])
