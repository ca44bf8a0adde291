"""The typed run config and how it is resolved.

Layers, later wins: gantool defaults <- the model's defaults <- the loss's defaults <-
`--config FILE.toml` <- CLI flags <- `--set key=value`. The resolved config is written to
the run's config.toml and is all a resumed run needs.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gantool.core import tomlio
from gantool.core.errors import UserError

OPTION_TABLES = ("model_options", "loss_options", "data_options")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
OPTIMIZERS = ("adam", "rmsprop")
LR_DECAYS = ("", "linear")
CHANNELS_LAST = ("auto", "on", "off")  # read by gantool/train/fast_path.use_channels_last
COMPILE_MODES = ("", "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")


@dataclass
class RunConfig:
    model: str
    loss: str = "bce"
    data: str = "mnist"
    seed: int = 0
    device: str = "auto"
    precision: str = "auto"
    project: str = "runs"
    name: str = "exp"
    # length: `steps` wins when set; otherwise `epochs` passes over the data
    epochs: int = 1
    steps: int = 0
    batch_size: int = 64
    # optimisation (Adam, or RMSprop for weight-clipped WGAN); lr_d = 0 means "same as lr"
    optimizer: str = "adam"
    lr: float = 2e-4
    lr_d: float = 0.0
    lr_decay: str = ""  # "linear": both learning rates fall linearly to 0 by the last step
    beta1: float = 0.5
    beta2: float = 0.999
    n_critic: int = 1
    ema: bool = False
    ema_decay: float = 0.999
    sync_bn: bool = False  # with --nproc: BatchNorm statistics over the global batch
    # the fast path (gantool/train/fast_path.py)
    channels_last: str = "auto"  # auto (image models on CUDA), on, off
    compile: bool = False  # torch.compile G and D
    compile_mode: str = ""  # torch.compile mode, e.g. reduce-overhead (CUDA graphs), max-autotune
    compile_backend: str = "inductor"
    label_smoothing: float = 0.0
    # regularizers of D, usable with any loss (0 disables); loss presets set them
    clip_weights: float = 0.0  # WGAN: clamp D's weights to [-c, c] after each D step
    gp_lambda: float = 0.0  # WGAN-GP: (|grad D(x_hat)| - 1)^2 on real/fake interpolates
    r1_gamma: float = 0.0  # R1: gamma/2 |grad D(x_real)|^2, applied lazily
    r1_every: int = 16
    dragan_lambda: float = 0.0  # DRAGAN: gradient penalty around perturbed real data
    # stabilizers, usable with any model (gantool/train/stabilizers.py; 0/off disables)
    instance_noise: float = 0.0  # sigma of noise on D's inputs, annealed linearly to 0 ...
    instance_noise_steps: int = 0  # ... by this step (0: the end of the run)
    diffaugment: str = ""  # "color,translation,cutout" or a subset
    pack: int = 1  # PacGAN: D judges this many samples jointly
    minibatch_std: bool = False  # D also sees the batch's standard deviation
    grad_clip: float = 0.0  # clip each network's gradient norm to this
    historical_averaging: float = 0.0  # penalty weight pulling weights to their running mean
    # problem shape
    latent_dim: int = 100
    image_size: int = 28
    channels: int = 1
    # bookkeeping cadence, in steps (0 disables periodic samples/checkpoints)
    log_every: int = 50
    sample_every: int = 500
    checkpoint_every: int = 2000
    sample_count: int = 64
    # scoring during training (0 disables): metrics on `eval_n` images against the training data
    eval_every: int = 0
    eval_metrics: str = "fid"
    eval_features: str = "lenet-mnist"
    eval_n: int = 2000
    skip_bad: bool = False
    model_options: dict[str, Any] = field(default_factory=dict)
    loss_options: dict[str, Any] = field(default_factory=dict)
    data_options: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def hash(self) -> str:
        """Short stable hash of what changes the trained model (not where it is saved)."""
        payload = {k: v for k, v in self.to_dict().items() if k not in ("project", "name", "device")}
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]

    @property
    def lr_discriminator(self) -> float:
        return self.lr_d or self.lr


FIELDS = {f.name: f for f in dataclasses.fields(RunConfig)}


def _coerce(key: str, value: Any, source: str) -> Any:
    """Check a value against the field's type; ints are accepted where floats are expected."""
    if key in OPTION_TABLES:
        if not isinstance(value, dict):
            raise UserError(f"{source}: [{key}] must be a table")
        return dict(value)
    kind = FIELDS[key].type
    ok = {
        "str": isinstance(value, str),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
    }.get(kind, True)
    if not ok:
        wanted = {"str": "text", "int": "a whole number", "float": "a number", "bool": "true or false"}.get(kind, kind)
        raise UserError(f"{source}: {key} must be {wanted}, got {value!r}")
    return float(value) if kind == "float" else value


