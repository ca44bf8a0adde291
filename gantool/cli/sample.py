"""`gantool sample MODEL.onnx|RUN_DIR`: generate with ONNX Runtime; torch is never imported.

Parsing and printing: writing the samples is gantool/runtime/outputs.py, the latent walk of
--interpolate gantool/runtime/interpolate.py.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Callable, Iterator

import typer


def _labels(sampler, n: int, label: int | None, all_labels: str | None):
    import numpy as np

    from gantool.core.errors import UserError

    if label is not None and all_labels is not None:
        raise UserError("use either --label K or --labels all")
    if all_labels is not None:
        if all_labels != "all":
            raise UserError(f"--labels takes 'all', not {all_labels!r} (use --label K for one class)")
        if not sampler.info.num_classes:
            raise UserError(f"{sampler.path} is not conditional; it takes no labels")
        return (np.arange(n) % sampler.info.num_classes).astype(np.int64), sampler.info.num_classes
    if label is not None:
        return sampler.check_labels(np.full(n, label), n), None
    return None, None


@contextlib.contextmanager
def sampling_progress(total: int, batch_size: int) -> Iterator[Callable[[int], None]]:
    """Yields an `advance(k)` callback: a Rich bar on stderr for long jobs, a no-op otherwise."""
    if total <= 4 * batch_size or not sys.stderr.isatty():
        yield lambda k: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("sampling", total=total)
        yield lambda k: bar.advance(task, k)


def register(app: typer.Typer) -> None:
    @app.command("sample")
    def sample(
        source: Path = typer.Argument(..., metavar="MODEL.onnx|RUN_DIR", help="An exported generator, or a run directory holding generator.onnx."),
        n: int = typer.Option(64, "-n", help="How many samples (per frame with --interpolate)."),
        output: Path | None = typer.Option(None, "-o", "--output", metavar="PATH", show_default="samples.png; samples.csv for tables",
                                    help="grid.png, a folder (one PNG each), samples.npz, samples.csv (vector and table data), walk.gif."),
        seed: int = typer.Option(0, "--seed", help="Latent seed: the same seed gives the same samples."),
        label: int | None = typer.Option(None, "--label", metavar="K", help="Class K for every sample (conditional models)."),
        labels: str | None = typer.Option(None, "--labels", metavar="all", help="'all': cycle through classes, one per column."),
        batch_size: int = typer.Option(64, "--batch-size", help="Samples per ONNX Runtime call."),
        provider: str = typer.Option("auto", "--provider", metavar="auto|cuda|cpu", help="Execution provider (auto: CUDA when usable)."),
        interpolate: int | None = typer.Option(None, "--interpolate", metavar="STEPS",
                                                  help="Write a GIF walking between two latents in STEPS frames (-o walk.gif)."),
        truncation: float | None = typer.Option(None, "--truncation", metavar="PSI",
                                                help="Truncation psi for generators with a truncation_psi input (stylegan2): "
                                                     "1 = none, lower = closer to the average image."),
        style_mix: bool = typer.Option(False, "--style-mix",
                                       help="A style-mixing grid (-o mix.png): rows give coarse styles, columns fine ones; "
                                            "-n mixed images. Needs the mapping/synthesis files stylegan2 exports."),
        style_cutoff: int | None = typer.Option(None, "--style-cutoff", metavar="K",
                                                help="With --style-mix: the first K layers take the row's styles."),
        force: bool = typer.Option(False, "--force", help="Replace an existing output."),
    ) -> None:
        """Generate samples from an ONNX generator with ONNX Runtime (no PyTorch needed)."""
        from rich.console import Console

        from gantool.core.errors import UserError
        from gantool.run import generator_file
        from gantool.runtime import Sampler, outputs

        err = Console(stderr=True, highlight=False, soft_wrap=True)
        if n <= 0:
            raise UserError(f"-n must be positive, got {n}")
        if batch_size <= 0:
            raise UserError(f"--batch-size must be positive, got {batch_size}")
        sampler = Sampler(generator_file(source), provider, truncation)
        info = sampler.info
        if style_mix:
            _style_mix(err, sampler, output or Path("mix.png"), n, seed, style_cutoff, force)
            return
        if style_cutoff is not None:
            raise UserError("--style-cutoff goes with --style-mix")
        output = output or Path(outputs.kind_spec(info.kind).default_output)
        if interpolate is not None and interpolate < 2:
            raise UserError("--interpolate needs at least 2 steps")
        fmt = outputs.check_destination(output, info.kind, force, animated=interpolate is not None)
        chosen, columns = _labels(sampler, n, label, labels)
        chosen = sampler.check_labels(chosen, n)  # a conditional model with none asked for cycles classes

        if interpolate is not None:
            _walk(err, sampler, output, n, seed, interpolate, chosen, columns, batch_size)
            return

        z = sampler.latents(n, seed)
        with sampling_progress(n, batch_size) as advance:
            out = sampler.generate(z, chosen, batch_size, advance)
        outputs.write_samples(sampler, out, output, fmt, columns, z, chosen)
        _note(err, sampler)
        err.print(f"wrote {n} samples to {output} ({sampler.provider}, seed {seed})")


def _walk(err, sampler, output: Path, n: int, seed: int, steps: int, chosen, columns, batch_size: int) -> None:
    """`--interpolate STEPS`: a GIF walking between two latents, `n` samples a frame."""
    from gantool.runtime import outputs
    from gantool.runtime.interpolate import walk_frames

    with sampling_progress(n * steps, batch_size) as advance:
        frames = walk_frames(sampler, n, seed, steps, chosen, columns, batch_size, advance)
    outputs.write_gif(frames, output)
    _note(err, sampler)
    err.print(f"wrote {steps} frames of {n} samples to {output} ({sampler.provider})")


def _style_mix(err, sampler, output: Path, n: int, seed: int, cutoff: int | None, force: bool) -> None:
    """`--style-mix`: the grid of `n` mixed images (as square as it gets) plus their sources."""
    import math

    from gantool.core.errors import UserError
    from gantool.core.imaging import save_png, upscale_for
    from gantool.runtime import outputs
    from gantool.runtime.style_mix import open_mixer, style_mix_grid

    if output.suffix.lower() != ".png":
        raise UserError(f"--style-mix writes one PNG grid: -o mix.png, not {output}")
    outputs.check_destination(output, "image", force)
    mixer = open_mixer(sampler.path, sampler.info.metadata, "cuda" if sampler.on_cuda else "cpu", cutoff)
    rows = max(1, math.isqrt(n))
    columns = math.ceil(n / rows)
    picture = style_mix_grid(mixer, rows, columns, seed, sampler.truncation)
    save_png(picture, output, upscale_for(picture))
    _note(err, sampler)
    err.print(f"wrote a {rows}x{columns} style-mixing grid (layers 0-{mixer.cutoff - 1} from the rows) to {output} "
              f"({sampler.provider}, seed {seed})")


def _note(console, sampler) -> None:
    """The one quiet line about a CPU fallback, once the work has succeeded."""
    if sampler.note:
        console.print(f"[dim]{sampler.note}[/]")
