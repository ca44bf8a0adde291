"""`gantool export RUN_DIR|CHECKPOINT --onnx`: one verified, self-describing ONNX file."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export(
        source: Path = typer.Argument(..., metavar="RUN_DIR|CHECKPOINT", help="A run directory or a checkpoint file."),
        onnx: bool = typer.Option(True, "--onnx", help="Export to ONNX (the only format so far)."),
        output: Path | None = typer.Option(None, "-o", "--output", metavar="PATH",
                                              help="Where to write (default: RUN_DIR/generator.onnx)."),
        weights: str | None = typer.Option(None, "--weights", metavar="ema|raw",
                                              help="EMA or raw generator weights (default: ema when trained with --ema)."),
        uint8: bool = typer.Option(False, "--uint8", help="Output uint8 [batch, H, W, C] ready to save as images."),
        fp16: bool = typer.Option(False, "--fp16", help="Compute in float16 inside the graph (inputs and outputs stay float32)."),
        opset: int = typer.Option(18, "--opset", help="ONNX opset version."),
        force: bool = typer.Option(False, "--force", help="Replace an existing output file."),
    ) -> None:
        """Export a trained generator to ONNX and verify it against PyTorch.

        The file has a dynamic batch axis, input `z` [batch, latent_dim] (plus `labels` for
        conditional models) and output `images` [batch, C, H, W] in [-1, 1], and carries its
        model description in metadata_props. Models with export graphs of their own write
        those instead, one file per graph: cyclegan writes generator-a2b.onnx and
        generator-b2a.onnx with input `image`. The export fails, writing nothing, when ONNX
        Runtime and PyTorch disagree beyond tolerance.
        """
        from rich.console import Console

        from gantool.core.errors import UserError
        from gantool.export.onnx_export import export_run

        if not onnx:
            raise UserError("choose an export format: --onnx")
        result = export_run(source, output=output, weights=weights, uint8=uint8, fp16=fp16, opset=opset, force=force)
        gen = result.generator
        console = Console(highlight=False, soft_wrap=True)
        for report in result.reports:
            what = gen.cfg.model + (f" {report.name}" if report.name else "")
            console.print(f"exported {what} ({report.metadata['weights']} weights, step {gen.step}) to "
                          f"{report.path} ({report.size_bytes / 1e6:.1f} MB)")
            console.print(f"verified: onnx checker passed; ONNX Runtime vs PyTorch max difference "
                          f"{report.max_diff:.2e} (tolerance {report.tolerance:g})")
            if not result.default:  # a model's own graph: say what it takes
                inputs = ", ".join(f"{i.name} {i.dtype} [{', '.join(map(str, i.shape))}]" for i in report.inputs)
                console.print(f"inputs: {inputs}; output: {report.output}", markup=False)
        if not result.default:
            return
        console.print("next:")
        if gen.is_image:
            console.print(f"  gantool sample {report.path} -n 64 -o samples.png")
            console.print(f"  gantool sample {report.path} -n 16 --interpolate 24 -o walk.gif")
        else:
            console.print(f"  gantool sample {report.path} -n 2000 -o samples.csv")
