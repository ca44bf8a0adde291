"""Writing generated samples: a PNG grid, a folder of PNGs, an NPZ, a CSV or a GIF walk
(whose frames gantool/runtime/interpolate.py makes)."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import numpy as np
from PIL import Image

from gantool.core.errors import UserError
from gantool.core.fsutil import atomic_write
from gantool.core.imaging import save_grid, save_png, save_scatter, to_uint8, upscale_for


def as_uint8_images(out: np.ndarray, uint8: bool) -> np.ndarray:
    """Generator output -> uint8 [N, H, W, C], whatever the export's output format."""
    return out if uint8 else to_uint8(out)


def kind_spec(kind: str):
    """The registered DataKindSpec of a generator's data kind (image, vector, table, a plugin's)."""
    from gantool.plugins import registry

    return registry().get("data kind", kind)


def check_destination(path: Path, kind: str, force: bool, animated: bool = False) -> str:
    """Decide the format from the path (the suffixes the data kind writes; "" is a folder)
    and refuse to clobber or write where we can't."""
    is_dir = path.suffix == "" or path.is_dir()
    fmt = "dir" if is_dir else path.suffix.lower()
    allowed = set(kind_spec(kind).suffixes)
    if fmt not in allowed and not (fmt == "dir" and "" in allowed):
        options = ", ".join(sorted(s or "a folder" for s in allowed))
        raise UserError(f"cannot write {kind} samples to {path}: use {options}")
    if animated and fmt != ".gif":
        raise UserError("--interpolate writes an animated GIF of images: -o walk.gif")
    if fmt == ".gif" and not animated:
        raise UserError(f"{path}: a .gif needs --interpolate STEPS")
    target_dir = path if is_dir else path.parent
    if is_dir and path.exists() and any(path.iterdir()) and not force:
        raise UserError(f"folder {path} is not empty; pass --force to write into it")
    if not is_dir and path.exists() and not force:
        raise UserError(f"{path} exists; pass --force to replace it")
    probe = target_dir if target_dir.exists() else target_dir.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK):
        raise UserError(f"cannot write {path}: {probe} is not a writable folder")
    return fmt


def write_samples(sampler, out: np.ndarray, path: Path, fmt: str, columns: int | None, z: np.ndarray,
                  labels: np.ndarray | None) -> None:
    """What `sampler`'s generator made from `z` (and `labels`) to `path` in `fmt` (as
    `check_destination` decided): images, table rows or vectors, by what the model generates."""
    kind_spec(sampler.info.kind).write(sampler, out, path, fmt, columns, z, labels)


# the writers the built-in data kinds register (gantool/data/__init__.py), one signature
def write_image_samples(sampler, out: np.ndarray, path: Path, fmt: str, columns: int | None, z: np.ndarray,
                        labels: np.ndarray | None) -> None:
    write_images(as_uint8_images(out, sampler.info.uint8), path, fmt, columns, z, labels)


def write_table_samples(sampler, out: np.ndarray, path: Path, fmt: str, columns: int | None, z: np.ndarray,
                        labels: np.ndarray | None) -> None:
    from gantool.core import onnx_meta as meta

    if meta.COLUMNS not in sampler.info.metadata:
        raise UserError(f"{sampler.path} generates a table but does not describe its columns (metadata {meta.COLUMNS})")
    write_table(out, path, fmt, z, sampler.info.metadata[meta.COLUMNS])


def write_vector_samples(sampler, out: np.ndarray, path: Path, fmt: str, columns: int | None, z: np.ndarray,
                         labels: np.ndarray | None) -> None:
    write_vectors(out, path, fmt, z)


def write_images(images: np.ndarray, path: Path, fmt: str, columns: int | None,
                 z: np.ndarray, labels: np.ndarray | None) -> None:
    if fmt == ".png":
        save_grid(images, path, columns)
    elif fmt == ".npz":
        extra = {"labels": labels} if labels is not None else {}
        _save_npz(path, images=images, z=z, **extra)
    else:  # a folder, one PNG per image
        path.mkdir(parents=True, exist_ok=True)
        for i, img in enumerate(images):
            save_png(img, path / f"{i:06d}.png")


def write_vectors(samples: np.ndarray, path: Path, fmt: str, z: np.ndarray) -> None:
    if fmt == ".csv":
        def write(fh):
            out = csv.writer(fh)
            out.writerow([f"x{i}" for i in range(samples.shape[1])])
            out.writerows(samples.tolist())

        atomic_write(path, write)
    elif fmt == ".npz":
        _save_npz(path, samples=samples, z=z)
    else:
        save_scatter(samples, None, path)


def write_table(table: np.ndarray, path: Path, fmt: str, z: np.ndarray, columns_json: str) -> None:
    """CSV with the column names and category labels; NPZ with the raw matrix and its description."""
    from gantool.core import tables

    if fmt == ".csv":
        tables.write_csv(path, table, tables.from_json(columns_json))
    else:
        _save_npz(path, samples=table, z=z, columns=np.array(columns_json))


def write_gif(frames: list[np.ndarray], path: Path, frame_ms: int = 60) -> None:
    scale = upscale_for(frames[0])
    pictures = [Image.fromarray(f[..., 0] if f.shape[-1] == 1 else f) for f in frames]
    pictures = [p.resize((p.width * scale, p.height * scale), Image.Resampling.NEAREST) for p in pictures]
    loop = pictures + pictures[-2:0:-1]  # there and back, so the loop has no jump

    def write(fh):
        loop[0].save(fh, format="GIF", save_all=True, append_images=loop[1:], duration=frame_ms, loop=0)

    atomic_write(path, write, mode="wb")


def _save_npz(path: Path, **arrays: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    atomic_write(path, lambda fh: fh.write(buffer.getvalue()), mode="wb")
