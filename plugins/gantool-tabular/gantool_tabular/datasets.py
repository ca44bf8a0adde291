"""Tables for gantool: `csv:PATH` and `sklearn:NAME` (the datasets scikit-learn ships).

A table is `DataArrays(kind="table")`: float32 `[rows, columns]`, discrete columns holding
category indices, and `columns` describing each (gantool.core.tables). Splits: `train` is a
fixed 80 % of the rows (permutation seed 0), `test` the other 20 %, `all` every row; a
model trains on `train`, `gantool eval` tests the classifier score on `test`.

Which CSV columns are discrete: those named in `--discrete COL,...` when given
(then every other column must be numeric), otherwise the columns holding text. A column of
numbers with a few text cells is a typo, not a category column: the first such cell is
named (line and column) instead of silently making every number a category.

Encodings: UTF-8 (with or without BOM), else Windows-1252 (what Excel writes), else
Latin-1; `--set data.encoding=NAME` forces one. The one used is in the description.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from gantool import CONTINUOUS, DISCRETE, DataArrays, DataRequest, UserError, check_columns
from gantool_tabular import PLUGIN

MISSING = {"", "na", "nan", "null", "none", "?"}
MIN_ROWS = 10
TEST_FRACTION = 0.2
SKLEARN = ("breast-cancer", "wine", "iris")


def split_rows(table: np.ndarray, split: str) -> np.ndarray:
    if split == "all":
        return table
    if split not in ("train", "test"):
        raise UserError(f"{PLUGIN}: tables have splits train, test and all, not {split!r}")
    order = np.random.default_rng(0).permutation(len(table))
    n_test = max(1, int(round(len(table) * TEST_FRACTION)))
    return table[np.sort(order[n_test:] if split == "train" else order[:n_test])]


def _discrete_option(request: DataRequest) -> list[str] | None:
    value = request.options.get("discrete")
    if value is None:
        return None
    names = value if isinstance(value, list) else str(value).split(",")
    return [str(n).strip() for n in names if str(n).strip()]


def _as_float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")


def decode(path: Path, encoding: str | None = None) -> tuple[str, str]:
    """The file's text and the encoding it was read with (see the module docstring)."""
    if not path.is_file():
        raise UserError(f"{PLUGIN}: {path} does not exist")
    data = path.read_bytes()
    if b"\0" in data[:65536]:
        raise UserError(f"{PLUGIN}: {path} is a binary file, not a CSV table")
    for name in (encoding,) if encoding else ENCODINGS:
        try:
            return data.decode(name), name
        except LookupError:
            raise UserError(f"{PLUGIN}: unknown encoding {name!r} (data.encoding); e.g. utf-8, cp1252, latin-1") from None
        except UnicodeDecodeError as exc:
            if encoding:
                raise UserError(f"{PLUGIN}: {path} is not {encoding} (byte {exc.start} is 0x{data[exc.start]:02x}); "
                                "drop --set data.encoding to let it be detected") from None
    raise AssertionError("latin-1 decodes any bytes")


def _typo_cell(cells: list[str], numbers: list[float | None]) -> int | None:
    """The first text cell of a column that is otherwise numbers (most cells parse), else None."""
    text = [i for i, v in enumerate(numbers) if v is None]
    return text[0] if text and len(text) * 2 < len(cells) else None


