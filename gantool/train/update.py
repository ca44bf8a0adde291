"""The update the loop owns: one training step as phases, whatever the model.

A model's step (gantool.protocols.TrainingStep) only computes losses. This module runs
its due phases in order and, for each run of consecutive phases on one network, applies
one update: freeze the other network, add the regularizers to D's loss (gradient penalty
and DRAGAN every D phase, R1 lazily as the `D_reg` phase), zero the gradients, scaled
backward, unscale when something needs true gradients, historical averaging, gradient
clipping, optimizer step, weight clipping (WGAN), the EMA update after G's step, and one
`scaler.update()` after every optimizer stepped. Phases that share a network and are due
together make one update, so one GradScaler step per optimizer and step still holds.
Nothing here synchronises with the host: statistics stay on the device.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

import torch
from torch import nn

from gantool.protocols import Judged, Phase, PhaseLoss, TrainingStep
from gantool.train.distributed import SINGLE, Shard
from gantool.train.penalties import dragan_penalty, gradient_penalty, r1_penalty
from gantool.train.stabilizers import HistoricalAverage, Stabilizers


@dataclass(frozen=True)
class Regularizers:
    """D regularizers the loop applies to every model's D phases (0 switches one off)."""

    clip_weights: float = 0.0
    gp_lambda: float = 0.0
    r1_gamma: float = 0.0
    r1_every: int = 16
    dragan_lambda: float = 0.0

    @property
    def r1_phase(self) -> Phase | None:
        """Lazy R1 (StyleGAN2): a phase of its own interval, scaled up by it to match."""
        return Phase("D_reg", "d", every=self.r1_every) if self.r1_gamma else None


