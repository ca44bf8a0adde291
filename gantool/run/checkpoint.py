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


class CheckpointWriteError(UserError):
    """A checkpoint could not be written (disk full, read-only, quota); the previous one is intact."""


def save(state: dict[str, Any], folder: Path, step: int, keep_step_file: bool, keep: int = 0) -> Path:
    """Write `last.pt` (and `step-NNNNNNN.pt` when asked) without ever exposing half a file;
    with `keep` > 0, only the newest `keep` step files stay. A failed write raises
    CheckpointWriteError and leaves the previous checkpoint as it was."""
    import torch

    state = {"format": FORMAT, **state}
    last = folder / LAST_CHECKPOINT
    _write(last, lambda fh: torch.save(state, fh))
    if not keep_step_file:
        return last
    periodic = folder / step_name(step)
    tmp = folder / f".{periodic.name}.link"
    try:  # a hard link costs no second write; fall back to writing again where unsupported
        tmp.unlink(missing_ok=True)
        os.link(last, tmp)
        os.replace(tmp, periodic)
    except OSError:
        _write(periodic, lambda fh: torch.save(state, fh))
    if keep:
        prune(folder, keep, step)
    return periodic


def _write(path: Path, write) -> None:
    try:
        atomic_write(path, write, mode="wb")
    except (OSError, RuntimeError) as exc:  # torch's zip writer reports the OSError under it as a RuntimeError
        cause = next((e for e in _chain(exc) if isinstance(e, OSError)), None)
        if cause is None:  # a RuntimeError of torch's own, not the disk: a bug, not the user's to fix
            raise
        why = cause.strerror or str(cause)
        raise CheckpointWriteError(f"could not write checkpoint {path} ({why}); the previous checkpoint is kept") from None


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def step_of(path: Path) -> int:
    """The step in a periodic checkpoint's name (`step-0000012.pt` -> 12; -1 if none)."""
    digits = Path(path).stem.removeprefix("step-")
    return int(digits) if digits.isdigit() else -1


def step_files(folder: Path) -> list[Path]:
    """The periodic checkpoints in `folder`, oldest first (by step, not by name)."""
    return sorted((p for p in Path(folder).glob("step-*.pt") if p.is_file() and step_of(p) >= 0), key=step_of)


def prune(folder: Path, keep: int, step: int) -> list[Path]:
    """Delete all but the newest `keep` step files up to `step`, the one just written (which
    always stays); last.pt is another name and never touched."""
    ours = [p for p in step_files(folder) if step_of(p) <= step]
    doomed = ours[:-keep] if keep > 0 else []
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


def set_aside_later(folder: Path, step: int) -> Path | None:
    """Resuming from an earlier checkpoint abandons the step files after it: they move into
    `abandoned-<time>/` (never deleted), so they cannot be pruned as 'newest' or mistaken
    for this history's. Returns that folder, or None when there were none."""
    import time

    later = [p for p in step_files(folder) if step_of(p) > step]
    if not later:
        return None
    aside = Path(folder) / f"abandoned-{time.strftime('%Y%m%d-%H%M%S')}"
    aside.mkdir(exist_ok=True)
    for path in later:
        os.replace(path, aside / path.name)
    return aside


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


class CorruptCheckpoint(UserError):
    """A checkpoint file that cannot be read; `intact` lists the step files beside it that can."""

    def __init__(self, message: str, path: Path, intact: list[Path]):
        super().__init__(message)
        self.path, self.intact = path, intact


def damage(path: Path) -> str | None:
    """Why `path` cannot be a checkpoint, from its bytes alone (cheap: the zip's directory),
    or None when it looks whole. torch writes checkpoints as zip archives."""
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        return f"cannot be read: {exc.strerror}"
    if magic != b"PK\x03\x04":
        return "not a PyTorch checkpoint at all" if magic else "empty"
    try:
        with zipfile.ZipFile(path) as archive:
            archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError):
        return "truncated or damaged"
    return None


def intact_beside(path: Path) -> list[Path]:
    """The periodic checkpoints in `path`'s folder that look whole, oldest first."""
    return [p for p in step_files(Path(path).parent) if p != Path(path) and damage(p) is None]


def load(path: Path) -> dict[str, Any]:
    """The checkpoint's state dict on the CPU; a UserError for anything that is not one
    (a CorruptCheckpoint naming the intact step files beside a damaged one)."""
    import torch

    why = damage(path)
    if why is None:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except NOT_A_CHECKPOINT as exc:
            # torch's own text runs to paragraphs and suggests weights_only=False, which would run
            # code from the file: say what it is instead
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            why = ("holds objects a gantool checkpoint never does" if "Weights only load failed" in first
                   else "truncated or damaged")
    if why is not None:
        intact = intact_beside(path) if run_dir_of(path) is not None else []
        named = f"; intact checkpoints beside it: {', '.join(p.name for p in intact)}" if intact else ""
        raise CorruptCheckpoint(f"checkpoint {path} is {why}{named}", Path(path), intact)
    if not isinstance(state, dict) or state.get("format") != FORMAT or "config" not in state:
        raise UserError(f"{path} is not a gantool checkpoint (format {FORMAT})")
    return state
