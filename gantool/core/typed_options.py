"""`--set model.KEY=...`, `loss.KEY` and `data.KEY` options: read with their type checked,
and refused when their owner does not read them.

Options reach factories as whatever the user typed (TOML values: 64, 0.3, true, "abc"), so a
factory that just calls int() or float() on them stops with a traceback deep inside torch,
or silently accepts nonsense (bool("false") is True). These stop with one line instead.
"""

from __future__ import annotations

import difflib
from typing import Any

from gantool.core.errors import UserError


def read_int(options: dict[str, Any], key: str, default: int, *, scope: str, minimum: int = 1) -> int:
    """A width, a channel count, a number of blocks: a whole number of at least `minimum`."""
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise UserError(f"{scope}.{key} must be a whole number of at least {minimum}, not {value!r}")
    return value


def read_float(options: dict[str, Any], key: str, default: float, low: float, high: float = float("inf"), *,
               scope: str) -> float:
    """A rate, a probability or a loss weight in [low, high)."""
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value < high:
        raise UserError(f"{scope}.{key} must be a number in [{low:g}, {high:g}), not {value!r}")
    return float(value)


def read_bool(options: dict[str, Any], key: str, default: bool, *, scope: str) -> bool:
    value = options.get(key, default)
    if not isinstance(value, bool):
        raise UserError(f"{scope}.{key} must be true or false, not {value!r}")
    return value


def check_known(options: dict[str, Any], known: tuple[str, ...], *, owner: str, scope: str) -> None:
    """A misspelt option would otherwise be ignored without a word and the run trained as if
    it were never given: refuse keys the owner does not read."""
    unknown = sorted(set(options) - set(known))
    if not unknown:
        return
    close = difflib.get_close_matches(unknown[0], known, n=1)
    hint = f"; did you mean {scope}.{close[0]}?" if close else ""
    takes = ", ".join(f"{scope}.{k}" for k in known) or "none"
    raise UserError(f"{owner} has no option {', '.join(f'{scope}.{k}' for k in unknown)}{hint} (it takes {takes})")
