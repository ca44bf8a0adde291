"""Checkpoints: the whole training state, saved atomically, loadable with weights_only=True.

torch is imported inside `save` and `load` only, so finding a checkpoint (and importing
gantool.run at all) stays torch-free. `last.pt` is always the newest state; a periodic
`step-NNNNNNN.pt` is a hard link to the same bytes where the filesystem allows.
"""

from __future__ import annotations

import os
import pickle
import struct
import zipfile
from pathlib import Path
from typing import Any

from gantool.core.errors import UserError
from gantool.core.fsutil import atomic_write
from gantool.run.layout import CHECKPOINTS, LAST_CHECKPOINT, RunLayout, step_stem

FORMAT = 1
# what torch.load raises on bytes that are not a checkpoint: the weights-only unpickler reads
# garbage as opcodes, so a memo miss (KeyError), a short stack (IndexError) or a bad length
# (struct.error) is as much "corrupt" as an UnpicklingError
NOT_A_CHECKPOINT = (RuntimeError, pickle.UnpicklingError, zipfile.BadZipFile, EOFError, ValueError, OSError,
                    KeyError, IndexError, struct.error)


def step_name(step: int) -> str:
    """`step-0000012.pt`, the periodic checkpoint's file name."""
    return f"{step_stem(step)}.pt"


def save(state: dict[str, Any], folder: Path, step: int, keep_step_file: bool) -> Path:
    """Write `last.pt` (and `step-NNNNNNN.pt` when asked) without ever exposing half a file."""
    import torch

    state = {"format": FORMAT, **state}
    last = folder / LAST_CHECKPOINT
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
        candidate = RunLayout(path).last_checkpoint
        if not candidate.is_file():
            raise UserError(f"run directory {path} has no checkpoint ({candidate} is missing)")
        return candidate
    if not path.is_file():
        raise UserError(f"{path} does not exist")
    return path


def run_dir_of(checkpoint: Path) -> Path | None:
    """The run directory a checkpoint file lies in (`RUN/checkpoints/x.pt`), or None."""
    checkpoint = Path(checkpoint)
    return checkpoint.parent.parent if checkpoint.parent.name == CHECKPOINTS else None


def _reason(exc: BaseException) -> str:
    """The informative line of torch.load's long multi-line errors."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    picked = next((line for line in lines if line.startswith("WeightsUnpickler error")), lines[0] if lines else "")
    return (picked or type(exc).__name__)[:200]


def load(path: Path) -> dict[str, Any]:
    """The checkpoint's state dict on the CPU; a UserError for anything that is not one."""
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except NOT_A_CHECKPOINT as exc:
        raise UserError(f"checkpoint {path} is corrupt or not a gantool checkpoint ({_reason(exc)})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT or "config" not in state:
        raise UserError(f"{path} is not a gantool checkpoint (format {FORMAT})")
    return state
