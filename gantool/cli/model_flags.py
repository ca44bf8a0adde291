"""Flags a model adds to `gantool train MODEL` (ModelSpec.flags), parsed from the words
Typer did not recognise. Each becomes a config key, as `--set KEY=VALUE` would."""

from __future__ import annotations

import difflib

from gantool.core.errors import UserError
from gantool.specs import ModelSpec


def find_model(model: str | None, words: list[str]) -> tuple[str | None, list[str]]:
    """Typer binds MODEL to the first word it does not know as an option, so in
    `gantool train --data-a A cyclegan` it sees MODEL = "--data-a". Put the words back in
    order and take the first one that is neither a flag nor a flag's value."""
    if model is None or not model.startswith("-"):
        return model, words
    ordered = [model, *words]
    i = 0
    while i < len(ordered):
        word = ordered[i]
        if not word.startswith("-"):
            return word, ordered[:i] + ordered[i + 1 :]
        i += 1 if "=" in word else 2
    return None, ordered


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
