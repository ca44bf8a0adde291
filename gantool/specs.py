"""The typed specs a plugin registers. A plugin author reads this after hookspecs.py.

Specs are small frozen records: a name, a one-line summary, a factory and defaults.
They never import torch, so listing plugins or printing `--help` stays fast; factories
import their heavy modules when called.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from gantool.core.typed_options import read_bool, read_float, read_int

DataKind = str  # a registered data kind (DataKindSpec): image, vector, table, or a plugin's

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


def check_name(name: str) -> None:
    """Names are lowercase identifiers with -, _ or . so they work as CLI arguments."""
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ValueError(f"invalid name {name!r}: use lowercase letters, digits, '-', '_' or '.'")


@dataclass(frozen=True)
class ModelArgs:
    """What a model factory gets: the resolved shape of the problem plus free options."""

    latent_dim: int
    image_size: int
    channels: int
    num_classes: int = 0
    data_dim: int = 0  # feature count for vector data (kind "vector") and columns of tables (kind "table")
    options: dict[str, Any] = field(default_factory=dict)

    # `--set model.KEY=VALUE` options, type-checked: one line naming the option on bad input
    def int_option(self, key: str, default: int, minimum: int = 1) -> int:
        return read_int(self.options, key, default, scope="model", minimum=minimum)

    def float_option(self, key: str, default: float, low: float, high: float = float("inf")) -> float:
        return read_float(self.options, key, default, low, high, scope="model")

    def bool_option(self, key: str, default: bool) -> bool:
        return read_bool(self.options, key, default, scope="model")


@dataclass
class GanModules:
    """A generator and a discriminator (torch modules) built by a model factory."""

    generator: Any
    discriminator: Any


@dataclass(frozen=True)
class ModelFlag:
    """A flag a model adds to `gantool train MODEL`, stored under a config key: CycleGAN's
    `ModelFlag("--data-a", "data.a", "images of domain A")` makes `--data-a X` mean
    `--set data.a=X`. Values stay strings (a path, a dataset name)."""

    flag: str
    key: str
    help: str = ""
    metavar: str = "VALUE"


# an export input's dtypes and how export may fill it for tracing and for the ONNX Runtime vs
# PyTorch check: "normal" N(0, 1), "uniform" U(-1, 1), "labels" 0, 1, ..., num_classes - 1
# repeated, "ones", or any number (a constant)
_EXAMPLES = {"float32": ("normal", "uniform", "ones"), "int64": ("labels", "ones")}
BATCH = "batch"  # the name of the dynamic batch axis, allowed as the first axis of an input


@dataclass(frozen=True)
class ExportInput:
    """One input of an exported graph, in the order the module takes it. `shape` is a tuple
    of sizes whose first axis may be "batch", the dynamic batch axis (() is a scalar):
    ExportInput("z", "float32", ("batch", 512)), ExportInput("truncation", "float32",
    ("batch",), example=0.7)."""

    name: str
    dtype: str  # "float32" | "int64"
    shape: tuple[int | str, ...]
    example: str | float = "normal"  # "normal" | "uniform" | "labels" | "ones" | a number

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", tuple(self.shape))  # a list reads the same
        if not (isinstance(self.name, str) and self.name.isidentifier()):
            raise ValueError(f"export input name {self.name!r} must be an identifier")
        if self.dtype not in _EXAMPLES:
            raise ValueError(f"export input {self.name!r}: dtype must be float32 or int64, not {self.dtype!r}")
        for axis, size in enumerate(self.shape):
            if size == BATCH and axis == 0:
                continue
            if isinstance(size, bool) or not isinstance(size, int) or size < 1:
                allowed = "a positive size" + (" or 'batch'" if axis == 0 else " ('batch' is the first axis only)")
                raise ValueError(f"export input {self.name!r}: axis {axis} must be {allowed}, not {size!r}")
        constant = isinstance(self.example, (int, float)) and not isinstance(self.example, bool)
        if not constant and self.example not in _EXAMPLES[self.dtype]:
            raise ValueError(f"export input {self.name!r}: example must be a number or one of "
                             f"{', '.join(_EXAMPLES[self.dtype])} for {self.dtype}, not {self.example!r}")

    @property
    def batched(self) -> bool:
        return bool(self.shape) and self.shape[0] == BATCH


@dataclass(frozen=True)
class ExportGraph:
    """One ONNX file a model exports: `module(*inputs)` returns one tensor, named `output`
    ("images" [batch, C, H, W] in [-1, 1] is what --uint8 turns into uint8 NHWC). `metadata`
    is added to (and overrides) the standard metadata_props every exported file carries."""

    module: Any
    inputs: tuple[ExportInput, ...]
    output: str = "images"
    metadata: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "inputs", tuple(self.inputs))
        names = [getattr(i, "name", None) for i in self.inputs]
        if not all(isinstance(i, ExportInput) for i in self.inputs) or not names:
            raise ValueError("an export graph takes a non-empty tuple of ExportInput")
        if len(set(names)) != len(names) or self.output in names:
            raise ValueError(f"export graph names must be unique: inputs {names}, output {self.output!r}")
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in self.metadata.items()):
            raise ValueError("export graph metadata must map strings to strings (ONNX stores strings)")


@dataclass(frozen=True)
class TrainingHooks:
    """How a model trains when it is not the default one G against one D."""

    # `make_step(ctx: StepContext) -> TrainingStep` (gantool.protocols): the model's own
    # phases and their losses; the loop still owns the update
    make_step: Callable[..., Any] | None = None
    # `prepare(args, data) -> ModelArgs`: look at the training data before building (a
    # tabular model fits its column transforms here). What it puts in `args.options` is
    # saved in checkpoints, so export rebuilds the same network without the data.
    prepare: Callable[..., Any] | None = None
    # the custom step follows the data-parallel contract (StepContext.shard for random
    # draws, train_generator / train_discriminator for the trained networks): --nproc allowed
    distributed: bool = False
    # config keys (e.g. "pack", "minibatch_std") the model cannot honour -> why; setting one
    # is refused with one line before anything is built
    unsupported: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OutputHooks:
    """What a model shows and exports when its samples are not simply G(z)."""

    # `preview(data: DataArrays, seed: int) -> draw`, `draw(generator, device) -> (uint8
    # [N, H, W, C], columns)`: the model draws its own sample grids (an image-to-image model
    # shows inputs beside their translations)
    preview: Callable[..., Any] | None = None
    # `exports(generator, args: ModelArgs) -> {name: ExportGraph}`: the files `gantool export`
    # writes, in place of the default z [+ labels] -> images/samples graph. Name "" or
    # "generator" is the default file (generator.onnx), any other name NAME is
    # generator-NAME.onnx (cyclegan: "a2b" and "b2a", each with input `image`)
    exports: Callable[..., Any] | None = None


@dataclass(frozen=True)
class ModelSpec:
    """An architecture: its identity (`name`, `summary`, `build(ModelArgs) -> GanModules`,
    `data_kind`, `conditional`), the config it prefers (`defaults`: dataset, loss,
    batch_size, lr, ..., between gantool's defaults and the user's config file), its option
    schema (`options`, `flags`), and grouped optional hooks (`training`, `outputs`)."""

    name: str
    summary: str
    build: Callable[[ModelArgs], GanModules]
    defaults: dict[str, Any] = field(default_factory=dict)
    data_kind: DataKind = "image"
    conditional: bool = False  # the generator is called as G(z, labels)
    # the `--set model.KEY` options `build` reads; when given, any other key is refused with
    # one line (a typo is not silently ignored). None: the model checks its options itself.
    options: tuple[str, ...] | None = None
    flags: tuple[ModelFlag, ...] = ()  # extra `gantool train MODEL --flag VALUE` options
    training: TrainingHooks = TrainingHooks()
    outputs: OutputHooks = OutputHooks()


@dataclass(frozen=True)
class LossSpec:
    """An adversarial loss. `factory(options) -> AdversarialLoss` (gantool.protocols: `d_loss(real,
    fake)`, `g_loss(fake, real=None)`, `needs_real_in_g`); anything else is refused at build."""

    name: str
    summary: str
    factory: Callable[[dict[str, Any]], Any]
    defaults: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DataRequest:
    """What the consumer of a dataset needs: the model's image shape, the split, options."""

    image_size: int = 28
    channels: int = 1
    split: str = "train"
    skip_bad: bool = False
    progress: bool = True
    options: dict[str, Any] = field(default_factory=dict)  # the run's [data_options] (--set data.KEY=VALUE)


