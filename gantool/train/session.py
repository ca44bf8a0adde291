"""Turning a command line into a Trainer: new runs and resumed runs."""

from __future__ import annotations

import platform
from pathlib import Path
from typing import Any

from gantool import __version__
from gantool.config import RESUMABLE_KEYS, RunConfig, from_dict, resolve
from gantool.core import tomlio
from gantool.core.errors import UserError
from gantool.core.typed_options import check_known
from gantool.plugins import Registry
from gantool.specs import DataArrays, DataRequest
from gantool.train.distributed import Dist


def load_data(registry: Registry, cfg: RunConfig, split: str = "train") -> DataArrays:
    """The run's dataset; misspelt options and a wrong data kind are refused before a
    possibly long download (Registry.open_dataset)."""
    model = registry.get("model", cfg.model)
    if model.options is not None:
        check_known(cfg.model_options, model.options, owner=f"model {model.name!r}", scope="model")
    request = DataRequest(image_size=cfg.image_size, channels=cfg.channels, split=split, skip_bad=cfg.skip_bad,
                          options=dict(cfg.data_options))
    data = registry.open_dataset(cfg.data, request, model=model)
    if data.skipped:
        print(f"skipped {data.skipped} unreadable image(s)")
    return data


def config_toml(cfg: RunConfig) -> str:
    import torch

    data: dict[str, Any] = cfg.to_dict()
    data["versions"] = {"gantool": __version__, "torch": torch.__version__, "python": platform.python_version(),
                        "config_hash": cfg.hash()}
    return tomlio.dumps(data)


def total_steps(cfg: RunConfig, steps_per_epoch: int) -> int:
    return cfg.steps if cfg.steps else cfg.epochs * steps_per_epoch


def new_run(registry: Registry, model: str, config_file: Path | None, flags: dict[str, Any], sets: dict[str, Any], reporter,
            dist: Dist = Dist()):
    from gantool.run import RunDir, SilentRunDir
    from gantool.train.trainer import Trainer

    spec = registry.get("model", model)
    cfg = resolve(model, spec.defaults, lambda name: registry.get("loss", name).defaults, config_file, flags, sets)
    loss = registry.get("loss", cfg.loss)
    data = load_data(registry, cfg)
    # build everything before creating the run folder, so a bad input leaves nothing behind
    trainer = Trainer(cfg, spec, loss, data, reporter, dist)
    if not dist.is_main:
        return trainer, SilentRunDir(Path(cfg.project) / cfg.model / cfg.name), total_steps(cfg, trainer.batches.steps_per_epoch), False
    run = RunDir.create(cfg.project, cfg.model, cfg.name)
    run.write_config(config_toml(cfg))
    reporter.message(f"run directory: {run.path}  (data: {data.description}; device {trainer.device}, "
                     f"{trainer.precision.name}{describe(dist)})")
    return trainer, run, total_steps(cfg, trainer.batches.steps_per_epoch), False


def describe(dist: Dist) -> str:
    return f"; {dist.world} processes, global batch split between them" if dist.enabled else ""


def resume_run(registry: Registry, path: Path, flags: dict[str, Any], reporter, dist: Dist = Dist()):
    from gantool.run import RunDir, SilentRunDir, checkpoint
    from gantool.train.trainer import Trainer

    ckpt_path = checkpoint.find(path)
    state = checkpoint.load(ckpt_path)  # every process reads it: under --nproc the run folder is shared
    run = RunDir.open(ckpt_path.parent.parent) if dist.is_main else SilentRunDir(ckpt_path.parent.parent)
    if dist.is_main and (pid := run.live_pid()) is not None:
        raise UserError(f"{run.path} is still being trained by process {pid}; stop it first (echo stop >> {run.path}/control)")
    saved = dict(state["config"])
    for key in RESUMABLE_KEYS:
        if key in flags:
            saved[key] = flags[key]
    if "epochs" in flags and "steps" not in flags:
        saved["steps"] = 0
    cfg = from_dict(saved, f"checkpoint {ckpt_path}")
    spec = registry.get("model", cfg.model)
    trainer = Trainer(cfg, spec, registry.get("loss", cfg.loss), load_data(registry, cfg), reporter, dist)
    trainer.load_state_dict(state)
    total = total_steps(cfg, trainer.batches.steps_per_epoch)
    if total <= trainer.step:
        raise UserError(f"{run.path} is already at step {trainer.step} of {total}; pass a larger --steps or --epochs")
    if not dist.is_main:
        return trainer, run, total, True
    dropped = run.trim_metrics(trainer.step)
    run.repair_events()
    run.remove_temp_files()
    run.write_config(config_toml(cfg))
    trainer.last_checkpoint = str(ckpt_path.relative_to(run.path))
    reporter.message(f"resuming {run.path} at step {trainer.step}" + (f" ({dropped} later metric lines dropped)" if dropped else ""))
    return trainer, run, total, True
