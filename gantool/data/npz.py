"""An image array stored in an .npz file, with optional labels."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from gantool.core.errors import UserError
from gantool.data.images import fit_array
from gantool.specs import DataArrays, DataRequest

IMAGE_KEYS = ("x", "images", "arr_0")
LABEL_KEYS = ("y", "labels")


def _to_nchw(x: np.ndarray, source: str) -> np.ndarray:
    if x.ndim == 3:
        return x[:, None]
    if x.ndim == 4 and x.shape[1] in (1, 3):
        return x
    if x.ndim == 4 and x.shape[3] in (1, 3):
        return x.transpose(0, 3, 1, 2)
    raise UserError(f"{source}: images have shape {x.shape}; expected [N,C,H,W] or [N,H,W,C] with C 1 or 3, or [N,H,W]")


def _to_uint8(x: np.ndarray, source: str) -> np.ndarray:
    if x.dtype == np.uint8:
        return x
    if not np.issubdtype(x.dtype, np.floating) and not np.issubdtype(x.dtype, np.integer):
        raise UserError(f"{source}: images have dtype {x.dtype}; expected uint8 or float")
    x = x.astype(np.float32)
    if not np.isfinite(x).all():
        raise UserError(f"{source}: images contain NaN or Inf")
    lo, hi = float(x.min()), float(x.max())
    if lo >= -1.0 - 1e-6 and hi <= 1.0 + 1e-6 and lo < 0:  # [-1, 1]
        x = (x + 1.0) * 127.5
    elif lo >= 0 and hi <= 1.0 + 1e-6:  # [0, 1]
        x = x * 255.0
    elif not (lo >= 0 and hi <= 255):
        raise UserError(f"{source}: float images span [{lo:g}, {hi:g}]; expected [0,1], [-1,1] or [0,255]")
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def load(arg: str | None, request: DataRequest) -> DataArrays:
    if not arg:
        raise UserError("npz needs a path: --data npz:PATH")
    path = Path(arg).expanduser()
    source = f"npz file {path}"
    try:
        archive = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise UserError(f"{source} does not exist") from None
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise UserError(f"{source} is not a readable .npz ({exc})") from None
    with archive:
        key = next((k for k in IMAGE_KEYS if k in archive.files), None)
        if key is None:
            raise UserError(f"{source} has no image array; name it one of {', '.join(IMAGE_KEYS)}")
        x = _to_uint8(_to_nchw(archive[key], source), source)
        label_key = next((k for k in LABEL_KEYS if k in archive.files), None)
        labels = archive[label_key] if label_key else None
    num_classes = 0
    if labels is not None:
        if labels.shape != (len(x),) or not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0:
            raise UserError(f"{source}: labels must be non-negative integers of shape ({len(x)},), got {labels.shape} {labels.dtype}")
        labels = labels.astype(np.int64)
        num_classes = int(labels.max()) + 1
    x = fit_array(x, request.image_size, request.channels)
    return DataArrays(x=x, kind="image", labels=labels, num_classes=num_classes, description=f"{source} ({len(x)} images)")
