"""Reading and writing the small TOML files gantool uses (config.toml).

Python ships a TOML reader (tomllib) but no writer; our configs hold only scalars, lists
of scalars and one level of tables, which this writer covers exactly.
"""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path
from typing import Any

from gantool.core.errors import UserError


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # JSON string escapes are valid TOML basic strings
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def dumps(data: dict[str, Any]) -> str:
    """TOML text for a dict of scalars/lists with at most one level of sub-tables."""
    lines = [f"{k} = {_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for key, table in data.items():
        if isinstance(table, dict):
            lines.append(f"\n[{key}]")
            lines += [f"{json.dumps(k) if not k.isidentifier() else k} = {_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def load(path: Path) -> dict[str, Any]:
    """Parse a TOML file; a missing or malformed file is the user's to fix."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise UserError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"config file {path} is not valid TOML: {exc}") from None


def parse_value(text: str) -> Any:
    """A `--set key=value` value: TOML syntax when it parses (1e-3, true, [0.5, 0.9]), else a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text
