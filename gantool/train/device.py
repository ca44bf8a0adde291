"""Device and precision choice: cuda > mps > cpu, bf16 autocast on CUDA when supported."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch

from gantool.core.errors import UserError


def pick_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise UserError(f"unknown device {name!r}; use auto, cpu, cuda, cuda:N or mps") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UserError(f"--device {name}: CUDA is not available on this machine; use --device cpu")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise UserError(f"--device {name}: MPS is not available on this machine; use --device cpu")
    return device


@dataclass(frozen=True)
class Precision:
    name: str  # fp32 | bf16 | fp16
    device_type: str

    @property
    def dtype(self) -> torch.dtype | None:
        return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(self.name)

    def autocast(self) -> contextlib.AbstractContextManager:
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=self.dtype)

    def scaler(self) -> torch.amp.GradScaler:
        """fp16 needs loss scaling; for other precisions the scaler is a pass-through."""
        return torch.amp.GradScaler(self.device_type, enabled=self.name == "fp16")


def pick_precision(name: str, device: torch.device) -> Precision:
    if name == "auto":
        bf16_ok = device.type == "cuda" and torch.cuda.is_bf16_supported()
        return Precision("bf16" if bf16_ok else "fp32", device.type)
    if name == "fp16" and device.type == "cpu":
        raise UserError("--precision fp16 needs a GPU; use fp32 or bf16 on the CPU")
    return Precision(name, device.type)
