"""Named recipes: registered through the hook, one config layer above the model's and the
loss's defaults and below everything the user types, listed by `gantool recipes`."""

from __future__ import annotations

import json
import tomllib

import pytest

from gantool import hookimpl, plugins
from gantool.config import resolve
from gantool.core.errors import UserError
from gantool.specs import RecipeSpec
from tests.conftest import gantool


def _resolve(flags=None, sets=None, recipe=None):
    reg = plugins.registry()
    model = reg.get("model", "toy")
    return resolve("toy", model.defaults, lambda name: reg.get("loss", name).defaults, None,
                   {**(flags or {}), **({"recipe": recipe} if recipe else {})}, sets or {},
                   lambda name: reg.recipe("toy", name).settings)


def test_a_recipe_sits_above_the_defaults_and_below_what_the_user_types():
    plain = _resolve()
    assert (plain.loss, plain.lr, plain.ema, plain.recipe) == ("bce", 5e-4, False, "")
    recipe = _resolve(recipe="r1-ema")
    assert (recipe.loss, recipe.r1_gamma, recipe.lr, recipe.ema, recipe.data) == ("r1", 0.01, 1e-3, True, "grid")
    assert recipe.model_options == {"hidden": 128} and recipe.recipe == "r1-ema"
    # the r1 loss brings gamma 10 for images; the recipe's 0.01 wins over it, a flag over both
    mine = _resolve(flags={"lr": 2e-3}, sets={"r1_gamma": 0.5, "model.hidden": 64}, recipe="r1-ema")
    assert (mine.lr, mine.r1_gamma, mine.model_options["hidden"], mine.loss) == (2e-3, 0.5, 64, "r1")


def test_unknown_recipes_name_the_models_own():
    with pytest.raises(UserError, match=r"unknown recipe 'r1ema' for model 'toy'; did you mean 'r1-ema'\? its recipes: r1-ema"):
        plugins.registry().recipe("toy", "r1ema")
    with pytest.raises(UserError, match=r"unknown recipe 'fast' for model 'toy'; its recipes: r1-ema"):
        plugins.registry().recipe("toy", "fast")


def test_a_recipe_with_a_setting_that_is_no_config_key_fails_its_plugin():
    class Bad:
        @hookimpl
        def register_recipes(self, register):
            register(RecipeSpec(name="fast", model="toy", summary="s", settings={"lerning_rate": 1}))

    p = plugins.get_plugins()
    p.pm.register(Bad(), name="bad-recipes")
    p.registry.plugins["bad-recipes"] = plugins.PluginInfo(name="bad-recipes", version="0", builtin=False)
    p._register_specs("bad-recipes")
    info = p.registry.plugins["bad-recipes"]
    assert info.status == "failed" and "unknown config key 'lerning_rate'" in info.error


def test_train_with_a_recipe_and_list_them(tmp_path):
    trained = gantool("train", "toy", "--recipe", "r1-ema", "--steps", "20", "--log-every", "10", cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    config = tomllib.loads((tmp_path / "runs" / "toy" / "exp" / "config.toml").read_text())
    assert (config["recipe"], config["loss"], config["r1_gamma"], config["steps"]) == ("r1-ema", "r1", 0.01, 20)
    listed = json.loads(gantool("recipes", "toy", "--json", cwd=tmp_path).stdout)
    assert [(r["model"], r["name"], r["from"]) for r in listed][0][:2] == ("toy", "r1-ema")
    table = gantool("recipes", cwd=tmp_path)
    assert table.returncode == 0 and "--recipe r1-ema" in table.stdout
    wrong = gantool("train", "dcgan", "--recipe", "r1-ema", cwd=tmp_path)
    assert wrong.returncode == 2 and "unknown recipe 'r1-ema' for model 'dcgan'" in wrong.stderr
