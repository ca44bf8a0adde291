"""The typed contracts behind the specs: what a training step, a loss, a preview, a logger
and a feature extractor are. A plugin author reads this after hookspecs.py and specs.py.

The division of work (StyleGAN2-ADA's, see docs/architecture.md): a model's step says
*what* each phase's loss is; the shared loop does *how* it is applied. The loop freezes
the other network, zeroes gradients, runs the scaled backward, unscales, adds historical
averaging, clips, steps the optimizer, clamps weights, updates the EMA and calls
`scaler.update()` once per step, and it adds the regularizers (gradient penalty, R1 as a
lazy phase of its own, DRAGAN) to every D phase from what the step says D was shown. So
every stabilizer works for every model, and no step can get the choreography wrong.

Torch is named only under TYPE_CHECKING: importing the contract stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Literal, Protocol, Sequence, runtime_checkable

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np
    import torch

Net = Literal["g", "d"]  # which network (and optimizer) a phase updates


@dataclass(frozen=True)
class Phase:
    """One kind of update, and how often it runs: lazy regularization is a phase with
    `every=16`; a pre-training phase has a `stop`. Steps are counted from 0."""

    name: str
    net: Net
    every: int = 1  # runs on steps where (step + 1) % every == 0
    start: int = 0  # first step it may run on
    stop: int | None = None  # first step it no longer runs on (None: never stops)

    def due(self, step: int) -> bool:
        if step < self.start or (self.stop is not None and step >= self.stop):
            return False
        return (step + 1) % self.every == 0


@dataclass
class Judged:
    """What a discriminator was shown in a D phase. The loop's regularizers differentiate
    `discriminator` (D with any labels bound) at these exact inputs (augmented, noised,
    packed), so R1, the gradient penalty and DRAGAN work for any model."""

    discriminator: Callable[[torch.Tensor], torch.Tensor]
    real: torch.Tensor
    fake: torch.Tensor


@dataclass
class PhaseLoss:
    """A phase's result: `loss` is what the loop backpropagates; `stats` are logged by
    name (detached by the loop, averaged over each log tick); `judged` (D phases) feeds
    the loop's regularizers."""

    loss: torch.Tensor
    stats: dict[str, torch.Tensor] = field(default_factory=dict)
    judged: Sequence[Judged] = ()


@runtime_checkable
class TrainingStep(Protocol):
    """A model's training step. `make_step(ctx: StepContext)` returns one.

    Per training step the loop calls `begin` once (draw what the phases share: latents,
    fakes, real batches), then `loss(phase, step)` for each due phase in order, applying
    each network's update as soon as its consecutive phases are done. `begin` and `loss`
    run under the run's autocast. A step that keeps state of its own (an image pool)
    adds `state_dict()` / `load_state_dict(state)`; they go into the checkpoint.

    `unsupported` maps a config key the step cannot honour to the reason; setting it is
    refused with one line before training.
    """

    phases: Sequence[Phase]
    unsupported: ClassVar[dict[str, str]]

    def begin(self, step: int, real: torch.Tensor, labels: torch.Tensor | None,
              due: Sequence[Phase]) -> None: ...

    def loss(self, phase: Phase, step: int) -> PhaseLoss: ...


class AdversarialLoss:
    """Base of the adversarial losses (`LossSpec.factory(options)` returns one).

    Both terms take logits. `g_loss` also gets D's logits on the real batch: a
    relativistic loss needs them and sets `needs_real_in_g`, and then a step computes
    them afresh in the G phase (otherwise it may pass the D phase's, or None).
    """

    needs_real_in_g: ClassVar[bool] = False

    def d_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def g_loss(self, fake: torch.Tensor, real: torch.Tensor | None = None) -> torch.Tensor:
        raise NotImplementedError


@runtime_checkable
class Preview(Protocol):
    """Draws the sample grid of `samples/step-NNNNNNN.png` from a generator. `count` is
    the size of the fixed latent batch it wants; `draw` returns extra metrics for the
    step's metrics line (mode coverage on mixture data), or {}."""

    count: int

    def draw(self, generator: torch.nn.Module, z: torch.Tensor, path: Path) -> dict[str, float]: ...


@runtime_checkable
class Logger(Protocol):
    """A training logger (`--logger NAME`): gets every metrics line and every sample grid.
    Called on rank 0 only; must not slow the loop (it is called at log ticks)."""

    def log_metrics(self, step: int, values: dict[str, float]) -> None: ...

    def log_image(self, step: int, tag: str, path: Path) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class FeatureExtractor(Protocol):
    """Maps images (float32 [N, C, H, W] in [-1, 1]) to `Features` (gantool.Features:
    `features` [N, D] and, when it has class logits, `logits` [N, K]). `protocol` names
    what produced the features (weights hash, resize), so cached reference statistics are
    keyed by it."""

    protocol: dict[str, Any]

    def __call__(self, images: np.ndarray) -> Any: ...


def check_step(step: Any, model: str) -> None:
    """Refuse, with the offending attribute named, a step that does not fit the contract."""
    missing = [name for name in ("phases", "begin", "loss") if not hasattr(step, name)]
    if missing:
        raise TypeError(f"model {model!r}: its training step lacks {', '.join(missing)} (see gantool.protocols.TrainingStep)")
    nets = {phase.net for phase in step.phases}
    if not nets <= {"g", "d"}:
        raise TypeError(f"model {model!r}: phases must update 'g' or 'd', got {sorted(nets)}")
