"""Images under a folder (recursive), decoded once in parallel and cached (gantool.data.decode_cache).

Labels: a `dataset.json` at the top (StyleGAN2-ADA's layout, see gantool.data.archive) wins;
otherwise, when every image sits in a first-level subfolder and there are at least two,
the subfolders are the classes (in sorted order). A change to any image file (added,
removed, a new size or mtime) is detected at the next start and the folder re-decoded.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from gantool.core.errors import UserError
from gantool.data.archive import EXTENSIONS, LABELS_FILE, is_image, parse_labels, to_arrays
from gantool.data.decode_cache import Source
from gantool.specs import DataArrays, DataRequest


def scan(root: Path) -> list[list]:
    """[relative name, size, mtime_ns] of every image file under `root`, sorted by name.
    Linked folders are followed (class folders are often links), each real folder once.
    Plain strings, not Paths, inside the loop: this runs at every start, over every file."""
    found: list[list] = []
    stack, seen = [(str(root), "")], {os.path.realpath(root)}
    while stack:
        folder, prefix = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:
            raise UserError(f"cannot list {folder} ({exc.strerror})") from None
        for entry in entries:
            if entry.is_dir():
                real = os.path.realpath(entry.path)
                if real not in seen:
                    seen.add(real)
                    stack.append((entry.path, f"{prefix}{entry.name}/"))
            elif is_image(entry.name) and entry.is_file():
                st = entry.stat()
                found.append([prefix + entry.name, st.st_size, st.st_mtime_ns])
    found.sort()
    return found


def list_images(root: Path) -> list[Path]:
    return [root / name for name, _, _ in scan(root)]


def _subfolder_labels(names: list[str]) -> tuple[np.ndarray | None, int]:
    """Class labels from first-level subfolders, only when every image sits in one."""
    parts = [name.split("/") for name in names]
    if any(len(p) < 2 for p in parts):
        return None, 0
    classes = sorted({p[0] for p in parts})
    if len(classes) < 2:
        return None, 0
    index = {c: i for i, c in enumerate(classes)}
    return np.array([index[p[0]] for p in parts], dtype=np.int64), len(classes)


def folder_source(root: Path) -> Source:
    if not root.is_dir():
        raise UserError(f"image folder {root} does not exist or is not a directory")
    listing = scan(root)
    if not listing:
        raise UserError(f"image folder {root} holds no images ({', '.join(sorted(EXTENSIONS))})")
    names = [name for name, _, _ in listing]
    labels_file = root / LABELS_FILE
    if labels_file.is_file():
        try:
            text = labels_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"cannot read {labels_file} ({exc})") from None
        labels, num_classes = parse_labels(text, names, f"image folder {root}")
        st = labels_file.stat()
        listing = [*listing, [LABELS_FILE, st.st_size, st.st_mtime_ns]]
    else:
        labels, num_classes = _subfolder_labels(names)
    return Source("folder", root, names, listing, labels, num_classes)


def load(arg: str | None, request: DataRequest) -> DataArrays:
    if not arg:
        raise UserError("folder needs a path: --data folder:PATH")
    return to_arrays(folder_source(Path(arg).expanduser()), request)
