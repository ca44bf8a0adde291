"""Config layering: defaults <- model <- loss <- file <- flags <- --set."""

from __future__ import annotations

import re

import pytest

from gantool.config import RunConfig, from_dict, parse_sets, resolve
from gantool.core import tomlio
from gantool.core.errors import UserError

MODEL_DEFAULTS = {"batch_size": 128, "lr": 2e-4, "epochs": 5}


def loss_defaults(name):
    return {"n_critic": 5, "lr": 1e-4} if name == "critic" else {}


def test_layers_apply_in_order(tmp_path):
    file = tmp_path / "c.toml"
    file.write_text("batch_size = 32\nseed = 7\n[model_options]\nngf = 16\n")
    cfg = resolve("dcgan", MODEL_DEFAULTS, loss_defaults, file, {"seed": 9}, parse_sets(["model.ndf=8", "beta1=0.0"]))
    assert (cfg.batch_size, cfg.seed, cfg.lr, cfg.beta1) == (32, 9, 2e-4, 0.0)
    assert cfg.model_options == {"ngf": 16, "ndf": 8}


def test_loss_defaults_sit_above_the_model_but_below_the_user():
    cfg = resolve("dcgan", MODEL_DEFAULTS, loss_defaults, None, {"loss": "critic"}, {})
    assert (cfg.n_critic, cfg.lr) == (5, 1e-4)
    cfg = resolve("dcgan", MODEL_DEFAULTS, loss_defaults, None, {"loss": "critic", "lr": 3e-4}, {})
    assert cfg.lr == 3e-4


def test_epochs_flag_overrides_model_steps():
    cfg = resolve("toy", {"steps": 5000}, loss_defaults, None, {"epochs": 2}, {})
    assert (cfg.steps, cfg.epochs) == (0, 2)


def test_unknown_key_suggests(tmp_path):
    with pytest.raises(UserError, match="unknown config key 'batchsize'; did you mean 'batch_size'"):
        resolve("dcgan", {}, loss_defaults, None, {}, parse_sets(["batchsize=3"]))


def test_wrong_type_and_invalid_values():
    with pytest.raises(UserError, match="batch_size must be a whole number, got"):
        resolve("dcgan", {}, loss_defaults, None, {}, {"batch_size": "big"})
    with pytest.raises(UserError, match="label_smoothing"):
        resolve("dcgan", {}, loss_defaults, None, {"label_smoothing": 0.7}, {})
    with pytest.raises(UserError, match="--set expects key=value"):
        parse_sets(["lr"])


def test_bad_config_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("batch_size = = 3")
    with pytest.raises(UserError, match="not valid TOML"):
        resolve("dcgan", {}, loss_defaults, bad, {}, {})
    with pytest.raises(UserError, match="does not exist"):
        resolve("dcgan", {}, loss_defaults, tmp_path / "missing.toml", {}, {})


def test_toml_round_trip_and_hash():
    cfg = RunConfig(model="dcgan", model_options={"ngf": 32, "name with space": "x"}, lr=1e-3)
    text = tomlio.dumps({**cfg.to_dict(), "versions": {"gantool": "1"}})
    back = from_dict(tomlio.tomllib.loads(text), "test")
    assert back == cfg
    assert back.hash() == cfg.hash()
    assert RunConfig(model="dcgan", lr=2e-3).hash() != cfg.hash()
    assert RunConfig(model="dcgan", lr=1e-3, model_options=cfg.model_options, name="other").hash() == cfg.hash()


def test_set_values_parse_as_toml():
    assert parse_sets(["a=1e-3", "b=true", "c=[0.5, 0.9]", "d=hello"]) == {"a": 1e-3, "b": True, "c": [0.5, 0.9], "d": "hello"}


def test_every_field_declares_its_group_and_help_once():
    from gantool.config import FIELDS, GROUPS, SETTINGS

    assert set(SETTINGS) == set(FIELDS)
    for key, setting in SETTINGS.items():
        assert setting.group in GROUPS and setting.help.strip(), key
    flags = [s.flag for s in SETTINGS.values() if s.flag]
    assert len(flags) == len(set(flags)), sorted(f for f in flags if flags.count(f) > 1)
    assert RunConfig(model="dcgan").batch_size == 64  # still a flat dataclass with its defaults


def test_resumable_keys_are_fields():
    from gantool.config import FIELDS, RESUMABLE_KEYS

    assert set(RESUMABLE_KEYS) <= set(FIELDS) and "lr" not in RESUMABLE_KEYS


@pytest.mark.parametrize("kwargs, says", [
    ({"group": "nowhere"}, "unknown config group 'nowhere'"),
    ({"group": "run", "flag": "--x/--no-x"}, "booleans get --no-name themselves"),
    ({"group": "run", "flag": "x"}, "one --name"),
])
def test_a_misdeclared_setting_fails_at_import(kwargs, says):
    from gantool.config import setting

    with pytest.raises(ValueError, match=re.escape(says)):
        setting(0, help="h", **kwargs)
