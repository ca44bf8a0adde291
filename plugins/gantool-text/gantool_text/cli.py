"""`gantool text-curve RUN`: the BLEU / Self-BLEU curve over sampling temperatures."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def text_curve(
    run: Path = typer.Argument(..., help="An exported token run (RUN or RUN/generator.onnx)."),
    temperatures: str = typer.Option("0.5,0.7,0.85,1.0,1.2,1.5", "--temperatures", help="Comma-separated."),
    n: int = typer.Option(1000, "-n", help="Samples per temperature (also Self-BLEU's set)."),
    order: int = typer.Option(5, "--order", help="BLEU order (2-5)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the latents (the same at every temperature)."),
    output: Path = typer.Option(Path("text-curve.png"), "-o", "--output", help="The plot; a .json beside it."),
    others: list[Path] = typer.Option([], "--with", help="Another exported run to mark at temperature 1 (repeatable)."),
) -> None:
    """Quality (BLEU against held-out data) against diversity (Self-BLEU) of a token generator
    over sampling temperatures, from its generator-tempered.onnx, as Caccia et al. compare
    language GANs with MLE."""
    from gantool import UserError
    from gantool_text import PLUGIN
    from gantool_text.curve import curve, plot

    try:
        temps = [float(t) for t in temperatures.split(",") if t.strip()]
    except ValueError:
        raise UserError(f"{PLUGIN}: --temperatures takes numbers, e.g. 0.7,1.0") from None
    if not temps or min(temps) <= 0 or not 2 <= order <= 5 or n < 2:
        raise UserError(f"{PLUGIN}: temperatures must be positive, --order 2-5 and -n at least 2")
    points, md = curve(run, temps, n, order, seed)
    marks = {}
    for other in others:
        (point,), other_md = curve(other, [1.0], n, order, seed)
        marks[f"{other_md.get('model')} {other.name}"] = point
    title = f"{md.get('model')} on {md.get('dataset')}, step {md.get('training_step')}"
    plot(points, order, title, output, marks)
    rows = [{"temperature": p.temperature, f"bleu{order}": p.bleu, f"selfbleu{order}": p.self_bleu} for p in points]
    extra = {name: {f"bleu{order}": p.bleu, f"selfbleu{order}": p.self_bleu} for name, p in marks.items()}
    output.with_suffix(".json").write_text(json.dumps({"generator": str(run), "n": n, "seed": seed, "points": rows,
                                                       "others": extra}, indent=1))
    for p in points:
        typer.echo(f"T={p.temperature:<5g} bleu{order} {p.bleu:.4f}  selfbleu{order} {p.self_bleu:.4f}")
    for name, p in marks.items():
        typer.echo(f"{name}: bleu{order} {p.bleu:.4f}  selfbleu{order} {p.self_bleu:.4f}")
    typer.echo(f"wrote {output} and {output.with_suffix('.json')}")
