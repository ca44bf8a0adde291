"""`gantool bench`: training, sampling and feature-extraction speed on this machine."""

from __future__ import annotations

import json

import typer


def register(app: typer.Typer) -> None:
    @app.command("bench")
    def bench(
        model: str = typer.Option("dcgan", "--model", help="Model to time (its default shape and batch size)."),
        device: str = typer.Option("auto", "--device", help="auto (cuda > mps > cpu), cpu, cuda, cuda:N."),
        steps: int = typer.Option(50, "--steps", help="Timed training steps (after warm-up)."),
        warmup: int = typer.Option(5, "--warmup", help="Untimed steps first."),
        batch_size: int | None = typer.Option(None, "--batch-size", help="Override the model's batch size."),
        features: bool = typer.Option(True, "--features/--no-features", help="Also time Inception features (needs its weights)."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table."),
        set_: list[str] = typer.Option([], "--set", metavar="KEY=VALUE", help="Config overrides, e.g. --set image_size=64 --set channels=3."),
    ) -> None:
        """Training img/s with FLOPs per image and MFU, sampling img/s in PyTorch and ONNX
        Runtime, and Inception features/s; synthetic data, nothing is downloaded but weights."""
        from gantool.config import parse_sets
        from gantool.core.errors import UserError
        from gantool.train import bench as b

        if steps <= 0 or warmup < 0:
            raise UserError("--steps must be positive and --warmup not negative")
        result = b.train_speed(model, device, steps, warmup, batch_size, parse_sets(set_))
        trainer = result.pop("trainer")
        if trainer.model_args.data_dim == 0:  # image models: sampling through ONNX Runtime too
            result.update(b.sampling_speed(trainer))
        if features:
            result.update(b.feature_speed())
        if as_json:
            print(json.dumps(result))
            return
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"gantool bench: {model} on {result['device']} ({result['precision']})")
        table.add_column("measure")
        table.add_column("value", justify="right")
        for key, value in result.items():
            if key not in ("model", "device", "precision"):
                table.add_row(key, "n/a" if value is None else str(value))
        Console().print(table)
