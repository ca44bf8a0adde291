"""Rebuild a trained generator from a checkpoint, ready to export (eval mode, SN folded).

Which graphs of it are exported is gantool.export.graphs' business.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torch.nn.utils import parametrize

from gantool.config import RunConfig, from_dict
from gantool.core.errors import UserError
from gantool.plugins import registry
from gantool.run import checkpoint, recorded_providers
from gantool.specs import ModelArgs, ModelSpec


@dataclass
class TrainedGenerator:
    module: nn.Module
    spec: ModelSpec
    cfg: RunConfig
    args: ModelArgs
    step: int
    weights: str  # ema | raw
    run_dir: Path | None

    @property
    def is_image(self) -> bool:
        return self.spec.data_kind == "image"

    @property
    def num_classes(self) -> int:
        """Classes the generator is conditioned on (0: it takes no labels input)."""
        return self.args.num_classes if self.spec.conditional else 0


def fold_spectral_norm(module: nn.Module) -> int:
    """Replace spectral-normalised weights by the plain weights they compute in eval mode."""
    folded = 0
    for sub in module.modules():
        if parametrize.is_parametrized(sub, "weight"):
            parametrize.remove_parametrizations(sub, "weight", leave_parametrized=True)
            folded += 1
        elif hasattr(sub, "weight_orig") and hasattr(sub, "weight_u"):  # torch.nn.utils.spectral_norm
            torch.nn.utils.remove_spectral_norm(sub)
            folded += 1
    return folded


def load(path: Path, weights: str | None = None) -> TrainedGenerator:
    ckpt_path = checkpoint.find(path)
    state = checkpoint.load(ckpt_path)
    cfg = from_dict(dict(state["config"]), f"checkpoint {ckpt_path}")
    spec = registry().get("model", cfg.model, recorded_providers(checkpoint.run_dir_of(ckpt_path)).get("model"))
    if "model_args" not in state:
        raise UserError(f"checkpoint {ckpt_path} predates export support (no model_args); resume it for one step to update it")
    args = ModelArgs(**state["model_args"])
    has_ema = state.get("ema") is not None
    chosen = weights or ("ema" if has_ema else "raw")
    if chosen == "ema" and not has_ema:
        raise UserError(f"checkpoint {ckpt_path} has no EMA weights (trained without --ema); use --weights raw")
    if chosen not in ("ema", "raw"):
        raise UserError(f"--weights must be ema or raw, not {chosen!r}")
    generator = spec.build(args).generator
    try:
        generator.load_state_dict(state["ema" if chosen == "ema" else "generator"])
    except RuntimeError as exc:
        raise UserError(f"checkpoint {ckpt_path} does not fit model {cfg.model!r} ({str(exc).splitlines()[0][:200]})") from None
    generator.eval().requires_grad_(False)
    fold_spectral_norm(generator)
    return TrainedGenerator(generator, spec, cfg, args, int(state["step"]), chosen, checkpoint.run_dir_of(ckpt_path))
