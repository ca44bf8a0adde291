"""The fast path's switches: cudnn autotuning, channels_last and torch.compile.

channels_last stores image tensors as NHWC, the layout tensor cores read without transposes;
`auto` turns it on for image models on CUDA. `--compile` compiles G's and D's forward in
place (`nn.Module.compile`, so state dicts and checkpoints keep their keys). D is traced
twice, once per phase: in the D phase its weights want gradients and its inputs do not, in
the G phase (D frozen) the reverse, so the G-phase graph leaves out D's weight gradients.
Both graphs are cached after the first G step, and nothing recompiles after that (a test
checks). Sampling and evaluation run the same modules eagerly
(`torch.compiler.set_stance("force_eager")`): their batch size differs from training's and
would otherwise compile a second graph for a few calls.
`--set compile_mode=reduce-overhead` adds CUDA graphs where torch.compile can use them.
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn


def use_channels_last(setting: str, device: torch.device, data_kind: str) -> bool:
    if data_kind != "image":
        return False
    return device.type == "cuda" if setting == "auto" else setting == "on"


def configure_backends(device: torch.device) -> None:
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed shapes: pick the fastest kernels once


def to_channels_last(*modules: nn.Module) -> None:
    for module in modules:
        module.to(memory_format=torch.channels_last)


def compile_modules(*modules: nn.Module, mode: str = "", backend: str = "inductor") -> None:
    for module in modules:
        module.compile(mode=mode or None, backend=backend)


def eager(compiled: bool) -> contextlib.AbstractContextManager:
    """Run compiled modules eagerly inside (sampling, evaluation)."""
    return torch.compiler.set_stance("force_eager") if compiled else contextlib.nullcontext()
