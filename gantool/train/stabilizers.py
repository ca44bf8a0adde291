"""Remedies for unstable training and mode collapse that combine with any model.

Some act on what the discriminator sees (instance noise, DiffAugment, PacGAN packing,
minibatch standard deviation), some on the updates (gradient-norm clipping, historical
averaging). Label smoothing lives in the losses, TTUR is `lr_d`, EMA is the Trainer's.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from torch import nn

from gantool.specs import ModelArgs
from gantool.train.augment import DiffAugment
from gantool.train.distributed import SINGLE, Shard


@dataclass(frozen=True)
class Stabilizers:
    instance_noise: float = 0.0  # sigma of Gaussian noise on D's inputs at step 0 ...
    instance_noise_steps: int = 0  # ... annealed linearly to 0 by this step (0: the run's end)
    diffaugment: str = ""  # comma-separated: color, translation, cutout
    pack: int = 1  # PacGAN: D judges `pack` samples at once
    minibatch_std: bool = False
    grad_clip: float = 0.0  # max global gradient norm per network
    historical_averaging: float = 0.0  # weight of |theta - mean of past thetas|^2

    @classmethod
    def from_config(cls, cfg) -> Stabilizers:
        return cls(**{f.name: getattr(cfg, f.name) for f in dataclasses.fields(cls)})


def discriminator_args(args: ModelArgs, kind: str, stab: Stabilizers) -> ModelArgs:
    """The shape D's input has once packed (and widened by the minibatch-stddev feature)."""
    extra = 1 if stab.minibatch_std else 0
    if stab.pack == 1 and not extra:
        return args
    if args.data_dim:  # flat samples [N, D] (vectors, rows): widen the features
        return dataclasses.replace(args, data_dim=args.data_dim * stab.pack + extra)
    return dataclasses.replace(args, channels=args.channels * stab.pack + extra)


def pack(x: torch.Tensor, m: int) -> torch.Tensor:
    """[B, C, ...] -> [B / m, m * C, ...]: m consecutive samples become one, channel-stacked."""
    if m == 1:
        return x
    return x.reshape(x.shape[0] // m, m * x.shape[1], *x.shape[2:])


class MinibatchStdDev(nn.Module):
    """Appends the batch's mean per-feature standard deviation as one constant feature
    (Karras et al. 2018): a D that sees how varied the batch is can punish collapse."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        std = x.float().std(dim=0, unbiased=False).mean().to(x.dtype)
        feature = std.expand(x.shape[0], 1, *x.shape[2:])
        return torch.cat([x, feature], dim=1)


class WithMinibatchStd(nn.Module):
    def __init__(self, discriminator: nn.Module):
        super().__init__()
        self.stddev = MinibatchStdDev()
        self.discriminator = discriminator

    def forward(self, x: torch.Tensor, *rest):
        return self.discriminator(self.stddev(x), *rest)


class InputView:
    """What D is shown: augmented, noised and packed samples, in that order."""

    def __init__(self, stab: Stabilizers, total_steps: int = 0, shard: Shard = SINGLE):
        self.stab = stab
        self.total_steps = total_steps
        self.shard = shard
        self.augment = DiffAugment(stab.diffaugment, shard) if stab.diffaugment else None

    def noise_sigma(self, step: int) -> float:
        horizon = self.stab.instance_noise_steps or self.total_steps
        if not self.stab.instance_noise or horizon <= 0:
            return 0.0
        return self.stab.instance_noise * max(0.0, 1.0 - step / horizon)

    def __call__(self, x: torch.Tensor, step: int) -> torch.Tensor:
        if self.augment is not None:
            x = self.augment(x)
        sigma = self.noise_sigma(step)
        if sigma > 0:
            x = x + sigma * self.shard.randn_like(x)
        return pack(x, self.stab.pack)


class HistoricalAverage:
    """Salimans et al. 2016: pull each parameter towards the mean of its past values.

    The penalty lambda |theta - mean|^2 is added as its gradient, 2 lambda (theta - mean),
    after backward; the mean is a running average updated after each optimizer step.
    """

    def __init__(self, module: nn.Module, weight: float):
        self.weight = weight
        self.params = [p for p in module.parameters() if p.requires_grad]
        self.mean = [p.detach().clone() for p in self.params]
        self.count = 1

    def add_gradient(self) -> None:
        pairs = [(p, m) for p, m in zip(self.params, self.mean) if p.grad is not None]
        if pairs:
            grads = [p.grad for p, _ in pairs]
            torch._foreach_add_(grads, torch._foreach_sub([p.detach() for p, _ in pairs], [m for _, m in pairs]),
                                alpha=2.0 * self.weight)

    @torch.no_grad()
    def update(self) -> None:
        self.count += 1
        torch._foreach_lerp_(self.mean, [p.detach() for p in self.params], 1.0 / self.count)

    def state_dict(self) -> dict:
        return {"mean": [m.clone() for m in self.mean], "count": self.count}

    def load_state_dict(self, state: dict) -> None:
        for mine, saved in zip(self.mean, state["mean"]):
            mine.copy_(saved)
        self.count = int(state["count"])
