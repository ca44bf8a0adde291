"""Whether the training state is still finite: the weights, the EMA copy and the optimizers'
moments.

The meter catches a NaN loss, but the losses are computed before the update, so an update
that blows up (a huge learning rate, a bad batch under fp16) leaves NaN weights behind
finite losses for one step, and a checkpoint written then would be "good" and resume into
NaN. Adam can also end up with an infinite second moment while every weight stays finite
and nothing moves any more. `check` runs before each checkpoint and at each log tick and
raises TrainingDiverged like the meter does.
"""

from __future__ import annotations

from typing import Iterable, Iterator

import torch

from gantool.core.errors import TrainingDiverged
from gantool.train.build import TrainingParts


def _optimizer_tensors(optimizer: torch.optim.Optimizer) -> Iterator[torch.Tensor]:
    # the moments, not the `step` counter: that one stays on the CPU beside CUDA moments
    # (Adam and RMSprop unless fused or capturable), and a count is finite anyway
    for state in optimizer.state.values():
        yield from (v for key, v in state.items() if key != "step" and torch.is_tensor(v) and v.is_floating_point())


def groups(parts: TrainingParts) -> Iterator[tuple[str, Iterable[torch.Tensor]]]:
    """(what, tensors) for every part of the state a checkpoint holds."""
    yield "the generator's weights", parts.G.parameters()
    yield "the discriminator's weights", parts.D.parameters()
    if parts.ema is not None:
        yield "the EMA generator's weights", parts.ema.model.parameters()
    for net, optimizer in parts.optimizers.items():
        yield f"the {'generator' if net == 'g' else 'discriminator'} optimizer's state", _optimizer_tensors(optimizer)


def first_nonfinite(parts: TrainingParts) -> str | None:
    """The first part holding a NaN or Inf, or None. One host sync per part."""
    for what, tensors in groups(parts):
        flags = [torch.isfinite(t.detach()).all() for t in tensors]
        if flags and not bool(torch.stack(flags).all()):
            return what
    return None


def check(parts: TrainingParts, step: int) -> None:
    what = first_nonfinite(parts)
    if what is not None:
        raise TrainingDiverged(f"NaN or Inf in {what} at step {step}")
