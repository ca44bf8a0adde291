"""Shared option checking for loss factories."""

from __future__ import annotations

from typing import Any

from gantool.errors import UserError


def check_options(name: str, options: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(options) - allowed
    if unknown:
        takes = ", ".join(sorted(allowed - {"label_smoothing"})) or "no options"
        raise UserError(f"loss {name} has no option(s) {', '.join(sorted(unknown))}; it takes {takes}")
