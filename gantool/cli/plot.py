"""`gantool plot RUN_DIR -o losses.png`: the run's curves as a picture."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("plot")
    def plot(
        run_dir: Path = typer.Argument(..., metavar="RUN_DIR", help="A run directory."),
        output: Path = typer.Option(Path("losses.png"), "-o", "--output", metavar="PATH", help="PNG to write."),
        force: bool = typer.Option(False, "--force", help="Replace an existing file."),
    ) -> None:
        """Plot losses and other metrics of a run (raw and smoothed) to a PNG."""
        from gantool.core.errors import UserError
        from gantool.run import RunLayout
        from gantool.tui.plot import plot as draw

        layout = RunLayout(run_dir)
        if not layout.metrics.exists() and not layout.config.exists():
            raise UserError(f"{run_dir} is not a gantool run directory")
        if output.exists() and not force:
            raise UserError(f"{output} exists; pass --force to replace it")
        if not output.parent.is_dir():
            raise UserError(f"cannot write {output}: folder {output.parent} does not exist")
        panels = draw(run_dir, output)
        typer.echo(f"wrote {output} ({panels} panels)")
