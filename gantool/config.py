"""The typed run config and how it is resolved.

Layers, later wins: gantool defaults <- the model's defaults <- the loss's defaults <-
`--config FILE.toml` <- CLI flags <- `--set key=value`. The resolved config is written to
the run's config.toml and is all a resumed run needs.

Each RunConfig field declares, once and beside it, its group, its `gantool train` flag (if it
has one) and its help (`setting(...)`, read back through SETTINGS); gantool/cli/train.py builds
its options from them. The dataclass stays flat and its field names, types, defaults and
order are the config.toml/checkpoint format: old run directories must keep loading.
RESUMABLE_KEYS is the one list of keys `--resume` may change.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
from dataclasses import MISSING, dataclass, field
from pathlib import Path
from typing import Any, Callable

from gantool.core import tomlio
from gantool.core.errors import UserError

OPTION_TABLES = ("model_options", "loss_options", "data_options")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
OPTIMIZERS = ("adam", "rmsprop")
LR_DECAYS = ("", "linear")
CHANNELS_LAST = ("auto", "on", "off")  # read by gantool/train/fast_path.use_channels_last
COMPILE_MODES = ("", "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")


# Every field is declared once, with its group (a panel of `gantool train --help`), its
# `gantool train` flag when it has one, and its help; cli/train.py builds the options from this.
GROUPS = {  # group -> title of its help panel, in the order the panels are shown
    "run": "Run",
    "training": "Length and batch",
    "optimizer": "Optimizer",
    "regularizers": "Regularizers (any loss)",
    "stabilizers": "Stabilizers",
    "ema": "EMA",
    "fast": "Speed",
    "shape": "Problem shape",
    "cadence": "Logging and checkpoints",
    "evaluation": "Evaluation during training",
    "data": "Data",
    "distributed": "Multi-process (torchrun)",
}


@dataclass(frozen=True)
class Setting:
    """What a RunConfig field is for: `help` documents it (and its flag); a field without a
    `flag` is set by `--config` or `--set` only. Booleans get `--x/--no-x` from `flag="--x"`."""

    group: str
    help: str
    flag: str | None = None
    metavar: str | None = None


def setting(default: Any, group: str, *, help: str, flag: str | None = None, metavar: str | None = None,
            factory: Any = None) -> Any:
    """A dataclass field carrying its Setting; `factory` instead of `default` for mutable ones."""
    if group not in GROUPS:
        raise ValueError(f"unknown config group {group!r}")
    if flag is not None and (not flag.startswith("--") or "/" in flag):
        raise ValueError(f"config flag {flag!r}: one --name; booleans get --no-name themselves")
    metadata = {"setting": Setting(group, help, flag, metavar)}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass
class RunConfig:
    """The whole run: flat (cfg.batch_size), written to config.toml and checkpoints as is."""

    model: str = setting(MISSING, "run", help="Model to train (see `gantool plugins`), e.g. dcgan, gan, toy.")
    loss: str = setting("bce", "run", flag="--loss", help="Adversarial loss, e.g. bce.")
    data: str = setting("mnist", "run", flag="--data", metavar="NAME[:ARG]",
                        help="Dataset: mnist, mnist:test, folder:PATH, npz:PATH, ring, grid.")
    seed: int = setting(0, "run", flag="--seed", help="Random seed (weights, data order, latents).")
    device: str = setting("auto", "run", flag="--device", help="auto (cuda > mps > cpu), cpu, cuda, cuda:N, mps.")
    precision: str = setting("auto", "run", flag="--precision", help="auto (bf16 on CUDA), fp32, bf16, fp16.")
    project: str = setting("runs", "run", flag="--project", help="Folder holding runs (default: runs).")
    name: str = setting("exp", "run", flag="--name", help="Run name; exp, exp-2, ... never overwrite.")
    recipe: str = setting("", "run", flag="--recipe", metavar="NAME",
                          help="A named bundle of settings for the model, above its defaults (`gantool recipes` lists them).")
    # length: `steps` wins when set; otherwise `epochs` passes over the data
    epochs: int = setting(1, "training", flag="--epochs", help="Passes over the data (ignored when --steps is set).")
    steps: int = setting(0, "training", flag="--steps", help="Discriminator steps to train for.")
    batch_size: int = setting(64, "training", flag="--batch-size", help="Images per step.")
    optimizer: str = setting("adam", "optimizer", help="adam, or rmsprop (weight-clipped WGAN).")
    lr: float = setting(2e-4, "optimizer", flag="--lr", help="Adam learning rate (both networks).")
    lr_d: float = setting(0.0, "optimizer", flag="--lr-d", help="Discriminator learning rate (TTUR), if not --lr.")
    lr_decay: str = setting("", "optimizer", flag="--lr-decay", metavar="linear",
                            help="Let both learning rates fall linearly to 0 by the last step.")
    beta1: float = setting(0.5, "optimizer", help="Adam's beta1 (unused by RMSprop).")
    beta2: float = setting(0.999, "optimizer", help="Adam's beta2 (unused by RMSprop).")
    n_critic: int = setting(1, "optimizer", flag="--n-critic", help="Discriminator steps per generator step.")
    ema: bool = setting(False, "ema", flag="--ema", help="Keep an EMA generator for samples and export.")
    ema_decay: float = setting(0.999, "ema", help="Decay of the EMA generator's running average.")
    ema_rampup: float = setting(0.0, "ema", help="EMA ramp-up (StyleGAN2-ADA): the average's half-life in images is at "
                                "most this fraction of the images seen; 0 keeps the decay constant.")
    sync_bn: bool = setting(False, "distributed", flag="--sync-bn",
                            help="With --nproc: BatchNorm statistics over the global batch (SyncBatchNorm).")
    # the fast path (gantool/train/fast_path.py)
    channels_last: str = setting("auto", "fast", flag="--channels-last", metavar="auto|on|off",
                                 help="NHWC memory format for image models (auto: on CUDA).")
    compile: bool = setting(False, "fast", flag="--compile",
                            help="torch.compile G and D (--set compile_mode=reduce-overhead for CUDA graphs).")
    compile_mode: str = setting("", "fast", help="torch.compile mode, e.g. reduce-overhead (CUDA graphs), max-autotune.")
    compile_backend: str = setting("inductor", "fast", help="torch.compile backend.")
    # regularizers of D, usable with any loss (0 disables); loss presets set them
    label_smoothing: float = setting(0.0, "regularizers", flag="--label-smoothing", help="One-sided: real target 1 - s.")
    clip_weights: float = setting(0.0, "regularizers", help="WGAN: clamp D's weights to [-c, c] after each D step.")
    gp_lambda: float = setting(0.0, "regularizers", help="WGAN-GP: (|grad D(x_hat)| - 1)^2 on real/fake interpolates.")
    r1_gamma: float = setting(0.0, "regularizers", help="R1: gamma/2 |grad D(x_real)|^2, applied lazily.")
    r1_every: int = setting(16, "regularizers", help="Steps between R1 penalties (lazy regularization).")
    dragan_lambda: float = setting(0.0, "regularizers", help="DRAGAN: gradient penalty around perturbed real data.")
    # stabilizers, usable with any model (gantool/train/stabilizers.py; 0/off disables)
    instance_noise: float = setting(0.0, "stabilizers", flag="--instance-noise", metavar="SIGMA",
                                    help="Gaussian noise on D's inputs, annealed to 0 over the run.")
    instance_noise_steps: int = setting(0, "stabilizers", help="Step by which instance noise reaches 0 (0: the end of the run).")
    diffaugment: str = setting("", "stabilizers", flag="--diffaugment", metavar="POLICY",
                               help="Augment what D sees: color,translation,cutout (any subset).")
    pack: int = setting(1, "stabilizers", flag="--pack", metavar="M", help="PacGAN: D judges M samples jointly.")
    minibatch_std: bool = setting(False, "stabilizers", flag="--minibatch-std", help="Show D the batch's standard deviation.")
    grad_clip: float = setting(0.0, "stabilizers", flag="--grad-clip", metavar="NORM",
                               help="Clip each network's gradient norm (logged as grad_norm_g/d).")
    historical_averaging: float = setting(0.0, "stabilizers", flag="--historical-averaging", metavar="LAMBDA",
                                          help="Pull weights towards their running mean.")
    latent_dim: int = setting(100, "shape", help="Size of the generator's latent vector.")
    image_size: int = setting(28, "shape", help="Image height and width, in pixels.")
    channels: int = setting(1, "shape", help="Image channels: 1 (grey) or 3 (RGB).")
    # cadence in steps (0 disables periodic samples/checkpoints)
    log_every: int = setting(50, "cadence", flag="--log-every", help="Steps between metric lines.")
    sample_every: int = setting(500, "cadence", flag="--sample-every", help="Steps between sample grids (0: end only).")
    checkpoint_every: int = setting(2000, "cadence", flag="--checkpoint-every", help="Steps between kept checkpoints.")
    keep_checkpoints: int = setting(0, "cadence", flag="--keep-checkpoints", metavar="N",
                                    help="Keep only the newest N periodic step-*.pt checkpoints (0: all); last.pt is always kept.")
    sample_count: int = setting(64, "cadence", help="Images in each sample grid (1..1024).")
    logger: str = setting("", "cadence", flag="--logger", metavar="NAME[,NAME]",
                          help="Also log metrics and sample grids to: tensorboard (needs the tensorboard package), or a plugin's logger.")
    # scoring during training (0 disables): metrics on `eval_n` images against the training data
    eval_every: int = setting(0, "evaluation", flag="--eval-every", metavar="N",
                              help="Score the generator every N steps into metrics.jsonl (see --eval-metrics).")
    eval_metrics: str = setting("fid", "evaluation", flag="--eval-metrics",
                                help="Metrics for --eval-every: fid, kid, is, pr, dc (default fid).")
    eval_features: str = setting("lenet-mnist", "evaluation", flag="--features",
                                 help="Feature extractor for --eval-every (default lenet-mnist).")
    eval_n: int = setting(2000, "evaluation", flag="--eval-n", help="Images per --eval-every evaluation (default 2000).")
    skip_bad: bool = setting(False, "data", flag="--skip-bad", help="Skip unreadable images in folder datasets.")
    model_options: dict[str, Any] = setting(None, "run", factory=dict, help="The model's own options (--set model.ngf=32).")
    loss_options: dict[str, Any] = setting(None, "run", factory=dict, help="The loss's own options (--set loss.minimax=true).")
    data_options: dict[str, Any] = setting(None, "data", factory=dict, help="The dataset's own options (--set data.KEY=VALUE).")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def hash(self) -> str:
        """Short stable hash of what changes the trained model (not where it is saved)."""
        payload = {k: v for k, v in self.to_dict().items() if k not in ("project", "name", "device", "logger")}
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]

    @property
    def lr_discriminator(self) -> float:
        return self.lr_d or self.lr


FIELDS = {f.name: f for f in dataclasses.fields(RunConfig)}
SETTINGS: dict[str, Setting] = {name: f.metadata["setting"] for name, f in FIELDS.items()}


def flag_of(key: str) -> str:
    """A config key as a user sets it on the command line: its flag, or --set KEY=..."""
    return SETTINGS[key].flag or f"--set {key}=..."
# the one list of what `gantool train --resume` may change; everything else is the run's as saved
RESUMABLE_KEYS = ("steps", "epochs", "device", "keep_checkpoints")


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
        (0.0 <= cfg.ema_rampup < 1.0, "ema_rampup must be in [0, 1)"),
        (cfg.precision in PRECISIONS, f"precision must be one of {', '.join(PRECISIONS)}"),
        (cfg.channels_last in CHANNELS_LAST, f"channels_last must be one of {', '.join(CHANNELS_LAST)}"),
        (cfg.compile_mode in COMPILE_MODES, f"compile_mode must be one of {', '.join(m or repr(m) for m in COMPILE_MODES)}"),
        (cfg.latent_dim > 0 and cfg.image_size > 0, "latent_dim and image_size must be positive"),
        (cfg.channels in (1, 3), "channels must be 1 or 3"),
        (cfg.log_every > 0, "log_every must be positive"),
        (_plain_name(cfg.name), f"name {cfg.name!r} must be a plain folder name (no '/', '\\', '..' or leading '.'): "
                                "runs go in project/model/name; use --project to put them elsewhere"),
        (min(cfg.sample_every, cfg.checkpoint_every) >= 0, "sample_every/checkpoint_every cannot be negative"),
        (cfg.keep_checkpoints >= 0, "keep_checkpoints cannot be negative (0 keeps every checkpoint)"),
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


def _plain_name(name: str) -> bool:
    return bool(name) and not any(sep in name for sep in ("/", "\\", "\0")) and not name.startswith(".")


def resolve(
    model: str,
    model_defaults: dict[str, Any],
    loss_defaults: Any,
    file: Path | None,
    flags: dict[str, Any],
    sets: dict[str, Any],
    recipe_settings: Callable[[str], dict[str, Any]] | None = None,
) -> RunConfig:
    """Build the config from its layers. `loss_defaults(name)` returns a loss's defaults,
    `recipe_settings(name)` a recipe's settings.

    Bottom to top: the model's defaults, the loss's, the recipe's, a config file, flags,
    `--set`. The recipe and the loss are known only once the layers above them are read, so
    those are merged first to find them (the recipe may name the loss).
    """
    file_layer = tomlio.load(file) if file else {}
    upper = [(file_layer, f"config file {file}"), (flags, "command line"), (sets, "--set")]

    values: dict[str, Any] = {"model": model}
    apply_layer(values, model_defaults, f"defaults of model {model!r}")
    recipe_name = _probe(values, upper).get("recipe", "")
    recipe = [(recipe_settings(recipe_name), f"recipe {recipe_name!r}")] if recipe_name and recipe_settings else []
    loss_name = _probe(values, recipe + upper).get("loss", FIELDS["loss"].default)
    apply_layer(values, loss_defaults(loss_name), f"defaults of loss {loss_name!r}")
    for layer, source in recipe + upper:
        apply_layer(values, layer, source)
    if values.get("model", model) != model:
        raise UserError(f"config says model {values['model']!r} but the command trains {model!r}")
    # `--epochs` on the command line means "train by epochs" even if a lower layer set steps
    if "epochs" in flags and "steps" not in flags and "steps" not in sets:
        values["steps"] = 0
    return validate(RunConfig(**values))


def _probe(values: dict[str, Any], layers: list[tuple[dict[str, Any], str]]) -> dict[str, Any]:
    probe = dict(values)
    for layer, source in layers:
        apply_layer(probe, layer, source)
    return probe


def from_dict(data: dict[str, Any], source: str) -> RunConfig:
    """A RunConfig from a saved config (config.toml or a checkpoint)."""
    values: dict[str, Any] = {}
    if "model" not in data:
        raise UserError(f"{source} has no model name")
    apply_layer(values, data, source)
    return validate(RunConfig(**values))
