"""What the loop refuses about a model's step, loss or loggers, rather than training wrongly:
a loss outside the AdversarialLoss contract, a network updated twice in one step, a D phase
that hides what D judged while a gradient penalty is on, a logger whose package is missing."""

from __future__ import annotations

import contextlib
import dataclasses

import pytest
import torch
from torch import nn

from gantool import plugins
from gantool.config import RunConfig
from gantool.core.errors import UserError
from gantool.data.toy2d import load_ring
from gantool.protocols import Judged, Phase, PhaseLoss
from gantool.specs import DataRequest, LoggerSpec, LossSpec
from gantool.train.trainer import Trainer
from gantool.train.update import Regularizers, Update


def toy_config(**values) -> RunConfig:
    return RunConfig(**{"model": "toy", "data": "ring", "steps": 2, "batch_size": 16, "log_every": 2,
                        "sample_every": 0, "checkpoint_every": 0, "model_options": {"hidden": 8}, **values})


class DuckLoss:  # the old duck-typed contract: d_loss and g_loss(fake) on a plain object
    def __init__(self, options):
        pass

    def d_loss(self, real, fake):
        return fake.mean() - real.mean()

    def g_loss(self, fake):
        return -fake.mean()


def test_a_loss_that_is_not_an_adversarial_loss_is_refused_before_training():
    registry = plugins.registry()
    with pytest.raises(UserError, match=r"^loss 'duck' must subclass gantool.AdversarialLoss"):
        Trainer(toy_config(), registry.get("model", "toy"), LossSpec(name="duck", summary="s", factory=DuckLoss),
                load_ring(None, DataRequest()))


def test_a_missing_logger_package_is_refused_before_a_run_folder_exists():
    registry = plugins.registry()
    registry.add("logger", LoggerSpec(name="needy", summary="s", factory=lambda path, cfg: None,
                                      requires=("gantool_no_such_package",)), "tests")
    with pytest.raises(UserError, match="^--logger needy needs the gantool_no_such_package package"):
        Trainer(toy_config(logger="needy"), registry.get("model", "toy"), registry.get("loss", "bce"),
                load_ring(None, DataRequest()))


class ScriptedStep:
    """A step whose phases and D-phase output a test chooses."""

    unsupported: dict = {}

    def __init__(self, phases, judged: bool):
        self.phases, self.judged = phases, judged
        self.d, self.g = nn.Linear(2, 1), nn.Linear(2, 2)

    def begin(self, step, real, labels, due):
        self.real = real

    def loss(self, phase, step):
        if phase.net == "g":
            return PhaseLoss(-self.d(self.g(self.real)).mean())
        logits = self.d(self.real)
        judged = [Judged(self.d, self.real, self.g(self.real).detach())] if self.judged else []
        return PhaseLoss(logits.mean(), judged=judged)


def update_for(step: ScriptedStep, regularizers: Regularizers = Regularizers()) -> Update:
    nets = {"g": step.g, "d": step.d}
    optimizers = {k: torch.optim.SGD(v.parameters(), lr=0.1) for k, v in nets.items()}
    return Update(step, nets, optimizers, torch.amp.GradScaler("cpu", enabled=False), contextlib.nullcontext,
                  regularizers=regularizers)


def test_a_network_updated_twice_in_one_step_is_refused():
    step = ScriptedStep((Phase("D", "d"), Phase("G", "g"), Phase("D2", "d")), judged=True)
    with pytest.raises(TypeError, match="phase D2 updates 'd' again in the same step"):
        update_for(step)(0, torch.randn(4, 2), None)
    apart = ScriptedStep((Phase("D", "d"), Phase("G", "g"), Phase("D2", "d", every=2)), judged=True)
    update_for(apart)(0, torch.randn(4, 2), None)  # D2 not due on step 0: one update per network


def test_a_d_phase_without_judged_inputs_cannot_silently_skip_a_penalty():
    step = ScriptedStep((Phase("D", "d"), Phase("G", "g")), judged=False)
    update_for(step)(0, torch.randn(4, 2), None)  # no penalty asked: fine
    with pytest.raises(TypeError, match="returned no PhaseLoss.judged"):
        update_for(step, dataclasses.replace(Regularizers(), gp_lambda=10.0))(0, torch.randn(4, 2), None)
    judged = ScriptedStep((Phase("D", "d"), Phase("G", "g")), judged=True)
    out = update_for(judged, dataclasses.replace(Regularizers(), gp_lambda=10.0))(0, torch.randn(4, 2), None)
    assert "gp" in out

