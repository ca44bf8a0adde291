"""`gantool eval`: FID/KID/IS/precision-recall of a generator, or of one image set against another.

Parsing and printing only: the evaluation is gantool.metrics.evaluate (`evaluate_generator`,
`evaluate_folders`; table generators: gantool/metrics/table_eval.py), which reports what it
is doing through the spinners and the bar made here.
"""

from __future__ import annotations

from pathlib import Path

import typer


def _generator_file(path: Path) -> tuple[Path, Path]:
    """The ONNX generator to score (a run directory's by gantool.run's rule) and the folder
    its eval/ results go to."""
    from gantool.run import generator_file

    onnx = generator_file(path)
    return onnx, path if path.is_dir() else onnx.parent


def _console_progress(console):
    """An EvalProgress on stderr: a spinner for each long step, a bar for long sampling, the
    CPU-fallback note dimmed."""
    from gantool.cli.sample import sampling_progress
    from gantool.metrics.evaluate import EvalProgress

    class ConsoleProgress(EvalProgress):
        def status(self, text: str):
            return console.status(text)

        def sampling(self, total: int, batch_size: int):
            return sampling_progress(total, batch_size)

        def note(self, text: str) -> None:
            console.print(text, style="dim")

    return ConsoleProgress()


def _title(result) -> str:
    """What was scored against what: images name their extractor, tables their rows, any
    other kind (a plugin's tokens, audio) the generic facts every protocol carries."""
    p = result.protocol
    scored = p.get("model") or p.get("fake") or p.get("generator", "?")
    if result.kind == "table":
        rows = p["real_rows"]
        return (f"{scored} vs {p['reference']}  ({p['n']} synthetic rows; "
                f"{rows['train']} real train / {rows['test']} real test rows)")
    if result.kind == "image" and "extractor" in p:
        return f"{scored} vs {p['reference']}  ({p['n']} images, {p['extractor']} features)"
    if result.kind == "image":  # task metrics only
        return f"{scored} vs {p['reference']}  ({p['n']} images, task classifier)"
    return f"{scored} vs {p.get('reference', '?')}  ({p.get('n', '?')} {result.kind} samples)"


def _print_result(result, console) -> None:
    """The values as a table on stdout, then the notes and where they were written, on stderr."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=_title(result))
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in result.values.items():
        shown = f"{value:.4f}" if isinstance(value, float) or result.kind == "table" else str(value)
        table.add_row(key, shown)
    Console().print(table)
    for note in result.notes:
        console.print(note, style="dim")
    if result.path is not None:
        cached = result.protocol.get("reference_cached")
        console.print(f"written {result.path}" + ("  (reference features from cache)" if cached else ""))


def register(app: typer.Typer) -> None:
    @app.command("eval")
    def eval_(
        generator: Path | None = typer.Argument(None, metavar="[GEN.onnx|RUN_DIR]", help="Generator to score (a run directory uses its generator.onnx)."),
        data: str | None = typer.Option(None, "--data", metavar="DATASET[:SPLIT]", help="Reference images (default: the dataset the generator was trained on)."),
        n: int = typer.Option(10000, "-n", help="Generated images, and reference images drawn from the dataset."),
        metrics: str = typer.Option("", "--metrics", show_default=False, help="Images: any of fid, kid, is, pr (precision/recall), dc (density/coverage), stacked (Stacked MNIST modes), shapes (shape x colour combinations of the shapes dataset), and for conditional generators cas (classifier trained on generated images, with cas_real), gan-test, augment (needs --real-subset); tables: augment; other kinds: the names their plugin registers. Default: the data kind's (images: fid,kid,is,pr, plus cas,gan-test when conditional)."),
        features: str = typer.Option("auto", "--features", metavar="NAME", help="Feature extractor: inception (ONNX Runtime), inception:torch, lenet-mnist, onnx:PATH, or a plugin's; auto: lenet-mnist for 1-channel images, else inception."),
        resize: str | None = typer.Option(None, "--resize", help="Inception preprocessing: tf (default; torch-fidelity / TF FID) or pytorch-fid."),
        batch_size: int = typer.Option(250, "--batch-size", help="Images per ONNX Runtime / feature batch."),
        provider: str = typer.Option("auto", "--provider", help="ONNX Runtime provider for generation: auto, cuda, cpu."),
        seed: int = typer.Option(0, "--seed", help="Seed of the latents and of the reference subset."),
        real: str | None = typer.Option(None, "--real", metavar="DATASET", help="Compare two image sets: the reference ..."),
        fake: str | None = typer.Option(None, "--fake", metavar="DATASET", help="... and the set scored against it (e.g. folder:out/)."),
        image_size: int | None = typer.Option(None, "--image-size", show_default=False, help="With --real/--fake: the size both sets are loaded at (default: the extractor's, e.g. 28 for lenet-mnist; for inception the images' own size, non-square stretched to 299 as pytorch-fid and torch-fidelity do)."),
        channels: int | None = typer.Option(None, "--channels", show_default=False, help="With --real/--fake: 1 or 3 (default: the extractor's; auto features pick lenet-mnist for grey data, inception for colour)."),
        real_subset: int | None = typer.Option(None, "--real-subset", metavar="K", help="augment: the K real images generated ones are added to; refused when the generator saw more, or any test image."),
        repeats: int = typer.Option(3, "--repeats", help="augment: seeds each classifier is trained with (the intervals are over these)."),
        target: str | None = typer.Option(None, "--target", metavar="COLUMN", help="Tables: the discrete column the classifier score predicts (default: the last discrete column)."),
    ) -> None:
        """Score generated images against real ones and write eval/<time>.json with the protocol.

        Images are generated with ONNX Runtime, features extracted, and the reference
        features cached under the full protocol (dataset, split, N, seed, extractor and its
        weights), so repeated evaluations only pay for the generated side.

        A conditional image generator is also scored by a fixed classifier: trained on its
        images and tested on real ones (cas, beside cas_real, the same classifier trained on
        as many real images), the real-trained one tested on its images (gan_test), and
        --metrics augment --real-subset K: K real images with and without generated ones.

        A table generator is scored instead by per-column KS / total variation, the
        difference of correlation matrices, and a classifier trained on synthetic rows and
        tested on real held-out rows against one trained on real rows (see docs/metrics.md).
        """
        from rich.console import Console

        from gantool.core.errors import UserError
        from gantool.metrics import evaluate as ev
        from gantool.plugins import registry
        from gantool.run.layout import EVAL

        settings = ev.EvalSettings(metrics=metrics, n=n, seed=seed, batch_size=batch_size, features=features,
                                   resize=resize, provider=provider, target=target, real_subset=real_subset,
                                   repeats=repeats)
        console = Console(stderr=True)
        progress = _console_progress(console)
        if (real is None) != (fake is None):
            raise UserError("--real and --fake go together")
        if real is not None:
            if generator is not None:
                raise UserError("give either a generator or --real/--fake, not both")
            result = ev.evaluate_folders(registry(), real, fake, settings, image_size=image_size, channels=channels,
                                         out_dir=Path(EVAL), progress=progress)
        else:
            if generator is None:
                raise UserError("give a generator (.onnx or run directory), or --real A --fake B")
            path, folder = _generator_file(generator)
            result = ev.evaluate_generator(registry(), path, folder / EVAL, settings, data=data, progress=progress)
        _print_result(result, console)
        if result.write_error:
            raise UserError(result.write_error)
