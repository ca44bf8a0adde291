"""Training state <-> checkpoint: the one place that defines what a checkpoint holds.

A checkpoint is a plain dict of tensors and numbers (loadable with
`torch.load(weights_only=True)`): the config, the model's arguments, G, D, the EMA copy,
both optimizers, the loss scaler, RNG states, the batch order and position, the fixed
latents of the sample grids, the step's own state (an image pool) and the update's
(historical averages). Resume restores every one of them, which makes it exact.
Checkpoints of gantool 0.1 (historical averages under `step_state`) still load.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import torch

from gantool import __version__
from gantool.core.errors import UserError
from gantool.train.build import TrainingParts


@dataclass
class Progress:
    """Where training stands, beside the weights."""

    step: int = 0
    elapsed: float = 0.0  # seconds of training, pauses excluded
    fixed_z: torch.Tensor | None = None  # the latents every sample grid is drawn from
    rng: dict[str, torch.Tensor] = field(default_factory=dict)  # the stream fit() continues from


def rng_snapshot(device: torch.device) -> dict[str, torch.Tensor]:
    rng = {"torch": torch.get_rng_state()}
    if device.type == "cuda":
        rng["cuda"] = torch.cuda.get_rng_state(device)
    return rng


def rng_install(rng: dict[str, torch.Tensor], device: torch.device) -> None:
    torch.set_rng_state(rng["torch"])
    if "cuda" in rng and device.type == "cuda":
        torch.cuda.set_rng_state(rng["cuda"], device)


def state_dict(parts: TrainingParts, progress: Progress) -> dict[str, Any]:
    step_state = parts.step.state_dict() if hasattr(parts.step, "state_dict") else None
    return {
        "gantool_version": __version__, "torch_version": str(torch.__version__),
        "step": progress.step, "elapsed": progress.elapsed, "config": parts.cfg.to_dict(),
        "model_args": dataclasses.asdict(parts.model_args),
        "generator": parts.G.state_dict(), "discriminator": parts.D.state_dict(),
        "ema": parts.ema.model.state_dict() if parts.ema else None,
        "ema_state": parts.ema.state_dict() if parts.ema else None,
        "opt_g": parts.optimizers["g"].state_dict(), "opt_d": parts.optimizers["d"].state_dict(),
        "scaler": parts.scaler.state_dict(), "rng": rng_snapshot(parts.device), "batches": parts.batches.state_dict(),
        "fixed_z": progress.fixed_z, "step_state": step_state, "update_state": parts.update.state_dict(),
    }


def load_state_dict(parts: TrainingParts, state: dict[str, Any]) -> Progress:
    """Restore `parts` from a checkpoint; a checkpoint of another model is one clear line."""
    try:
        parts.G.load_state_dict(state["generator"])
        parts.D.load_state_dict(state["discriminator"])
        if parts.ema and state.get("ema") is not None:
            parts.ema.model.load_state_dict(state["ema"])
        if parts.ema and state.get("ema_state"):
            parts.ema.load_state_dict(state["ema_state"])
        parts.optimizers["g"].load_state_dict(state["opt_g"])
        parts.optimizers["d"].load_state_dict(state["opt_d"])
        if state.get("scaler"):
            parts.scaler.load_state_dict(state["scaler"])
        parts.batches.load_state_dict(state["batches"])
        _load_step_states(parts, state)
    except (KeyError, RuntimeError, ValueError) as exc:
        raise UserError(f"checkpoint does not fit this model ({str(exc).splitlines()[0][:200]})") from None
    return Progress(step=int(state["step"]), elapsed=float(state.get("elapsed", 0.0)), fixed_z=state["fixed_z"],
                    rng=dict(state["rng"]))


def _load_step_states(parts: TrainingParts, state: dict[str, Any]) -> None:
    step_state = state.get("step_state") or {}
    update_state = state.get("update_state")
    if update_state is None and "history" in step_state:  # gantool 0.1 kept the averages in the step
        update_state = {"history": step_state["history"]}
    if update_state:
        parts.update.load_state_dict(update_state)
    if step_state and hasattr(parts.step, "load_state_dict"):
        parts.step.load_state_dict(step_state)
