"""Building the training parts: config + specs + data -> modules, optimizers, EMA, batches,
step and the update that applies it. The Trainer and `gantool bench` both start here.

Order matters and is kept in one place: the seed before any weight exists; D rebuilt for
a packed / minibatch-stddev input before it moves to the device; SyncBatchNorm before
the DDP wrappers; channels_last before the optimizers see the parameters; the EMA copy
before compilation (the copy stays an eager module). Every refusal (a flag the model's
step cannot honour, a wrong data kind) happens here, before a run folder exists.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from gantool.config import RunConfig, flag_of
from gantool.core.errors import UserError
from gantool.protocols import AdversarialLoss, TrainingStep, check_step
from gantool.specs import DataArrays, GanModules, LossSpec, ModelArgs, ModelSpec
from gantool.train import fast_path
from gantool.train.batches import Batches
from gantool.train.device import Precision, pick_device, pick_precision
from gantool.train.distributed import Dist, wrap
from gantool.train.ema import EMA
from gantool.train.stabilizers import InputView, Stabilizers, WithMinibatchStd, discriminator_args
from gantool.train.step import AdversarialStep, StepContext
from gantool.train.update import Regularizers, Update

# a flag value that differs from these means the user asked for the stabilizer
_OFF = {"instance_noise": 0.0, "diffaugment": "", "pack": 1, "minibatch_std": False, "grad_clip": 0.0,
        "historical_averaging": 0.0, "clip_weights": 0.0, "gp_lambda": 0.0, "r1_gamma": 0.0, "dragan_lambda": 0.0,
        "label_smoothing": 0.0, "ema": False, "lr_d": 0.0, "loss": "bce", "n_critic": 1}


@dataclass
class TrainingParts:
    """Everything the loop trains with; `gantool bench` times `update` on `batches` directly."""

    cfg: RunConfig
    model: ModelSpec
    device: torch.device
    precision: Precision
    model_args: ModelArgs
    G: torch.nn.Module
    D: torch.nn.Module
    optimizers: dict[str, torch.optim.Optimizer]
    scaler: torch.amp.GradScaler
    ema: EMA | None
    batches: Batches
    ctx: StepContext
    step: TrainingStep
    update: Update


def build(cfg: RunConfig, model: ModelSpec, loss: LossSpec, data: DataArrays, dist: Dist = Dist()) -> TrainingParts:
    """All training parts, from the seed on; raises UserError before anything is written."""
    _check_data(cfg, model, data, dist)
    _check_supported(cfg, model, model.training.unsupported)  # before D is wrapped for any of them
    device = dist.device(pick_device(cfg.device))
    dist.init(device)
    precision = pick_precision(cfg.precision, device)
    torch.manual_seed(cfg.seed)
    args = model_args(cfg, model, data)
    stab = Stabilizers.from_config(cfg)
    G, D, channels_last = _modules(cfg, model, args, stab, dist, device)
    optimizers = {"g": optimizer(cfg, G, cfg.lr, device), "d": optimizer(cfg, D, cfg.lr_discriminator, device)}
    ema = EMA(G, cfg.ema_decay, cfg.ema_rampup, cfg.batch_size) if cfg.ema else None
    if cfg.compile:  # after the EMA copy, which stays an eager module
        fast_path.compile_modules(G, D, mode=cfg.compile_mode, backend=cfg.compile_backend)
    scaler = precision.scaler()
    batches = Batches(data, cfg.batch_size, cfg.seed, device, dist.shard, channels_last, cfg.data_options)
    ctx = StepContext(G, D, _loss(loss, cfg), args.latent_dim, device, InputView(stab, shard=dist.shard),
                      n_critic=cfg.n_critic,
                      stabilizers=stab, conditional=model.conditional, num_classes=data.num_classes,
                      shard=dist.shard, batches=batches, generator_ddp=wrap(G, dist, device),
                      discriminator_ddp=wrap(D, dist, device))
    step = model.training.make_step(ctx) if model.training.make_step else AdversarialStep(ctx)
    check_step(step, model.name)
    _check_supported(cfg, model, getattr(step, "unsupported", {}))
    regularizers = Regularizers(cfg.clip_weights, cfg.gp_lambda, cfg.r1_gamma, cfg.r1_every, cfg.dragan_lambda)
    update = Update(step, {"g": G, "d": D}, optimizers, scaler, precision.autocast, stab, regularizers, ema, dist.shard)
    return TrainingParts(cfg, model, device, precision, args, G, D, optimizers, scaler, ema, batches, ctx, step, update)


def _loss(spec: LossSpec, cfg: RunConfig) -> AdversarialLoss:
    loss = spec.factory({"label_smoothing": cfg.label_smoothing, **cfg.loss_options})
    if not isinstance(loss, AdversarialLoss):  # the G term's signature and capabilities come from the base
        raise UserError(f"loss {spec.name!r} must subclass gantool.AdversarialLoss (g_loss(fake, real=None))")
    return loss


def model_args(cfg: RunConfig, model: ModelSpec, data: DataArrays) -> ModelArgs:
    args = ModelArgs(latent_dim=cfg.latent_dim, image_size=cfg.image_size, channels=cfg.channels,
                     num_classes=data.num_classes, data_dim=data.x.shape[1] if data.kind != "image" else 0,
                     options=dict(cfg.model_options))
    if model.training.prepare is not None:  # e.g. a tabular model fits its column transforms
        args = model.training.prepare(args, data)
    return args


def optimizer(cfg: RunConfig, module: torch.nn.Module, lr: float, device: torch.device) -> torch.optim.Optimizer:
    if cfg.optimizer == "rmsprop":
        return torch.optim.RMSprop(module.parameters(), lr=lr, foreach=True)
    fast = {"fused": True} if device.type == "cuda" else {"foreach": True}
    return torch.optim.Adam(module.parameters(), lr=lr, betas=(cfg.beta1, cfg.beta2), **fast)


def _check_data(cfg: RunConfig, model: ModelSpec, data: DataArrays, dist: Dist) -> None:
    if data.kind != model.data_kind:
        raise UserError(f"model {model.name!r} trains on {model.data_kind} data but {cfg.data!r} is {data.kind} data")
    if dist.enabled and model.training.make_step and not model.training.distributed:
        raise UserError(f"model {model.name!r} has its own training step, which does not support --nproc")
    if model.conditional and not data.num_classes:
        raise UserError(f"model {model.name!r} is conditional and needs a labelled dataset; {cfg.data!r} has no labels")
    if cfg.diffaugment and model.data_kind != "image":
        raise UserError(f"--diffaugment augments images; model {model.name!r} trains on {model.data_kind} data")
    if cfg.pack > 1 and model.conditional:
        raise UserError(f"--pack does not combine with conditional model {model.name!r}")


def _modules(cfg: RunConfig, model: ModelSpec, args: ModelArgs, stab: Stabilizers, dist: Dist,
             device: torch.device) -> tuple[torch.nn.Module, torch.nn.Module, bool]:
    modules = model.build(args)
    d_args = discriminator_args(args, model.data_kind, stab)
    if d_args is not args:  # packing / minibatch stddev widen D's input: build D for that shape
        modules = GanModules(modules.generator, model.build(d_args).discriminator)
    if stab.minibatch_std:
        modules = GanModules(modules.generator, WithMinibatchStd(modules.discriminator))
    if cfg.sync_bn and dist.enabled:
        if device.type != "cuda":
            raise UserError("--sync-bn needs one GPU per process (PyTorch's SyncBatchNorm is GPU-only)")
        sync = torch.nn.SyncBatchNorm.convert_sync_batchnorm
        modules = GanModules(sync(modules.generator), sync(modules.discriminator))
    G, D = modules.generator.to(device), modules.discriminator.to(device)
    fast_path.configure_backends(device)
    channels_last = fast_path.use_channels_last(cfg.channels_last, device, model.data_kind)
    if channels_last:
        fast_path.to_channels_last(G, D)
    return G, D, channels_last


def _check_supported(cfg: RunConfig, model: ModelSpec, unsupported: dict[str, str]) -> None:
    """A flag the model (or its step) truly cannot honour is refused with one line, before training."""
    for key, reason in unsupported.items():
        if key not in _OFF:  # a plugin's typo must not silently allow the flag
            raise TypeError(f"model {model.name!r}: cannot refuse {key!r}; refusable keys: {', '.join(sorted(_OFF))}")
        if getattr(cfg, key) != _OFF[key]:
            raise UserError(f"model {model.name!r} cannot use {flag_of(key)} ({reason})")
