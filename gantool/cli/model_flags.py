"""Flags a model adds to `gantool train MODEL` (ModelSpec.flags), parsed from the words
Typer did not recognise. Each becomes a config key, as `--set KEY=VALUE` would."""

from __future__ import annotations

import difflib

from gantool.errors import UserError
from gantool.specs import ModelSpec


def describe(spec: ModelSpec) -> str:
    return ", ".join(f.flag for f in spec.flags) or "none"


def parse(spec: ModelSpec, words: list[str]) -> dict[str, str]:
    """`["--data-a", "A", "--data-b=B"]` -> {"data.a": "A", "data.b": "B"}; anything else is
    a one-line error that says which flags this model does take."""
    known = {f.flag: f for f in spec.flags}
    values: dict[str, str] = {}
    i = 0
    while i < len(words):
        word = words[i]
        name, eq, value = word.partition("=")
        flag = known.get(name)
        if flag is None:
            if not word.startswith("-"):
                raise UserError(f"unexpected argument {word!r} after model {spec.name!r}")
            close = difflib.get_close_matches(name, list(known), n=1)
            hint = f"; did you mean {close[0]}?" if close else f" (its own flags: {describe(spec)}; see gantool train --help)"
            raise UserError(f"no such option {name} for model {spec.name!r}{hint}")
        if not eq:
            if i + 1 >= len(words) or words[i + 1].startswith("--"):
                raise UserError(f"{name} needs a value: {name} {flag.metavar}")
            value = words[i + 1]
            i += 1
        values[flag.key] = value
        i += 1
    return values
