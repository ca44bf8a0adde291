"""The names of every file and folder of a run directory, and which ONNX file is "the run's
generator" (docs: DESIGN.md, "Run directory contract").

This is the one place those names are spelt; writers, readers, the monitor, export, sample
and eval take them from here. Nothing here writes: `RunLayout` only builds paths, and the
two look-ups (`RunLayout.generator_file`, `find_runs`) only stat and list.
"""

from __future__ import annotations

from pathlib import Path

from gantool.core.errors import UserError

CONFIG = "config.toml"  # the fully resolved config (train, at start)
METRICS = "metrics.jsonl"  # one JSON object a line per log tick
EVENTS = "events.jsonl"  # started, sample, checkpoint, ... one a line
STATUS = "status.json"  # replaced atomically: state, pid, step, heartbeat
CONTROL = "control"  # commands for a running trainer, one a line (the monitor appends)
SAMPLES = "samples"  # folder: step-NNNNNNN.png grids
CHECKPOINTS = "checkpoints"  # folder: last.pt and step-NNNNNNN.pt
EVAL = "eval"  # folder: eval/<time>.json results
LOCK = ".lock"  # held (flock) by the one trainer writing the run; holds that trainer's pid
GENERATOR = "generator.onnx"  # what `gantool export RUN --onnx` writes by default
LAST_CHECKPOINT = "last.pt"
SAMPLE_GLOB = "step-*.png"
ONNX_GLOB = "*.onnx"


def step_stem(step: int) -> str:
    """`step-0000012`: the stem shared by a step's sample grid and its checkpoint."""
    return f"step-{step:07d}"


class RunLayout:
    """The paths of one run directory `runs/<model>/<name>/` (nothing is created)."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"RunLayout({str(self.path)!r})"

    @property
    def config(self) -> Path:
        return self.path / CONFIG

    @property
    def metrics(self) -> Path:
        return self.path / METRICS

    @property
    def events(self) -> Path:
        return self.path / EVENTS

    @property
    def status(self) -> Path:
        return self.path / STATUS

    @property
    def control(self) -> Path:
        return self.path / CONTROL

    @property
    def lock(self) -> Path:
        return self.path / LOCK

    @property
    def samples(self) -> Path:
        return self.path / SAMPLES

    @property
    def checkpoints(self) -> Path:
        return self.path / CHECKPOINTS

    @property
    def eval(self) -> Path:
        return self.path / EVAL

    @property
    def generator(self) -> Path:
        """Where the default export goes; `generator_file()` is the one to read from."""
        return self.path / GENERATOR

    @property
    def last_checkpoint(self) -> Path:
        return self.checkpoints / LAST_CHECKPOINT

    def sample(self, step: int) -> Path:
        return self.samples / f"{step_stem(step)}.png"

    def checkpoint(self, step: int) -> Path:
        return self.checkpoints / f"{step_stem(step)}.pt"

    def is_run(self) -> bool:
        """A run once the trainer has written its status or config."""
        return self.status.exists() or self.config.exists()

    def generator_file(self) -> Path:
        """The run's generator: the single rule `gantool sample`, `gantool eval` and any
        other command given a run directory use. It is `generator.onnx` (what `gantool
        export RUN --onnx` writes), also when other exports such as `generator-uint8.onnx`
        lie beside it; no other file is ever guessed (not the newest, not the only one).

        Without it, a one-line UserError: it says how to export, and lists the `.onnx` files
        the run does hold so the user can give one by path. That is always the case for an
        image-to-image model, whose export writes one translator per direction
        (`generator-a2b.onnx`, `generator-b2a.onnx`) and never a `generator.onnx`: neither
        direction is a better default than the other.
        """
        if self.generator.is_file():
            return self.generator
        found = ", ".join(sorted(p.name for p in self.path.glob(ONNX_GLOB) if p.is_file()))
        export = f"gantool export {self.path} --onnx"
        if not found:
            raise UserError(f"{self.path} has no {GENERATOR}; export it first: {export}")
        raise UserError(f"{self.path} has no {GENERATOR}; give one of {found} by path, or export it: {export}")


def generator_file(source: Path) -> Path:
    """The ONNX file a command was given: `source` itself, or a run directory's generator
    (`RunLayout.generator_file`)."""
    source = Path(source)
    if source.is_dir():
        return RunLayout(source).generator_file()
    if not source.exists():
        raise UserError(f"{source} does not exist; give a generator .onnx or a run directory")
    return source


def find_runs(path: Path) -> list[Path]:
    """Run folders at `path`, or up to two levels below it (project/model/name)."""
    path = Path(path)
    if RunLayout(path).is_run():
        return [path]
    found = [p for p in sorted(path.glob("*/*")) if p.is_dir() and RunLayout(p).is_run()]
    found += [p for p in sorted(path.glob("*")) if p.is_dir() and RunLayout(p).is_run()]
    return found
