"""Model, loss and data options are read with their type checked and refused when their
owner does not read them: good values pass through, anything else is a UserError naming the option."""

from __future__ import annotations

import pytest

from gantool.core.errors import UserError
from gantool.core.typed_options import check_known, read_bool, read_float, read_int
from gantool.specs import ModelArgs


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


def test_an_option_the_owner_does_not_read_is_refused_with_a_suggestion():
    check_known({"hidden": 8, "arch": "mlp"}, ("arch", "hidden"), owner="model 'toy'", scope="model")  # all known
    with pytest.raises(UserError, match=r"^model 'toy' has no option model\.hiden; did you mean model\.hidden\? "
                                        r"\(it takes model\.arch, model\.hidden\)$"):
        check_known({"hiden": 8}, ("arch", "hidden"), owner="model 'toy'", scope="model")
    with pytest.raises(UserError, match=r"has no option model\.zzz \(it takes none\)$"):
        check_known({"zzz": 1}, (), owner="model 'm'", scope="model")


class ReadRecorder(dict):
    """Options that remember which keys a factory asked for."""

    def __init__(self, *args):
        super().__init__(*args)
        self.asked: set[str] = set()

    def get(self, key, default=None):
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.asked.add(key)
        return super().__getitem__(key)


@pytest.mark.parametrize("name", ["gan", "dcgan", "wgan", "wgan-gp", "cgan", "acgan", "sngan", "toy"])
def test_a_built_in_model_declares_every_option_its_build_reads(name):
    from gantool.plugins import registry

    spec = registry().get("model", name)
    options = ReadRecorder(spec.defaults.get("model_options", {}))
    image_size = spec.defaults.get("image_size", 0)
    spec.build(ModelArgs(latent_dim=spec.defaults["latent_dim"], image_size=image_size, channels=1,
                         num_classes=10 if spec.conditional else 0, data_dim=0 if image_size else 2, options=options))
    assert options.asked, name  # it does read options, so the recorder saw them
    assert options.asked <= set(spec.options), (name, options.asked - set(spec.options))
