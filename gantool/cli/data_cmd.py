"""`gantool data info SRC` and `gantool data prepare SRC --size N -o OUT`: image datasets
decoded ahead of training.

SRC is `folder:PATH`, `zip:PATH`, a bare path (a folder, or a .zip), or for `prepare` any
image dataset by name (`mnist`, `npz:PATH`, ...). `prepare` decodes into the same cache a
training run opens (gantool.data.decode_cache) and, with `-o OUT.zip` or `-o NEW_FOLDER`,
writes the StyleGAN2-ADA layout (gantool.data.archive), or with `-o OUT.npz` an array file
for `npz:`. Unreadable files are skipped and listed, as `--skip-bad` would. Torch-free.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer

SHOWN = 10  # unreadable files listed by name; the rest are counted


def _source(text: str) -> Any:
    """The decode_cache.Source for a folder or zip SRC, or None for another dataset."""
    from gantool.core.errors import UserError
    from gantool.data.archive import zip_source
    from gantool.data.folder import folder_source

    kind, _, rest = text.partition(":")
    if kind == "folder" and rest:
        return folder_source(Path(rest).expanduser())
    if kind == "zip" and rest:
        return zip_source(Path(rest).expanduser())
    if rest and re.fullmatch(r"[A-Za-z0-9_.-]+", kind) and len(kind) > 1:  # NAME:ARG (a drive letter is a path)
        return None
    path = Path(text).expanduser()
    if path.is_dir():
        return folder_source(path)
    if path.suffix.lower() == ".zip" and path.exists():
        return zip_source(path)
    if not _looks_like_path(text):
        return None  # a dataset name
    if not path.exists():
        raise UserError(f"{path} does not exist (no such folder or file)")
    raise UserError(f"{path} is neither a folder nor a .zip; an array file is read as npz:{path}")


def _looks_like_path(text: str) -> bool:
    return "/" in text or "\\" in text or text.startswith(("~", ".")) or Path(text).suffix != ""


def _classes(labels: Any, num_classes: int) -> str:
    import numpy as np

    if labels is None:
        return "none (unlabelled)"
    counts = np.bincount(labels, minlength=num_classes)
    return f"{num_classes} (images per class: min {counts.min()}, max {counts.max()})"


def _sizes(source: Any, sample: int = 100) -> str:
    """Width x height range of up to `sample` files spread over the source (headers only)."""
    from PIL import Image

    from gantool.data.decode_cache import DECODE_ERRORS, open_reader

    picks = source.names[:: max(1, len(source.names) // sample)][:sample]
    dims = []
    with open_reader(source.kind, str(source.root)) as read:
        for name in picks:
            try:
                with Image.open(read(name)) as img:
                    dims.append(img.size)
            except DECODE_ERRORS:
                continue
    if not dims:
        return "none readable among those sampled"
    shorter = sorted(min(d) for d in dims)
    lo, hi = min(dims, key=min), max(dims, key=min)
    return (f"{lo[0]}x{lo[1]} to {hi[0]}x{hi[1]}, shorter side median {shorter[len(shorter) // 2]} "
            f"({len(dims)} of {len(source.names)} files sampled)")


def info(src: str) -> None:
    from gantool.core.errors import UserError
    from gantool.data import decode_cache

    source = _source(src)
    if source is None:
        raise UserError(f"{src} is not a folder or a .zip; gantool data info reads folder:PATH or zip:PATH")
    typer.echo(f"source:   {source.label}")
    typer.echo(f"images:   {len(source.names)} files")
    typer.echo(f"classes:  {_classes(source.labels, source.num_classes)}")
    typer.echo(f"sizes:    {_sizes(source)}")
    found = decode_cache.entries(source)
    if not found:
        typer.echo("cache:    none yet (the first training run or `gantool data prepare` decodes it)")
    for entry, index, current in found:
        if index is None:
            typer.echo(f"cache:    {entry} (damaged: rebuilt at next use)")
            continue
        c, s, _ = index["shape"]
        state = "current" if current else "stale: the source changed, re-decoded at next use"
        bad = f", {len(index.get('unreadable', []))} unreadable" if index.get("unreadable") else ""
        size_mb = sum(p.stat().st_size for p in entry.iterdir()) / 2**20
        typer.echo(f"cache:    {s}x{s}x{c}, {index['count']} images{bad}, {size_mb:.1f} MiB, {state} ({entry})")


def prepare(src: str, size: int, channels: int, output: Path | None, workers: int, force: bool) -> None:
    import numpy as np

    from gantool.core.errors import UserError

    folder = output is not None and output.suffix.lower() not in (".zip", ".npz")
    if output is not None:
        if folder and output.exists():
            raise UserError(f"{output} exists; a folder is written only where none is (or write OUT.zip, OUT.npz)")
        if output.exists() and not force:
            raise UserError(f"{output} exists; pass --force to replace it")
        if not output.parent.is_dir():
            raise UserError(f"cannot write {output}: folder {output.parent} does not exist")
    x, labels = _decode(src, size, channels, workers)
    if output is None:
        return
    if folder or output.suffix.lower() == ".zip":
        from gantool.data.archive import write_folder, write_zip

        (write_folder if folder else write_zip)(output, x, labels)
    else:
        from gantool.core.fsutil import atomic_write

        arrays = {"x": np.asarray(x)} | ({"y": labels} if labels is not None else {})
        atomic_write(output, lambda fh: np.savez(fh, **arrays), mode="wb")
    typer.echo(f"wrote {output} ({len(x)} images, {size}x{size}x{channels})")


def _decode(src: str, size: int, channels: int, workers: int) -> tuple[Any, Any]:
    from gantool.data import decode_cache

    source = _source(src)
    if source is None:  # any other image dataset, through the registry
        from gantool.plugins import registry
        from gantool.specs import DataRequest

        data = registry().open_dataset(src, DataRequest(image_size=size, channels=channels, skip_bad=True),
                                       kind="image")
        typer.echo(f"read {data.description}")
        return data.x, data.labels
    decoded = decode_cache.load(source, size, channels, workers=workers or None)
    verb = "decoded" if decoded.built else "cache current for"
    typer.echo(f"{verb} {source.label}: {len(decoded.x)} images at {size}x{size}x{channels} ({decoded.path})")
    if decoded.unreadable:
        typer.echo(f"skipped {len(decoded.unreadable)} unreadable file(s):")
        for name, why in decoded.unreadable[:SHOWN]:
            typer.echo(f"  {name} ({why})")
        if len(decoded.unreadable) > SHOWN:
            typer.echo(f"  ... and {len(decoded.unreadable) - SHOWN} more")
    return decoded.x, decoded.labels


def register(app: typer.Typer) -> None:
    data_app = typer.Typer(help="Image datasets: inspect them, decode them ahead of training, convert them.",
                           no_args_is_help=True)

    @data_app.command("info")
    def info_cmd(src: str = typer.Argument(..., metavar="SRC", help="folder:PATH, zip:PATH, or a path.")) -> None:
        """Counts, classes and cache state of an image folder or dataset zip."""
        info(src)

    @data_app.command("prepare")
    def prepare_cmd(
        src: str = typer.Argument(..., metavar="SRC", help="folder:PATH, zip:PATH, a path, or any image dataset."),
        size: int = typer.Option(..., "--size", min=1, metavar="N", help="Image size (shorter side resized, centre crop)."),
        channels: int = typer.Option(3, "--channels", metavar="C", help="1 (grey) or 3 (RGB)."),
        output: Path | None = typer.Option(None, "-o", "--output", metavar="OUT",
                                              help="OUT.zip or a new folder (StyleGAN2-ADA layout), or "
                                                   "OUT.npz; without it, only the cache training opens."),
        workers: int = typer.Option(0, "--workers", min=0, metavar="N", help="Decoding processes (0: the CPU count)."),
        force: bool = typer.Option(False, "--force", help="Replace an existing OUT."),
    ) -> None:
        """Decode a dataset once (in parallel, cached); optionally write it as a zip, folder or npz."""
        from gantool.core.errors import UserError

        if channels not in (1, 3):
            raise UserError(f"--channels must be 1 or 3, not {channels}")
        prepare(src, size, channels, output, workers, force)

    app.add_typer(data_app, name="data")
