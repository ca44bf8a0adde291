"""Flags a model adds to `gantool train` (ModelSpec.flags) become config keys."""

from __future__ import annotations

import pytest

from gantool.cli.model_flags import find_model, parse
from gantool.core.errors import UserError
from gantool.specs import ModelFlag, ModelSpec

SPEC = ModelSpec(name="two", summary="s", build=lambda a: None,
                 flags=(ModelFlag("--data-a", "data.a", "A", "DIR"), ModelFlag("--width", "model.width")))


def test_flags_become_config_keys():
    assert parse(SPEC, ["--data-a", "x y", "--width=3"]) == {"data.a": "x y", "model.width": "3"}
    assert parse(SPEC, []) == {}


@pytest.mark.parametrize("words, says", [
    (["--data-b", "x"], "no such option --data-b for model 'two'; did you mean --data-a?"),
    (["--zzz", "1"], "no such option --zzz for model 'two' (its own flags: --data-a, --width; see gantool train --help)"),
    (["--data-a"], "--data-a needs a value: --data-a DIR"),
    (["--data-a", "--width", "2"], "--data-a needs a value: --data-a DIR"),
    (["stray"], "unexpected argument 'stray' after model 'two'"),
])
def test_bad_words_are_one_line_errors(words, says):
    with pytest.raises(UserError) as err:
        parse(SPEC, words)
    assert str(err.value) == says


def test_flags_before_the_model_name():
    # Typer bound MODEL to the first unknown word, "--data-a"
    assert find_model("--data-a", ["A", "two", "--width", "3"]) == ("two", ["--data-a", "A", "--width", "3"])
    assert find_model("--data-a=A", ["two"]) == ("two", ["--data-a=A"])
    assert find_model("two", ["--data-a", "A"]) == ("two", ["--data-a", "A"])
    assert find_model("--data-a", ["A"]) == (None, ["--data-a", "A"])  # no model named: train says so