class Update:
    """Applies the phases of a `TrainingStep` to G and D with their optimizers."""

    def __init__(self, step: TrainingStep, nets: dict[str, nn.Module], optimizers: dict[str, torch.optim.Optimizer],
                 scaler: torch.amp.GradScaler, autocast: Any, stabilizers: Stabilizers = Stabilizers(),
                 regularizers: Regularizers = Regularizers(), ema: Any = None, shard: Shard = SINGLE):
        self.nets, self.optimizers, self.scaler, self.autocast = nets, optimizers, scaler, autocast
        self.grad_clip = stabilizers.grad_clip
        self.reg, self.ema, self.shard = regularizers, ema, shard
        self.history = {name: HistoricalAverage(net, stabilizers.historical_averaging) for name, net in nets.items()
                        } if stabilizers.historical_averaging else {}
        self._d_params = list(nets["d"].parameters())
        self.step = step
        self.r1_phase = regularizers.r1_phase
        self.phases = self._with_regularizer_phases(list(step.phases))
        self._judged: Sequence[Judged] = ()

    def _with_regularizer_phases(self, phases: list[Phase]) -> list[Phase]:
        """The step's phases, and the loop's lazy R1 phase right after the first D phase."""
        if self.r1_phase is not None:
            first_d = next((i for i, p in enumerate(phases) if p.net == "d"), len(phases) - 1)
            phases.insert(first_d + 1, self.r1_phase)
        return phases

    def __call__(self, index: int, real: torch.Tensor, labels: torch.Tensor | None) -> dict[str, torch.Tensor]:
        """One training step: every due phase, each network's update, one scaler update."""
        due = [p for p in self.phases if p.due(index)]
        with self.autocast():
            self.step.begin(index, real, labels, due)
        out: dict[str, torch.Tensor] = {}
        for net, group in _runs(due):
            with self._frozen_except(net):
                total = sum(self._phase_loss(phase, index, out) for phase in group)
                if isinstance(total, torch.Tensor):  # not when only a regularizer was due, without its D phase
                    self._apply(net, total, out)
        self.scaler.update()  # one scaler, updated once after every optimizer stepped
        self._judged = ()
        return out

    def _phase_loss(self, phase: Phase, index: int, out: dict) -> torch.Tensor:
        if phase is self.r1_phase:  # on the reals of the D phase just computed
            return self._penalty("r1", 0.5 * self.reg.r1_gamma * self.reg.r1_every, self._judged, out,
                                 lambda j: r1_penalty(j.discriminator, j.real))
        with self.autocast():
            result: PhaseLoss = self.step.loss(phase, index)
        out.update({k: v.detach() for k, v in result.stats.items()})
        loss = result.loss
        if phase.net == "d" and not result.judged and (self.reg.gp_lambda or self.reg.dragan_lambda or self.reg.r1_gamma):
            raise TypeError(f"the {phase.name} phase returned no PhaseLoss.judged, so the gradient penalties cannot "
                            "apply; list gp_lambda, dragan_lambda and r1_gamma in the model's unsupported map instead")
        if phase.net == "d" and result.judged:
            self._judged = result.judged
            loss = loss + self._penalty("gp", self.reg.gp_lambda, result.judged, out, lambda j: gradient_penalty(
                j.discriminator, j.real, j.fake, shard=self.shard))
            loss = loss + self._penalty("dragan", self.reg.dragan_lambda, result.judged, out, lambda j: dragan_penalty(
                j.discriminator, j.real, shard=self.shard))
        return loss

    @staticmethod
    def _penalty(name: str, weight: float, judged: Sequence[Judged], out: dict, penalty: Any) -> torch.Tensor | float:
        """A D regularizer, on exactly what D was shown (augmented, noised, packed), averaged
        over the discriminators a step judged with (CycleGAN has one per domain)."""
        if not weight or not judged:
            return 0.0
        value = sum(penalty(j) for j in judged) / len(judged)
        out[name] = value.detach()
        return weight * value

    def _apply(self, net: str, loss: torch.Tensor, out: dict) -> None:
        opt, history = self.optimizers[net], self.history.get(net)
        opt.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        if self.grad_clip or history is not None:
            self.scaler.unscale_(opt)  # both act on true gradients; a no-op without loss scaling
            if history is not None:
                history.add_gradient()
            if self.grad_clip:  # the norm before clipping is logged; no host sync
                params = [p for group in opt.param_groups for p in group["params"]]
                out[f"grad_norm_{net}"] = torch.nn.utils.clip_grad_norm_(params, self.grad_clip, foreach=True).detach()
        self.scaler.step(opt)
        if history is not None:
            history.update()
        if net == "d" and self.reg.clip_weights:  # WGAN's Lipschitz constraint, after every D update
            with torch.no_grad():
                torch._foreach_clamp_min_(self._d_params, -self.reg.clip_weights)
                torch._foreach_clamp_max_(self._d_params, self.reg.clip_weights)
        if net == "g" and self.ema is not None:
            self.ema.update(self.nets["g"])

    @contextmanager
    def _frozen_except(self, net: str) -> Iterator[None]:
        """No weight gradients for the network a phase does not update (D in the G phase)."""
        others = [m for name, m in self.nets.items() if name != net]
        for module in others:
            module.requires_grad_(False)
        try:
            yield
        finally:
            for module in others:
                module.requires_grad_(True)

    def state_dict(self) -> dict:
        return {"history": {k: h.state_dict() for k, h in self.history.items()}}

    def load_state_dict(self, state: dict) -> None:
        for key, saved in state.get("history", {}).items():
            if key in self.history:
                self.history[key].load_state_dict(saved)


def _runs(due: Sequence[Phase]) -> list[tuple[str, list[Phase]]]:
    """Consecutive phases on the same network, grouped: each group is one update."""
    runs: list[tuple[str, list[Phase]]] = []
    for phase in due:
        if runs and runs[-1][0] == phase.net:
            runs[-1][1].append(phase)
        elif any(net == phase.net for net, _ in runs):  # a second optimizer step before scaler.update()
            raise TypeError(f"phase {phase.name} updates {phase.net!r} again in the same step after another "
                            "network's phase; order the step's phases so each network's due phases are adjacent")
        else:
            runs.append((phase.net, [phase]))
    return runs
