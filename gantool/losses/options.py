"""Shared option checking for loss factories."""

from __future__ import annotations

from typing import Any

from gantool.core.typed_options import check_known


def check_options(name: str, options: dict[str, Any], allowed: set[str]) -> None:
    """Refuse `--set loss.KEY` options the loss does not read. `label_smoothing` reaches every
    loss from `--label-smoothing`, so it is always accepted and not offered as a loss option."""
    given = {key: value for key, value in options.items() if key != "label_smoothing"}
    check_known(given, tuple(sorted(allowed - {"label_smoothing"})), owner=f"loss {name!r}", scope="loss")
