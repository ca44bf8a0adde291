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
from gantool.plugins import Registry, split_name
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


def config_toml(cfg: RunConfig, registry: Registry) -> str:
    """The run's config.toml: the resolved config, versions, and which distribution provided
    the model, loss and dataset (so a run whose plugin is gone says which to install)."""
    import torch

    data: dict[str, Any] = cfg.to_dict()
    data["versions"] = {"gantool": __version__, "torch": torch.__version__, "python": platform.python_version(),
                        "config_hash": cfg.hash(), "model_from": registry.provider("model", cfg.model),
                        "loss_from": registry.provider("loss", cfg.loss),
                        "data_from": registry.provider("dataset", split_name(cfg.data)[0])}
    return tomlio.dumps(data)


def total_steps(cfg: RunConfig, steps_per_epoch: int) -> int:
    return cfg.steps if cfg.steps else cfg.epochs * steps_per_epoch


def new_run(registry: Registry, model: str, config_file: Path | None, flags: dict[str, Any], sets: dict[str, Any], reporter,
            dist: Dist = Dist()):
    from gantool.run import RunDir, SilentRunDir

    spec = registry.get("model", model)
    cfg = resolve(model, spec.defaults, lambda name: registry.get("loss", name).defaults, config_file, flags, sets,
                  lambda name: registry.recipe(model, name).settings)
    loss = registry.get("loss", cfg.loss)
    data = load_data(registry, cfg)
    from gantool.train.trainer import Trainer  # torch, only once the input has been checked

    # build everything before creating the run folder, so a bad input leaves nothing behind
    trainer = Trainer(cfg, spec, loss, data, reporter, dist)
    if not dist.is_main:
        return trainer, SilentRunDir(Path(cfg.project) / cfg.model / cfg.name), total_steps(cfg, trainer.batches.steps_per_epoch), False
    run = RunDir.create(cfg.project, cfg.model, cfg.name)
    run.write_config(config_toml(cfg, registry))
    reporter.message(f"run directory: {run.path}  (data: {data.description}; device {trainer.device}, "
                     f"{trainer.precision.name}{describe(dist)})")
    return trainer, run, total_steps(cfg, trainer.batches.steps_per_epoch), False


def describe(dist: Dist) -> str:
    return f"; {dist.world} processes, global batch split between them" if dist.enabled else ""


def resume_checkpoint(path: Path, start: Path | None) -> Path:
    """The checkpoint `--resume PATH [--from CHECKPOINT]` names: the run's last.pt, the file
    given, or CHECKPOINT (a path, or a name in the run's checkpoints/ folder)."""
    from gantool.run import checkpoint

    if start is not None:
        if not Path(path).is_dir():
            raise UserError("--from picks a checkpoint of a run: give the run directory to --resume")
        folder = Path(path) / "checkpoints"
        candidates = [folder / start, Path(path) / start, Path(start)]  # the run's own first
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            names = ", ".join(p.name for p in checkpoint.step_files(folder)) or "none"
            raise UserError(f"--from {start}: no such checkpoint (the run's checkpoints: last.pt, {names})")
        if found.resolve().parent != folder.resolve():
            raise UserError(f"--from {start} is not in {folder}; a run continues from its own checkpoints")
        return found
    found = checkpoint.find(path)
    if checkpoint.run_dir_of(found) is None:
        checkpoint.load(found)  # says what the file is if it is no checkpoint
        raise UserError(f"{found} is not in a run's checkpoints/ folder; give the run directory to --resume")
    return found


def _load_for_resume(ckpt_path: Path, run_path: Path) -> dict[str, Any]:
    from gantool.run import checkpoint

    try:
        return checkpoint.load(ckpt_path)
    except checkpoint.CorruptCheckpoint as exc:
        if not exc.intact:
            raise
        raise UserError(f"{exc}; continue from the newest with: gantool train --resume {run_path} "
                        f"--from {exc.intact[-1].name}") from None


def resume_run(registry: Registry, path: Path, flags: dict[str, Any], reporter, dist: Dist = Dist(),
               start: Path | None = None):
    from gantool.run import RunDir, SilentRunDir, checkpoint, recorded_providers
    from gantool.train.trainer import Trainer

    ckpt_path = resume_checkpoint(path, start)
    # the run's lock first (RunDir.open takes it): a second trainer is refused before it reads
    # or writes anything
    run = RunDir.open(ckpt_path.parent.parent) if dist.is_main else SilentRunDir(ckpt_path.parent.parent)
    state = _load_for_resume(ckpt_path, run.path)  # every process reads it: under --nproc the run folder is shared
    saved = dict(state["config"])
    for key in RESUMABLE_KEYS:
        if key in flags:
            saved[key] = flags[key]
    if "epochs" in flags and "steps" not in flags:
        saved["steps"] = 0
    cfg = from_dict(saved, f"checkpoint {ckpt_path}")
    recorded = recorded_providers(run.path)  # a plugin that is gone is named, not guessed at
    spec = registry.get("model", cfg.model, recorded.get("model"))
    loss = registry.get("loss", cfg.loss, recorded.get("loss"))
    registry.get("dataset", split_name(cfg.data)[0], recorded.get("dataset"))
    trainer = Trainer(cfg, spec, loss, load_data(registry, cfg), reporter, dist)
    trainer.load_state_dict(state)
    total = total_steps(cfg, trainer.batches.steps_per_epoch)
    if total <= trainer.step:
        raise UserError(f"{run.path} is already at step {trainer.step} of {total}; pass a larger --steps or --epochs")
    if not dist.is_main:
        return trainer, run, total, True
    dropped = run.trim_metrics(trainer.step)
    run.repair_events()
    run.remove_temp_files()
    aside = checkpoint.set_aside_later(run.checkpoints, trainer.step)
    run.write_config(config_toml(cfg, registry))
    trainer.last_checkpoint = str(ckpt_path.relative_to(run.path))
    reporter.message(f"resuming {run.path} at step {trainer.step}" + (f" ({dropped} later metric lines dropped)" if dropped else ""))
    if aside is not None:
        reporter.message(f"the later checkpoints of the abandoned history are in {aside}")
    return trainer, run, total, True
