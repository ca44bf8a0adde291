"""StyleGAN2-ADA style datasets: `zip:PATH` to read, and writers (a zip or a folder) for
`gantool data prepare`.

The layout is the one StyleGAN2-ADA's dataset_tool.py writes and its training reads: image
files (any folder depth; dataset_tool writes `00000/img00000000.png`, 1000 to a folder) and,
optionally, `dataset.json` at the top holding `{"labels": [[name, label], ...]}` (or
`"labels": null`). Images are taken in sorted name order. A label is a class index; label
vectors (which StyleGAN also accepts) are refused, as gantool's conditional models take
classes. The same `dataset.json` in a folder's top level labels a `folder:` dataset.

Invariants: a zip is only read (never extracted); every image in a labelled set must have a
label; the writer produces PNGs (lossless), so a set read back is identical.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Iterator

import numpy as np
from PIL import Image

from gantool.core.errors import UserError
from gantool.core.fsutil import atomic_write
from gantool.data import decode_cache
from gantool.data.decode_cache import Source
from gantool.specs import DataArrays, DataRequest

EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm"}
LABELS_FILE = "dataset.json"
PER_FOLDER = 1000  # images per subfolder, as dataset_tool writes them


def is_image(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in EXTENSIONS


def parse_labels(text: str, names: list[str], where: str) -> tuple[np.ndarray | None, int]:
    """Class labels for `names` from the text of a dataset.json; (None, 0) when it has none."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise UserError(f"{where}: {LABELS_FILE} is not valid JSON ({exc})") from None
    pairs = doc.get("labels") if isinstance(doc, dict) else "bad"
    if pairs is None:
        return None, 0
    if not isinstance(pairs, list) or not all(isinstance(p, list) and len(p) == 2 for p in pairs):
        raise UserError(f'{where}: {LABELS_FILE} must hold {{"labels": [[name, label], ...]}} or "labels": null')
    table: dict[str, Any] = {str(name).replace("\\", "/"): label for name, label in pairs}
    missing = [n for n in names if n not in table]
    if missing:
        raise UserError(f"{where}: {LABELS_FILE} has no label for {missing[0]} ({len(missing)} image(s) without one)")
    values = [table[n] for n in names]
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values):
        raise UserError(f"{where}: {LABELS_FILE} labels must be class indices (whole numbers >= 0); "
                        "label vectors are not supported")
    labels = np.array(values, dtype=np.int64)
    return labels, int(labels.max()) + 1 if len(labels) else 0


def zip_source(path: Path) -> Source:
    """The images and labels of a StyleGAN-layout zip."""
    where = f"zip archive {path}"
    try:
        with zipfile.ZipFile(path) as zf:
            infos = sorted((i for i in zf.infolist() if not i.is_dir() and is_image(i.filename)),
                           key=lambda i: i.filename)
            names = [i.filename for i in infos]
            labels_text = zf.read(LABELS_FILE).decode("utf-8") if LABELS_FILE in zf.namelist() else None
    except FileNotFoundError:
        raise UserError(f"{where} does not exist") from None
    except IsADirectoryError:
        raise UserError(f"{where} is a folder; use --data folder:{path}") from None
    except (zipfile.BadZipFile, OSError, UnicodeDecodeError, EOFError) as exc:
        raise UserError(f"{where} cannot be read ({type(exc).__name__}: {str(exc)[:100]})") from None
    if not names:
        raise UserError(f"{where} holds no images ({', '.join(sorted(EXTENSIONS))})")
    labels, num_classes = parse_labels(labels_text, names, where) if labels_text is not None else (None, 0)
    st = path.stat()
    # the members by size and CRC, and the archive itself (a rewritten dataset.json changes it)
    listing = [[i.filename, i.file_size, i.CRC] for i in infos] + [[path.name, st.st_size, st.st_mtime_ns]]
    return Source("zip", path, names, listing, labels, num_classes)


def load(arg: str | None, request: DataRequest) -> DataArrays:
    """`zip:PATH`: a StyleGAN2-ADA dataset archive, decoded once and cached."""
    if not arg:
        raise UserError("zip needs a path: --data zip:PATH")
    path = Path(arg).expanduser()
    return to_arrays(zip_source(path), request)


def to_arrays(source: Source, request: DataRequest) -> DataArrays:
    """Decode (or open the cache of) `source` as `request` asks; unreadable files follow --skip-bad."""
    from gantool.core.typed_options import read_bool, read_float, read_int

    workers = read_int(request.options, "workers", 0, scope="data", minimum=0) or None
    use_cache = read_bool(request.options, "cache", True, scope="data")
    if "memory_gb" in request.options:  # read by the trainer's batches; refused here before any decoding
        read_float(request.options, "memory_gb", 0.0, 1e-6, scope="data")
    decoded = decode_cache.load(source, request.image_size, request.channels, workers=workers,
                                progress=request.progress, use_cache=use_cache)
    if decoded.unreadable and not request.skip_bad:
        name, why = decoded.unreadable[0]
        more = f" (and {len(decoded.unreadable) - 1} more)" if len(decoded.unreadable) > 1 else ""
        raise UserError(f"cannot read image {source.root / name} ({why}){more}; remove it or pass --skip-bad")
    if len(decoded.x) == 0:
        raise UserError(f"no readable images in {source.root} ({len(decoded.unreadable)} skipped)")
    skipped = len(decoded.unreadable)
    note = f", {skipped} unreadable skipped" if skipped else ""
    return DataArrays(x=decoded.x, kind="image", labels=decoded.labels, num_classes=decoded.num_classes,
                      description=f"{source.label} ({len(decoded.x)} images{note})", skipped=skipped)


def _members(x: np.ndarray, labels: np.ndarray | None) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of the layout: PNGs under 00000/, 00001/, ..., then dataset.json.
    PNGs are stored uncompressed, as dataset_tool writes them (the zip is read, not shipped)."""
    pairs = []
    for i, img in enumerate(x):
        name = f"{i // PER_FOLDER:05d}/img{i:08d}.png"
        buf = io.BytesIO()
        pixels = img[0] if img.shape[0] == 1 else img.transpose(1, 2, 0)
        Image.fromarray(np.ascontiguousarray(pixels)).save(buf, format="png", compress_level=0)
        yield name, buf.getvalue()
        if labels is not None:
            pairs.append([name, int(labels[i])])
    yield LABELS_FILE, json.dumps({"labels": pairs if labels is not None else None}).encode()


def write_zip(path: Path, x: np.ndarray, labels: np.ndarray | None) -> None:
    """Write uint8 [N, C, H, W] images (and class labels) as a StyleGAN2-ADA dataset zip, atomically."""
    def write(fh) -> None:
        with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED) as zf:
            for name, data in _members(x, labels):
                zf.writestr(name, data)

    atomic_write(path, write, mode="wb")


def write_folder(path: Path, x: np.ndarray, labels: np.ndarray | None) -> None:
    """The same layout as a folder `path` (which must not exist): written beside it under a
    temporary name and renamed when complete, so a half-written folder never has its name."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        for name, data in _members(x, labels):
            (tmp / name).parent.mkdir(exist_ok=True)
            (tmp / name).write_bytes(data)
        tmp.rename(path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
