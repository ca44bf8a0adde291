"""How a run that did not end normally is recorded and reported: the final state and reason
written to events.jsonl and status.json, and the exception the caller sees.

One reason string serves the terminal line, the event and the status, so the three never
disagree. A second Ctrl-C wins over whatever it surfaced as (torch.save wraps the
KeyboardInterrupt in a RuntimeError of its own); divergence names the last good checkpoint.
"""

from __future__ import annotations

import errno

from gantool.core.errors import RunAborted, TrainingDiverged, UserError

# what a full or read-only disk raises while the run writes its files: one line, not a traceback
DISK_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM)


def _disk(exc: BaseException) -> OSError | None:
    return exc if isinstance(exc, OSError) and exc.errno in DISK_ERRNOS else None


def _kept(last_checkpoint: str | None) -> str:
    return last_checkpoint or "none"


def ending(exc: BaseException, aborted: bool, step: int, last_checkpoint: str | None) -> tuple[str, str]:
    """(state, reason) for the final event and status."""
    if aborted:
        return "aborted", f"a second Ctrl-C stopped the run at step {step}; the previous checkpoint is kept: {_kept(last_checkpoint)}"
    if isinstance(exc, TrainingDiverged):
        return "failed", f"training diverged: {exc}; last good checkpoint: {_kept(last_checkpoint)}"
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted", "aborted by a second Ctrl-C before a checkpoint was saved"
    if isinstance(exc, UserError):  # e.g. a checkpoint the disk had no room for: the same line everywhere
        return "failed", str(exc)
    if (disk := _disk(exc)) is not None:
        return "failed", (f"could not write {disk.filename or 'a run file'} ({disk.strerror}); the previous "
                          f"checkpoint is kept: {_kept(last_checkpoint)}")
    return "failed", f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def replacement(exc: BaseException, aborted: bool, step: int, last_checkpoint: str | None) -> BaseException | None:
    """The exception to raise instead of `exc` (carrying the recorded reason), or None to re-raise it."""
    if aborted:
        return RunAborted(ending(exc, aborted, step, last_checkpoint)[1])
    if isinstance(exc, TrainingDiverged):
        return TrainingDiverged(ending(exc, aborted, step, last_checkpoint)[1])
    if _disk(exc) is not None:
        return UserError(ending(exc, aborted, step, last_checkpoint)[1])
    return None

