"""`gantool translate MODEL.onnx INPUT_DIR -o OUT_DIR`: run an exported translator (input
`image`) over a folder of images with ONNX Runtime; no torch needed."""

from __future__ import annotations

import contextlib
from pathlib import Path

import typer


def translate(
    model: Path = typer.Argument(..., metavar="MODEL.onnx", help="A translator from `gantool export` (e.g. generator-a2b.onnx)."),
    input_dir: Path = typer.Argument(..., metavar="INPUT_DIR", help="Folder of images (searched recursively)."),
    output: Path = typer.Option(..., "-o", "--output", metavar="OUT_DIR", help="Folder for the translated PNGs (same relative names)."),
    grid: Path | None = typer.Option(None, "--grid", metavar="PNG", help="Also write a picture of inputs (odd rows) above their translations."),
    batch_size: int = typer.Option(32, "--batch-size", help="Images per ONNX Runtime call."),
    provider: str = typer.Option("auto", "--provider", help="auto (CUDA when usable), cuda or cpu."),
    force: bool = typer.Option(False, "--force", help="Write into a folder that is not empty."),
) -> None:
    """Translate every image of INPUT_DIR (resized and centre-cropped to the model's size)."""
    import numpy as np
    from rich.console import Console

    from gantool import UserError, list_images, save_png, to_uint8
    from gantool import image_grid as tile
    from gantool_cyclegan import PLUGIN
    from gantool_cyclegan.runner import Translator, read_images

    if batch_size <= 0:
        raise UserError(f"{PLUGIN}: --batch-size must be positive")
    translator = Translator(model, provider)
    if not input_dir.is_dir():
        raise UserError(f"{PLUGIN}: {input_dir} is not a folder of images")
    files = list_images(input_dir)
    if not files:
        raise UserError(f"{PLUGIN}: {input_dir} holds no images")
    if output.exists() and (not output.is_dir() or (any(output.iterdir()) and not force)):
        raise UserError(f"{PLUGIN}: {output} is not an empty folder; pass --force to write into it")
    if grid is not None and grid.exists() and not force:
        raise UserError(f"{PLUGIN}: {grid} exists; pass --force to replace it")
    output.mkdir(parents=True, exist_ok=True)
    console = Console(stderr=True, highlight=False)
    shown_in, shown_out = [], []
    with console.status("translating") if console.is_terminal else contextlib.nullcontext():
        for start in range(0, len(files), batch_size):
            chunk = files[start : start + batch_size]
            images = read_images(chunk, translator.channels, translator.size)
            translated = translator(images)
            for path, picture in zip(chunk, translated):
                target = output / path.relative_to(input_dir).with_suffix(".png")
                target.parent.mkdir(parents=True, exist_ok=True)
                save_png(picture, target)
            if grid is not None and len(shown_in) < 64:
                shown_in.extend(to_uint8(images)[: 64 - len(shown_in)])
                shown_out.extend(translated[: 64 - len(shown_out)])
    if grid is not None:  # pairs of rows: 8 inputs, then their 8 translations
        rows = []
        for i in range(0, len(shown_in), 8):
            rows += shown_in[i : i + 8] + [np.zeros_like(shown_in[0])] * (8 - len(shown_in[i : i + 8]))
            rows += shown_out[i : i + 8] + [np.zeros_like(shown_out[0])] * (8 - len(shown_out[i : i + 8]))
        picture = tile(np.stack(rows), 8)
        save_png(picture, grid, 2 if max(picture.shape[:2]) < 512 else 1)
    if translator.note:
        console.print(translator.note)
    Console(highlight=False, soft_wrap=True).print(
        f"translated {len(files)} image(s) from {input_dir} with {translator.describe()} into {output}"
        + (f"; grid: {grid}" if grid is not None else ""), markup=False)