@dataclass
class DataArrays:
    """A dataset in memory as numpy arrays (no torch, so eval can use it too).

    Images are uint8 `[N, C, H, W]`; vectors are float32 `[N, D]`. Labels are int64 `[N]`.
    Tables are float32 `[N, columns]`: continuous values as they are, a discrete column as
    the index of its category; `columns` describes them (see `gantool.core.tables`).
    """

    x: np.ndarray
    kind: DataKind
    labels: np.ndarray | None = None
    num_classes: int = 0
    description: str = ""
    skipped: int = 0
    # for Gaussian-mixture data: the mode centres and their sigma, for mode-coverage metrics
    modes: np.ndarray | None = None
    mode_sigma: float = 0.0
    columns: list[dict[str, Any]] | None = None  # tables: [{"name", "kind", "categories"}, ...]


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset. `load(arg, request) -> DataArrays`; `arg` is the text after `name:`."""

    name: str
    summary: str
    load: Callable[[str | None, DataRequest], DataArrays]
    data_kind: DataKind = "image"
    arg_help: str = ""  # e.g. "PATH" for folder:PATH; empty when no argument is taken
    # the `--set data.KEY` options `load` reads (from `request.options`); when given, any other
    # key is refused with one line. None: the dataset checks its options itself.
    options: tuple[str, ...] | None = None


@dataclass(frozen=True)
class FeatureExtractorSpec:
    """A feature extractor for evaluation. `factory(arg) -> extractor`."""

    name: str
    summary: str
    factory: Callable[[str | None], Any]
    defaults: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DataKindSpec:
    """A kind of data (image, vector, table built in; a plugin adds audio or tokens) and
    what each stage does with it, so a new kind needs no branch in core:

    - `preview(data, num_classes, count) -> Preview` (gantool.protocols): the training
      sample grid (called by train, may import torch);
    - `write(sampler, out, path, fmt, columns, z, labels)`: `gantool sample -o PATH` for
      each suffix in `suffixes` ("" = a folder), torch-free; `default_output` when -o is
      not given;
    - `evaluate(registry, sampler, out_dir, settings, *, data, progress) -> EvalResult`:
      `gantool eval` of a generator of this kind (None: the image metrics, `metrics`
      naming their default set);
    - `onnx_metadata(module, args, cfg) -> dict[str, str]`: extra metadata an export
      of a generator of this kind carries (a table's columns).
    """

    name: str
    summary: str
    preview: Callable[..., Any]
    write: Callable[..., None]
    suffixes: tuple[str, ...] = (".npz",)
    default_output: str = "samples.npz"
    metrics: tuple[str, ...] = ()
    evaluate: Callable[..., Any] | None = None
    onnx_metadata: Callable[..., dict[str, str]] | None = None


@dataclass(frozen=True)
class LoggerSpec:
    """A training logger for `gantool train --logger NAME`. `factory(run_path, cfg) -> Logger`
    (gantool.protocols.Logger); it is created on rank 0 when training starts and gets every
    metrics line and sample grid through the loop's events."""

    name: str
    summary: str
    factory: Callable[..., Any]
    requires: tuple[str, ...] = ()  # importable packages it needs; checked before the run folder exists


@dataclass(frozen=True)
class RecipeSpec:
    """A named bundle of settings for one model: `gantool train MODEL --recipe NAME`.

    `settings` are config keys as `--set` takes them (`lr`, `loss`, `model.hidden`, ...);
    they sit above the model's and the loss's defaults and below a config file, flags and
    `--set`, so anything can still be changed on top. `results` says what the recipe reached,
    measured (docs/benchmarks.md keeps the details), so users can pick one by its numbers.
    """

    name: str
    model: str
    summary: str
    settings: dict[str, Any]
    results: str = ""

    @property
    def key(self) -> str:
        """The registry name: recipes are per model (`toy/r1-ema`), so two models may share one."""
        return f"{self.model}/{self.name}"


def lazy(module: str, attr: str) -> Callable[..., Any]:
    """A callable that imports `module.attr` on first use; keeps torch out of start-up."""

    def call(*args: Any, **kwargs: Any) -> Any:
        from importlib import import_module

        return getattr(import_module(module), attr)(*args, **kwargs)

    call.__name__ = f"lazy_{attr}"
    call.__qualname__ = f"lazy({module}:{attr})"
    return call