def apply_layer(values: dict[str, Any], layer: dict[str, Any], source: str) -> None:
    """Merge one layer into `values`, rejecting unknown keys with a suggestion."""
    for key, value in layer.items():
        if key == "versions":  # written by gantool into config.toml; informational only
            continue
        if "." in key:  # model.ngf=32 style keys from --set
            table, _, sub = key.partition(".")
            table_key = f"{table}_options"
            if table_key not in OPTION_TABLES:
                raise UserError(f"{source}: unknown option table {table!r}; use model., loss. or data.")
            values.setdefault(table_key, {})[sub] = value
            continue
        if key not in FIELDS:
            close = difflib.get_close_matches(key, list(FIELDS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise UserError(f"{source}: unknown config key {key!r}{hint}")
        value = _coerce(key, value, source)
        if key in OPTION_TABLES:
            values.setdefault(key, {}).update(value)
        else:
            values[key] = value


def parse_sets(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--set expects key=value, got {pair!r}")
        out[key.strip()] = tomlio.parse_value(text.strip())
    return out


def validate(cfg: RunConfig) -> RunConfig:
    checks = [
        (cfg.batch_size > 0, "batch_size must be positive"),
        (cfg.epochs >= 0 and cfg.steps >= 0, "epochs and steps cannot be negative"),
        (cfg.epochs > 0 or cfg.steps > 0, "set --epochs or --steps to a positive number"),
        (cfg.lr > 0 and cfg.lr_d >= 0, "learning rates must be positive"),
        (cfg.lr_decay in LR_DECAYS, f"lr_decay must be one of: {', '.join(repr(d) for d in LR_DECAYS)}"),
        (cfg.n_critic >= 1, "n_critic must be at least 1"),
        (0.0 <= cfg.label_smoothing < 0.5, "label_smoothing must be in [0, 0.5)"),
        (0.0 < cfg.ema_decay < 1.0, "ema_decay must be in (0, 1)"),
        (cfg.precision in PRECISIONS, f"precision must be one of {', '.join(PRECISIONS)}"),
        (cfg.channels_last in CHANNELS_LAST, f"channels_last must be one of {', '.join(CHANNELS_LAST)}"),
        (cfg.compile_mode in COMPILE_MODES, f"compile_mode must be one of {', '.join(m or repr(m) for m in COMPILE_MODES)}"),
        (cfg.latent_dim > 0 and cfg.image_size > 0, "latent_dim and image_size must be positive"),
        (cfg.channels in (1, 3), "channels must be 1 or 3"),
        (cfg.log_every > 0, "log_every must be positive"),
        (min(cfg.sample_every, cfg.checkpoint_every) >= 0, "sample_every/checkpoint_every cannot be negative"),
        (0 < cfg.sample_count <= 1024, "sample_count must be in 1..1024"),
        (cfg.optimizer in OPTIMIZERS, f"optimizer must be one of {', '.join(OPTIMIZERS)}"),
        (min(cfg.clip_weights, cfg.gp_lambda, cfg.r1_gamma, cfg.dragan_lambda) >= 0, "penalty weights cannot be negative"),
        (cfg.r1_every >= 1, "r1_every must be at least 1"),
        (cfg.eval_every >= 0 and cfg.eval_n >= 10, "eval_every cannot be negative and eval_n must be at least 10"),
        (cfg.pack >= 1 and cfg.batch_size % cfg.pack == 0, "pack must be at least 1 and divide batch_size"),
        (min(cfg.instance_noise, cfg.grad_clip, cfg.historical_averaging) >= 0 and cfg.instance_noise_steps >= 0,
         "instance_noise, instance_noise_steps, grad_clip and historical_averaging cannot be negative"),
    ]
    for ok, message in checks:
        if not ok:
            raise UserError(f"invalid config: {message}")
    return cfg


def resolve(
    model: str,
    model_defaults: dict[str, Any],
    loss_defaults: Any,
    file: Path | None,
    flags: dict[str, Any],
    sets: dict[str, Any],
) -> RunConfig:
    """Build the config from its layers. `loss_defaults(name)` returns a loss's defaults.

    The loss is known only once the other layers are read, so they are merged first to
    find it, then the loss's defaults are slotted in just above the model's.
    """
    file_layer = tomlio.load(file) if file else {}
    upper = [(file_layer, f"config file {file}"), (flags, "command line"), (sets, "--set")]

    values: dict[str, Any] = {"model": model}
    apply_layer(values, model_defaults, f"defaults of model {model!r}")
    probe = dict(values)
    for layer, source in upper:
        apply_layer(probe, layer, source)
    loss_name = probe.get("loss", FIELDS["loss"].default)
    apply_layer(values, loss_defaults(loss_name), f"defaults of loss {loss_name!r}")
    for layer, source in upper:
        apply_layer(values, layer, source)
    if values.get("model", model) != model:
        raise UserError(f"config says model {values['model']!r} but the command trains {model!r}")
    # `--epochs` on the command line means "train by epochs" even if a lower layer set steps
    if "epochs" in flags and "steps" not in flags and "steps" not in sets:
        values["steps"] = 0
    return validate(RunConfig(**values))


def from_dict(data: dict[str, Any], source: str) -> RunConfig:
    """A RunConfig from a saved config (config.toml or a checkpoint)."""
    values: dict[str, Any] = {}
    if "model" not in data:
        raise UserError(f"{source} has no model name")
    apply_layer(values, data, source)
    return validate(RunConfig(**values))
