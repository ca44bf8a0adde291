"""Tables as gantool sees them (data kind "table"): a float32 matrix `[rows, columns]` plus a
description of each column. A continuous column holds its values; a discrete column holds
the index of its category. The description travels with the data (`DataArrays.columns`),
with an exported generator (metadata `columns`, JSON) and into every CSV gantool writes, so
samples read back as the original table without torch or the training code.

    {"name": "mean radius", "kind": "continuous"}
    {"name": "target", "kind": "discrete", "categories": ["malignant", "benign"]}
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from gantool.core.errors import UserError
from gantool.core.fsutil import atomic_write

CONTINUOUS, DISCRETE = "continuous", "discrete"


def check_columns(columns: Any) -> list[dict[str, Any]]:
    """The column list, checked: unique names, a known kind, categories for discrete ones."""
    if not isinstance(columns, list) or not columns:
        raise UserError("a table needs a non-empty list of columns")
    names = set()
    for col in columns:
        name, kind = col.get("name"), col.get("kind")
        if not isinstance(name, str) or not name or name in names:
            raise UserError(f"table column names must be unique, non-empty strings (got {name!r})")
        names.add(name)
        if kind not in (CONTINUOUS, DISCRETE):
            raise UserError(f"column {name!r}: kind must be {CONTINUOUS} or {DISCRETE}, not {kind!r}")
        if kind == DISCRETE and not col.get("categories"):
            raise UserError(f"discrete column {name!r} lists no categories")
    return columns


def to_json(columns: list[dict[str, Any]]) -> str:
    return json.dumps(columns, separators=(",", ":"))


def from_json(text: str) -> list[dict[str, Any]]:
    try:
        return check_columns(json.loads(text))
    except (json.JSONDecodeError, AttributeError):
        raise UserError("the table description (metadata 'columns') is not valid JSON") from None


def category_index(values: np.ndarray, count: int) -> np.ndarray:
    """Category indices from a discrete column's floats (rounded, clipped into range)."""
    return np.clip(np.rint(values), 0, count - 1).astype(np.int64)


def as_text_rows(table: np.ndarray, columns: list[dict[str, Any]]) -> list[list[str]]:
    cells = []
    for j, col in enumerate(columns):
        if col["kind"] == DISCRETE:
            names = np.asarray([str(c) for c in col["categories"]], dtype=object)
            cells.append(names[category_index(table[:, j], len(names))])
        else:
            cells.append(np.asarray([f"{v:.6g}" for v in table[:, j]], dtype=object))
    return np.stack(cells, axis=1).tolist() if cells else []


def write_csv(path: Path, table: np.ndarray, columns: list[dict[str, Any]]) -> None:
    """A header of column names, then one row per sample; written atomically."""
    buffer = io.StringIO()
    out = csv.writer(buffer)
    out.writerow([c["name"] for c in columns])
    out.writerows(as_text_rows(table, columns))
    atomic_write(Path(path), lambda fh: fh.write(buffer.getvalue()))
