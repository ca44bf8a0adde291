"""Model and loss options are read with their type checked: good values pass through
unchanged, anything else is a UserError naming the option."""

from __future__ import annotations

import pytest

from gantool.errors import UserError
from gantool.specs import ModelArgs
from gantool.typed_options import read_bool, read_float, read_int


def args(**options):
    return ModelArgs(latent_dim=2, image_size=0, channels=0, options=options)


def test_good_values_and_defaults_pass_through():
    a = args(hidden=128, dropout=0, batchnorm_d=False, blocks=0)
    assert a.int_option("hidden", 256) == 128
    assert a.int_option("ngf", 64) == 64  # not given: the default
    assert a.int_option("blocks", 6, minimum=0) == 0
    assert a.float_option("dropout", 0.3, 0.0, 1.0) == 0.0 and isinstance(a.float_option("dropout", 0.3, 0.0, 1.0), float)
    assert a.bool_option("batchnorm_d", True) is False


@pytest.mark.parametrize("value", ["abc", 2.5, 0, -3, True])
def test_a_bad_whole_number_is_named(value):
    with pytest.raises(UserError, match=r"^model\.hidden must be a whole number of at least 1, not "):
        args(hidden=value).int_option("hidden", 256)


@pytest.mark.parametrize("value", ["0.1", 1.0, -0.1, False])
def test_a_number_outside_its_range_is_named(value):
    with pytest.raises(UserError, match=r"^model\.dropout must be a number in \[0, 1\), not "):
        args(dropout=value).float_option("dropout", 0.3, 0.0, 1.0)


@pytest.mark.parametrize("value", ["false", 1, 0])
def test_a_flag_must_be_true_or_false(value):
    # bool("false") is True: a plain bool() would silently flip the user's intent
    with pytest.raises(UserError, match=r"^loss\.minimax must be true or false"):
        read_bool({"minimax": value}, "minimax", False, scope="loss")


def test_the_scope_names_where_the_option_was_set():
    with pytest.raises(UserError, match=r"^loss\.label_smoothing must be a number in \[0, 0\.5\), not 0\.5$"):
        read_float({"label_smoothing": 0.5}, "label_smoothing", 0.0, 0.0, 0.5, scope="loss")
    assert read_int({}, "pac", 10, scope="model") == 10
    assert read_float({"w": 3}, "w", 1.0, 0.0, scope="model") == 3.0  # no upper bound by default
