"""`gantool eval`: FID/KID/IS/precision-recall of a generator, or of one image set against another."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import typer


def _generator_file(path: Path) -> tuple[Path, Path]:
    """The ONNX generator to score (a run directory's by gantool.run's rule) and the folder
    its eval/ results go to."""
    from gantool.run import generator_file

    onnx = generator_file(path)
    return onnx, path if path.is_dir() else onnx.parent


def _extractor(reg, features: str, resize: str | None, image_channels: int):
    """The feature extractor asked for (auto: lenet-mnist for grey images, else inception)."""
    from gantool.core.errors import UserError
    from gantool.train.session import split_data_name

    if features == "auto":
        features = "lenet-mnist" if image_channels == 1 else "inception"
    name, arg = split_data_name(features)
    extractor = reg.get("feature extractor", name).factory(arg)
    if resize is not None:
        from gantool.metrics.inception import RESIZE_MODES

        if not hasattr(extractor, "resize"):
            raise UserError(f"--resize applies to the inception features, not {name}")
        if resize not in RESIZE_MODES:
            raise UserError(f"--resize must be one of {', '.join(RESIZE_MODES)}, not {resize!r}")
        extractor.resize = resize
    return extractor


def _generate(sampler, folder: Path, data: str | None, n: int, seed: int, batch_size: int, console):
    """Images from an ONNX generator, with what it says about itself."""
    from gantool.core import onnx_meta as meta
    from gantool.cli.sample import sampling_progress
    from gantool.core.errors import UserError
    from gantool.metrics.evaluate import as_float_images

    path = sampler.path
    if sampler.note:
        console.print(sampler.note, style="dim")
    md = sampler.info.metadata
    if sampler.info.kind != "image":
        raise UserError(f"{path} generates {sampler.info.kind} data; gantool eval scores images")
    if meta.IMAGE_SHAPE not in md:
        raise UserError(f"{path} does not say its image shape (metadata {meta.IMAGE_SHAPE}); use --real/--fake on saved images")
    shape = tuple(int(v) for v in md[meta.IMAGE_SHAPE].split(","))
    reference = data or md.get(meta.DATASET)
    if not reference:
        raise UserError(f"{path} does not name its dataset; pass --data")
    with sampling_progress(n, batch_size) as advance:
        images = as_float_images(sampler.sample(n, seed=seed, batch_size=batch_size, progress=advance))
    if md.get(meta.OUTPUT_LAYOUT) == "NHWC":  # --uint8 exports
        images = images.transpose(0, 3, 1, 2)
    source = {"generator": str(path), "model": md.get(meta.MODEL), "training_step": md.get(meta.TRAINING_STEP),
              "weights": md.get(meta.WEIGHTS), "provider": sampler.provider}
    return images, shape, reference, source, folder / "eval"


def register(app: typer.Typer) -> None:
    @app.command("eval")
    def eval_(
        generator: Optional[Path] = typer.Argument(None, metavar="[GEN.onnx|RUN_DIR]", help="Generator to score (a run directory uses its generator.onnx)."),
        data: Optional[str] = typer.Option(None, "--data", metavar="DATASET[:SPLIT]", help="Reference images (default: the dataset the generator was trained on)."),
        n: int = typer.Option(10000, "-n", help="Generated images, and reference images drawn from the dataset."),
        metrics: str = typer.Option("fid,kid,is,pr", "--metrics", help="Any of fid, kid, is, pr (precision/recall), dc (density/coverage), stacked (Stacked MNIST modes)."),
        features: str = typer.Option("auto", "--features", metavar="NAME", help="Feature extractor: inception (ONNX Runtime), inception:torch, lenet-mnist, onnx:PATH, or a plugin's; auto: lenet-mnist for 1-channel images, else inception."),
        resize: Optional[str] = typer.Option(None, "--resize", help="Inception preprocessing: tf (default; torch-fidelity / TF FID) or pytorch-fid."),
        batch_size: int = typer.Option(250, "--batch-size", help="Images per ONNX Runtime / feature batch."),
        provider: str = typer.Option("auto", "--provider", help="ONNX Runtime provider for generation: auto, cuda, cpu."),
        seed: int = typer.Option(0, "--seed", help="Seed of the latents and of the reference subset."),
        real: Optional[str] = typer.Option(None, "--real", metavar="DATASET", help="Compare two image sets: the reference ..."),
        fake: Optional[str] = typer.Option(None, "--fake", metavar="DATASET", help="... and the set scored against it (e.g. folder:out/)."),
        image_size: int = typer.Option(28, "--image-size", help="With --real/--fake: the size both sets are loaded at."),
        channels: int = typer.Option(1, "--channels", help="With --real/--fake: 1 or 3."),
        target: Optional[str] = typer.Option(None, "--target", metavar="COLUMN", help="Tables: the discrete column the classifier score predicts (default: the last discrete column)."),
    ) -> None:
        """Score generated images against real ones and write eval/<time>.json with the protocol.

        Images are generated with ONNX Runtime, features extracted, and the reference
        features cached under the full protocol (dataset, split, N, seed, extractor and its
        weights), so repeated evaluations only pay for the generated side.

        A table generator is scored instead by per-column KS / total variation, the
        difference of correlation matrices, and a classifier trained on synthetic rows and
        tested on real held-out rows against one trained on real rows (see docs/metrics.md).
        """
        from rich.console import Console
        from rich.table import Table

        from gantool.core.errors import UserError
        from gantool.metrics import evaluate as ev
        from gantool.plugins import registry

        chosen = ev.parse_metrics(metrics)
        if n <= 0:
            raise UserError(f"-n must be positive, got {n}")
        if batch_size <= 0:
            raise UserError(f"--batch-size must be positive, got {batch_size}")
        reg = registry()
        console = Console(stderr=True)
        # a named extractor is checked before any image is generated; auto depends on the images
        extractor = _extractor(reg, features, resize, 0) if features != "auto" else None
        start = time.perf_counter()
        if (real is None) != (fake is None):
            raise UserError("--real and --fake go together")
        if real is not None:
            if generator is not None:
                raise UserError("give either a generator or --real/--fake, not both")
            out_dir, reference, source = Path("eval"), real, {"fake": fake}
            shape = (channels, image_size, image_size)
            with console.status(f"loading {fake}"):
                fake_images = ev.dataset_images(reg, fake, n, seed, image_size, channels)
        else:
            if generator is None:
                raise UserError("give a generator (.onnx or run directory), or --real A --fake B")
            path, folder = _generator_file(generator)
            from gantool.runtime import Sampler

            sampler = Sampler(path, provider=provider)
            if sampler.info.kind == "table":
                from gantool.cli.eval_table import eval_table

                return eval_table(sampler, folder, data, n, seed, batch_size, target, console)
            fake_images, shape, reference, source, out_dir = _generate(sampler, folder, data, n, seed, batch_size, console)
        extractor = extractor or _extractor(reg, features, resize, shape[0])
        protocol = {"reference": reference, "n": n, "seed": seed, "image_shape": list(shape), **extractor.protocol}
        with console.status(f"features of {reference}"):
            real_feats, cached = ev.reference_features(
                extractor, lambda: ev.dataset_images(reg, reference, n, seed, shape[1], shape[0]), protocol)
        with console.status("features of the generated images"):
            fake_feats = extractor(fake_images)
        values = ev.compute(chosen, real_feats, fake_feats, fake_images)
        result = ev.EvalResult(values, {**protocol, **source, "metrics": chosen, "reference_cached": cached},
                               time.perf_counter() - start)
        written = ev.write_result(result, out_dir)
        table = Table(title=f"{source.get('model') or fake} vs {reference}  ({n} images, {protocol['extractor']} features)")
        table.add_column("metric")
        table.add_column("value", justify="right")
        for key, value in values.items():
            table.add_row(key, f"{value:.4f}" if isinstance(value, float) else str(value))
        Console().print(table)
        console.print(f"written {written}" + ("  (reference features from cache)" if cached else ""))
