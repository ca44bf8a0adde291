"""An image array stored in an .npz file, with optional labels."""

from __future__ import annotations

import contextlib
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


NPZ_MAGIC, NPY_MAGIC = b"PK", b"\x93NUMPY"


def _open(path: Path, source: str):
    """The file's arrays as a mapping (an .npz archive, or {"x": array} for an .npy file).

    The magic bytes are checked first: numpy treats any other file as a pickle and says
    'allow_pickle', which must never be the advice for a data file."""
    try:
        with open(path, "rb") as fh:
            magic = fh.read(6)
    except FileNotFoundError:
        raise UserError(f"{source} does not exist") from None
    except OSError as exc:
        raise UserError(f"{source} cannot be read ({exc.strerror})") from None
    if not (magic.startswith(NPZ_MAGIC) or magic == NPY_MAGIC):
        raise UserError(f"{source} is neither an .npz (a zip of arrays, from numpy.savez) nor an .npy file")
    try:
        loaded = np.load(path, allow_pickle=False)
    except ValueError as exc:
        if "Object arrays" in str(exc):  # an .npy of objects is refused at load, not at access
            raise UserError(f"{source} holds Python objects, not numbers; save it as a numeric array "
                            "(uint8 or float images)") from None
        raise UserError(f"{source} is not a readable .npz or .npy ({str(exc).splitlines()[0][:120]})") from None
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise UserError(f"{source} is not a readable .npz ({str(exc).splitlines()[0][:120]})") from None
    if isinstance(loaded, np.ndarray):  # an .npy: the images alone
        return contextlib.nullcontext({"x": loaded})
    return loaded


def _array(archive, key: str, source: str) -> np.ndarray:
    try:
        return archive[key]
    except ValueError:  # numpy refuses object arrays without pickle, rightly
        raise UserError(f"{source}: array {key!r} holds Python objects, not numbers; "
                        "save it as a numeric array (uint8 or float images, integer labels)") from None
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise UserError(f"{source}: array {key!r} cannot be read ({exc})") from None


def load(arg: str | None, request: DataRequest) -> DataArrays:
    if not arg:
        raise UserError("npz needs a path: --data npz:PATH")
    path = Path(arg).expanduser()
    source = f"npz file {path}"
    with _open(path, source) as archive:
        files = list(archive.keys()) if isinstance(archive, dict) else archive.files
        key = next((k for k in IMAGE_KEYS if k in files), None)
        if key is None:
            raise UserError(f"{source} has no image array; name it one of {', '.join(IMAGE_KEYS)}")
        x = _to_uint8(_to_nchw(_array(archive, key, source), source), source)
        label_key = next((k for k in LABEL_KEYS if k in files), None)
        labels = _array(archive, label_key, source) if label_key else None
    num_classes = 0
    if labels is not None:
        if labels.shape != (len(x),) or not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0:
            raise UserError(f"{source}: labels must be non-negative integers of shape ({len(x)},), got {labels.shape} {labels.dtype}")
        labels = labels.astype(np.int64)
        num_classes = int(labels.max()) + 1
    x = fit_array(x, request.image_size, request.channels)
    return DataArrays(x=x, kind="image", labels=labels, num_classes=num_classes, description=f"{source} ({len(x)} images)")