def read_csv(path: Path, discrete: list[str] | None, encoding: str | None = None) -> tuple[np.ndarray, list[dict], str]:
    text, used = decode(path, encoding)
    rows = [r for r in csv.reader(io.StringIO(text, newline="")) if any(cell.strip() for cell in r)]
    if not rows:
        raise UserError(f"{PLUGIN}: {path} is empty")
    header, body = [h.strip() for h in rows[0]], rows[1:]
    if len(set(header)) != len(header) or not all(header):
        raise UserError(f"{PLUGIN}: {path} needs a header row of unique, non-empty column names")
    if len(body) < MIN_ROWS:
        raise UserError(f"{PLUGIN}: {path} has {len(body)} data row(s); a GAN needs a table of at least {MIN_ROWS}")
    for i, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise UserError(f"{PLUGIN}: {path} line {i} has {len(row)} cells, the header {len(header)}")
    unknown = sorted(set(discrete or []) - set(header))
    if unknown:
        raise UserError(f"{PLUGIN}: --discrete names {', '.join(unknown)}, not columns of {path} ({', '.join(header)})")
    columns, values = [], []
    for j, name in enumerate(header):
        cells = [row[j].strip() for row in body]
        missing = [i + 2 for i, c in enumerate(cells) if c.lower() in MISSING]
        if missing:
            where = ", ".join(map(str, missing[:5])) + (" ..." if len(missing) > 5 else "")
            raise UserError(f"{PLUGIN}: column {name!r} of {path} has missing values (lines {where}); fill or drop them")
        numbers = [_as_float(c) for c in cells]
        if discrete is None and (typo := _typo_cell(cells, numbers)) is not None:
            raise UserError(f"{PLUGIN}: column {name!r} of {path} holds numbers, but line {typo + 2} holds "
                            f"{cells[typo]!r}; fix that cell, or list the column in --discrete COL,... to make "
                            "every value a category")
        is_discrete = name in discrete if discrete is not None else any(v is None for v in numbers)
        if is_discrete:
            categories = sorted(set(cells), key=lambda c: (_as_float(c) is None, _as_float(c) or 0.0, c))
            index = {c: k for k, c in enumerate(categories)}
            columns.append({"name": name, "kind": DISCRETE, "categories": categories})
            values.append([index[c] for c in cells])
        else:
            bad = next((i for i, v in enumerate(numbers) if v is None or not np.isfinite(v)), None)
            if bad is not None:
                raise UserError(f"{PLUGIN}: column {name!r} of {path} is continuous but line {bad + 2} holds "
                                f"{cells[bad]!r}; list it in --discrete COL,... or fix the value")
            columns.append({"name": name, "kind": CONTINUOUS})
            values.append(numbers)
    return np.asarray(values, dtype=np.float64).T.astype(np.float32), check_columns(columns), used


def load_csv(arg: str | None, request: DataRequest) -> DataArrays:
    if not arg:
        raise UserError(f"{PLUGIN}: give the file as csv:PATH")
    path = Path(arg).expanduser()
    encoding = request.options.get("encoding")
    table, columns, used = read_csv(path, _discrete_option(request), str(encoding) if encoding else None)
    part = split_rows(table, request.split)
    read_as = "" if used == "utf-8-sig" else f", read as {used}"
    return DataArrays(x=part, kind="table", columns=columns,
                      description=f"{path.name}: {len(part)} of {len(table)} rows ({request.split}), "
                                  f"{len(columns)} columns{read_as}")


def sklearn_table(name: str) -> tuple[np.ndarray, list[dict]]:
    from sklearn import datasets

    loaders = {"breast-cancer": datasets.load_breast_cancer, "wine": datasets.load_wine, "iris": datasets.load_iris}
    if name not in loaders:
        raise UserError(f"{PLUGIN}: sklearn datasets are {', '.join(SKLEARN)}, not {name!r}")
    bunch = loaders[name]()
    columns = [{"name": str(f), "kind": CONTINUOUS} for f in bunch.feature_names]
    columns.append({"name": "target", "kind": DISCRETE, "categories": [str(t) for t in bunch.target_names]})
    table = np.concatenate([bunch.data, bunch.target[:, None]], axis=1).astype(np.float32)
    return table, check_columns(columns)


def load_sklearn(arg: str | None, request: DataRequest) -> DataArrays:
    table, columns = sklearn_table(arg or "")
    part = split_rows(table, request.split)
    return DataArrays(x=part, kind="table", columns=columns,
                      description=f"scikit-learn {arg}: {len(part)} of {len(table)} rows ({request.split})")
