"""`gantool monitor [RUN_DIR|PROJECT_DIR]`: the live dashboard (quitting never stops training)."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("monitor")
    def monitor(
        path: Path = typer.Argument(Path("runs"), metavar="[RUN_DIR|PROJECT_DIR]", help="A run, or a folder of runs (default: runs)."),
        image: str = typer.Option("auto", "--image", help="How to draw sample grids: auto (a graphics protocol when the terminal has one, else half-blocks), sixel, tgp, halfblocks."),
    ) -> None:
        """Watch runs live: losses, metrics, speed, samples and events; steer with keys.

        Keys: p pause/resume, s sample now, c checkpoint now, x stop (asks first), l log scale,
        +/- smoothing, m next metric, q quit (training goes on).
        """
        from gantool.core.errors import UserError
        from gantool.run import find_runs
        from gantool.tui.app import MonitorApp
        from gantool.tui.graphics import choose

        if not path.exists():
            raise UserError(f"{path} does not exist; give a run directory or a project folder (e.g. runs)")
        if not find_runs(path):
            raise UserError(f"no gantool runs in {path}; start one with `gantool train dcgan`")
        app = MonitorApp(path, image_widget=choose(image))
        app.run()
        raise typer.Exit(app.return_code or 0)
