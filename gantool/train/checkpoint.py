"""Checkpoints: the whole training state, saved atomically, loadable with weights_only=True."""

from __future__ import annotations

import os
import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from gantool.core.errors import UserError
from gantool.core.fsutil import atomic_write

FORMAT = 1
LAST = "last.pt"


def step_name(step: int) -> str:
    return f"step-{step:07d}.pt"


def save(state: dict[str, Any], folder: Path, step: int, keep_step_file: bool) -> Path:
    """Write `last.pt` (and `step-NNNNNNN.pt` when asked) without ever exposing half a file."""
    state = {"format": FORMAT, **state}
    last = folder / LAST
    atomic_write(last, lambda fh: torch.save(state, fh), mode="wb")
    if not keep_step_file:
        return last
    periodic = folder / step_name(step)
    tmp = folder / f".{periodic.name}.link"
    try:  # a hard link costs no second write; fall back to writing again where unsupported
        tmp.unlink(missing_ok=True)
        os.link(last, tmp)
        os.replace(tmp, periodic)
    except OSError:
        atomic_write(periodic, lambda fh: torch.save(state, fh), mode="wb")
    return periodic


def find(path: Path) -> Path:
    """A checkpoint file from a path that is either the file or a run directory."""
    path = Path(path)
    if path.is_dir():
        candidate = path / "checkpoints" / LAST
        if not candidate.is_file():
            raise UserError(f"run directory {path} has no checkpoint ({candidate} is missing)")
        return candidate
    if not path.is_file():
        raise UserError(f"{path} does not exist")
    return path


def _reason(exc: BaseException) -> str:
    """The informative line of torch.load's long multi-line errors."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    picked = next((line for line in lines if line.startswith("WeightsUnpickler error")), lines[0] if lines else "")
    return (picked or type(exc).__name__)[:200]


def load(path: Path) -> dict[str, Any]:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, pickle.UnpicklingError, zipfile.BadZipFile, EOFError, ValueError, OSError) as exc:
        raise UserError(f"checkpoint {path} is corrupt or not a gantool checkpoint ({_reason(exc)})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT or "config" not in state:
        raise UserError(f"{path} is not a gantool checkpoint (format {FORMAT})")
    return state
