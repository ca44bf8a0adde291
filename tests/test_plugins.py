"""The plugin system: built-ins through the hooks, real installed plugins, isolation."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gantool import hookimpl, plugins
from gantool.core.errors import UserError
from gantool.specs import DatasetSpec, ModelFlag, ModelSpec, TrainingHooks
from tests.conftest import gantool

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def plugin_site(tmp_path_factory) -> Path:
    """Install the fixture plugin distributions with pip, as a user would, into a folder."""
    target = tmp_path_factory.mktemp("site")
    sources = tmp_path_factory.mktemp("sources")
    for name in ("gantool-tinyplugin", "gantool-brokenplugin", "gantool-rogueplugin", "gantool-typoplugin",
                 "gantool-badcmdplugin"):
        source = shutil.copytree(FIXTURES / name, sources / name)  # pip builds in-tree; keep the repo clean
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
             "--no-index", "--target", str(target), str(source)],
            check=True, capture_output=True,
        )
    return target


@pytest.fixture
def with_plugins(plugin_site, monkeypatch):
    monkeypatch.syspath_prepend(str(plugin_site))
    monkeypatch.setenv("GANTOOL_PLUGINS", "tiny,broken")  # the site holds the misbehaving ones too
    plugins.reset()
    return {"PYTHONPATH": str(plugin_site), "GANTOOL_PLUGINS": "tiny,broken"}


@pytest.fixture
def with_rogues(plugin_site, monkeypatch):
    """tiny plus the plugins that misbehave (tests/fixtures/gantool-{rogue,typo,badcmd}plugin)."""
    monkeypatch.syspath_prepend(str(plugin_site))
    monkeypatch.setenv("GANTOOL_PLUGINS", "tiny,rogue,typo,badcmd")
    plugins.reset()
    return {"PYTHONPATH": str(plugin_site), "GANTOOL_PLUGINS": "tiny,rogue,typo,badcmd"}


def test_builtins_register_through_the_hooks():
    p = plugins.get_plugins()
    p.pm.check_pending()  # a misspelled hook name in a built-in would fail here
    reg = p.registry
    assert {"gan", "dcgan", "toy"} <= set(reg.names("model"))
    assert "bce" in reg.names("loss")
    assert {"mnist", "folder", "npz", "ring", "grid"} <= set(reg.names("dataset"))
    assert reg.owner[("model", "dcgan")] == "gantool.models"
    assert all(info.status == "loaded" for info in reg.plugins.values())


def test_unknown_name_suggests_close_match():
    with pytest.raises(UserError, match=r"unknown model 'dcgna'; did you mean 'dcgan'"):
        plugins.registry().get("model", "dcgna")


class _Clash:
    @hookimpl
    def register_models(self, register):
        register(ModelSpec(name="dcgan", summary="another dcgan", build=lambda a: None))


class _HalfBroken:
    @hookimpl
    def register_datasets(self, register):
        register(DatasetSpec(name="halfway", summary="registered before the failure", load=lambda a, r: None))
        raise RuntimeError("boom in register_datasets")


def _register_extra(plugin, name):
    p = plugins.get_plugins()
    p.pm.register(plugin, name=name)
    p.registry.plugins[name] = plugins.PluginInfo(name=name, version="0", builtin=False)
    p._register_specs(name)
    return p.registry.plugins[name]


def test_a_built_in_name_stays_the_built_ins_and_the_plugin_keeps_the_rest():
    info = _register_extra(_Clash(), "clashing-plugin")
    assert info.status == "loaded"
    assert info.notes == ["model 'dcgan' is a built-in's name; not registered"]
    assert plugins.registry().owner[("model", "dcgan")] == "gantool.models"


def test_failed_registration_is_rolled_back_and_isolated():
    info = _register_extra(_HalfBroken(), "half")
    assert info.status == "failed" and "boom" in info.error
    with pytest.raises(UserError, match=r"unknown dataset 'halfway'.*half \(RuntimeError: boom"):
        plugins.registry().get("dataset", "halfway")
    assert plugins.registry().get("dataset", "mnist")  # others unaffected


def test_incomplete_spec_is_rejected():
    class Incomplete:
        @hookimpl
        def register_models(self, register):
            register(ModelSpec(name="nosummary", summary="", build=lambda a: None))

    info = _register_extra(Incomplete(), "incomplete")
    assert info.status == "failed" and "incomplete" in info.error and "summary" in info.error


@pytest.mark.parametrize("spec, says", [
    (ModelSpec(name="nobuild", summary="s", build=None), "model 'nobuild' is incomplete: build is not callable"),
    (ModelSpec(name="badstep", summary="s", build=lambda a: None, training=TrainingHooks(make_step="step")),
     "training.make_step must be callable"),
    (ModelSpec(name="badflag", summary="s", build=lambda a: None, flags=(ModelFlag("data-a", "data.a"),)),
     "flag 'data-a' must start with --"),
])
def test_spec_without_working_factories_is_rejected(spec, says):
    class Incomplete:
        @hookimpl
        def register_models(self, register):
            register(spec)

    info = _register_extra(Incomplete(), "incomplete")
    assert info.status == "failed" and says in info.error
    with pytest.raises(UserError, match=f"incomplete .*{says[:20]}"):  # and `train` names the plugin
        plugins.registry().get("model", spec.name)


def test_installed_plugins_are_found_and_isolated(with_plugins):
    reg = plugins.registry()
    assert reg.plugins["tiny"].status == "loaded" and reg.plugins["tiny"].version == "1.2.3"
    assert reg.owner[("model", "tiny")] == "tiny"
    assert reg.plugins["broken"].status == "failed"
    assert "gantool_dependency_that_does_not_exist" in reg.plugins["broken"].error


def test_gantool_plugins_selects(with_plugins, monkeypatch):
    monkeypatch.setenv("GANTOOL_PLUGINS", "")
    plugins.reset()
    assert "tiny" not in plugins.registry().plugins
    monkeypatch.setenv("GANTOOL_PLUGINS", "gantool-tinyplugin")  # distribution names work too
    plugins.reset()
    assert "tiny" in plugins.registry().plugins and "broken" not in plugins.registry().plugins


def test_cli_lists_trains_and_runs_plugin_commands(with_plugins, tmp_path):
    listed = gantool("plugins", "--json", cwd=tmp_path, env=with_plugins)
    assert listed.returncode == 0, listed.stderr
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert rows["tiny"]["status"] == "loaded" and rows["tiny"]["registered"] == {"model": ["tiny"], "command": ["hello"]}
    assert rows["broken"]["status"] == "failed" and "ModuleNotFoundError" in rows["broken"]["error"]

    table = gantool("plugins", cwd=tmp_path, env=with_plugins)
    assert "tiny" in table.stdout and "failed" in table.stdout

    trained = gantool("train", "tiny", "--steps", "20", cwd=tmp_path, env=with_plugins)
    assert trained.returncode == 0, trained.stderr
    assert (tmp_path / "runs" / "tiny" / "exp" / "checkpoints" / "last.pt").is_file()

    hello = gantool("hello", cwd=tmp_path, env=with_plugins)
    assert hello.returncode == 0 and "hello from tinyplugin" in hello.stdout

    # the broken plugin breaks nothing else
    checks = gantool("checks", cwd=tmp_path, env=with_plugins)
    assert checks.returncode == 0 and "broken" in checks.stdout
    unknown = gantool("train", "nosuchmodel", cwd=tmp_path, env=with_plugins)
    assert unknown.returncode == 2
    assert "failed plugins: broken" in unknown.stderr


def _never_load(arg, request):
    raise AssertionError("loaded although the request should have been refused first")


def _registry_with(*specs):
    """A registry holding only `specs` (no plugin loading), for open_dataset."""
    reg = plugins.Registry()
    for spec in specs:
        reg.add("model" if isinstance(spec, ModelSpec) else "dataset", spec, "tests")
    return reg


def test_split_name_splits_at_the_first_colon_only():
    assert plugins.split_name("mnist") == ("mnist", None)
    assert plugins.split_name("mnist:") == ("mnist", "")
    assert plugins.split_name("folder:C:/faces") == ("folder", "C:/faces")
    assert plugins.Registry.split("onnx:f.onnx") == ("onnx", "f.onnx")


def test_open_dataset_refuses_before_loading():
    from gantool.specs import DataRequest

    reg = _registry_with(DatasetSpec(name="points", summary="s", load=_never_load, data_kind="vector", options=("sigma",)),
                         ModelSpec(name="painter", summary="s", build=lambda a: None))
    with pytest.raises(UserError, match=r"^unknown dataset 'pionts'; did you mean 'points'\?$"):
        reg.open_dataset("pionts", DataRequest())
    for model in ("painter", reg.get("model", "painter")):  # a name or the spec
        with pytest.raises(UserError, match=r"^model 'painter' trains on image data but dataset 'points' is vector data$"):
            reg.open_dataset("points:x", DataRequest(), model=model)
    with pytest.raises(UserError, match=r"^dataset 'points' is vector data, not image data$"):
        reg.open_dataset("points", DataRequest(), kind="image")
    with pytest.raises(UserError, match=r"^dataset 'points' holds vector data; no\.$"):
        reg.open_dataset("points", DataRequest(), kind="image", mismatch="dataset {name!r} holds {kind} data; no.")
    with pytest.raises(UserError, match=r"^dataset 'points' has no option data\.sigam; did you mean data\.sigma\?"):
        reg.open_dataset("points", DataRequest(options={"sigam": 1.0}))


def test_open_dataset_loads_with_the_argument_and_request():
    import numpy as np

    from gantool.specs import DataArrays, DataRequest

    seen = []

    def load(arg, request):
        seen.append((arg, request))
        return DataArrays(x=np.zeros((2, 2), np.float32), kind="vector")

    reg = _registry_with(DatasetSpec(name="points", summary="s", load=load, data_kind="vector", options=("sigma",)),
                         ModelSpec(name="mlp", summary="s", build=lambda a: None, data_kind="vector"))
    request = DataRequest(split="test", options={"sigma": 0.5})
    data = reg.open_dataset("points:a:b", request, model="mlp", kind="vector")
    assert data.x.shape == (2, 2) and seen == [("a:b", request)]
    reg.open_dataset("points", DataRequest())
    assert seen[-1][0] is None


# -- the sealed host: plugins that misbehave, through the installed console script ----------

def test_two_plugins_claiming_one_model_name_is_one_line_naming_both(with_rogues, tmp_path):
    trained = gantool("train", "tiny", "--steps", "2", cwd=tmp_path, env=with_rogues)
    assert trained.returncode == 2 and "Traceback" not in trained.stderr
    assert trained.stderr.strip() == ("error: model 'tiny' is registered by both gantool-rogueplugin 0.9.0 and "
                                      "gantool-tinyplugin 1.2.3; uninstall one, or choose with "
                                      "GANTOOL_PLUGINS=<plugin> (see `gantool plugins`)")
    assert not (tmp_path / "runs").exists()
    only_tiny = gantool("train", "tiny", "--steps", "2", cwd=tmp_path, env={**with_rogues, "GANTOOL_PLUGINS": "tiny"})
    assert only_tiny.returncode == 0, only_tiny.stderr


def test_a_plugin_command_cannot_replace_a_built_in(with_rogues, tmp_path):
    helped = gantool("train", "--help", cwd=tmp_path, env=with_rogues)
    assert helped.returncode == 0 and "--resume" in helped.stdout  # the real train
    hello = gantool("rogue-hello", cwd=tmp_path, env=with_rogues)
    assert hello.returncode == 0 and "hello from rogue" in hello.stdout  # its other command is there
    listed = {row["name"]: row for row in json.loads(gantool("plugins", "--json", cwd=tmp_path, env=with_rogues).stdout)}
    assert listed["rogue"]["registered"]["command"] == ["rogue-hello"]
    assert "command 'train' clashes with the built-in command 'train'; not added" in listed["rogue"]["notes"]
    assert listed["tiny"]["registered"]["command"] == ["hello"]


def test_an_invalid_command_registration_breaks_nothing_else(with_rogues, tmp_path):
    for args in (["--help"], ["plugins"], ["checks"], ["hello"]):
        result = gantool(*args, cwd=tmp_path, env=with_rogues)
        assert result.returncode == 0, (args, result.stderr)
    row = {r["name"]: r for r in json.loads(gantool("plugins", "--json", cwd=tmp_path, env=with_rogues).stdout)}["badcmd"]
    assert row["status"] == "failed" and row["error"]


def test_a_misspelt_hook_fails_the_plugin_with_the_reason(with_rogues):
    info = plugins.registry().plugins["typo"]
    assert info.status == "failed"
    assert "unknown hook register_model (did you mean register_models?)" in info.error


def test_an_exception_in_a_plugin_build_names_the_plugin(with_rogues, tmp_path):
    result = gantool("train", "explodes", cwd=tmp_path, env=with_rogues)
    assert result.returncode == 1
    assert result.stderr.strip() == ("error: plugin 'rogue' (gantool-rogueplugin 0.9.0) failed in model 'explodes' "
                                     "build: ValueError: width must be even, got 7")
    debug = gantool("--debug", "train", "explodes", cwd=tmp_path, env=with_rogues)
    assert "Traceback" in debug.stderr and "build_explodes" in debug.stderr


def test_failure_reasons_wrap_in_an_80_column_terminal(with_rogues, tmp_path):
    table = gantool("plugins", cwd=tmp_path, env={**with_rogues, "COLUMNS": "80"})
    text = " ".join(table.stdout.split())
    assert "typo failed: ValueError: unknown hook register_model (did you mean register_models?);" in text
    assert "…" not in table.stdout
    assert all(len(line) <= 80 for line in table.stdout.splitlines())


def test_plugin_new_refuses_a_name_that_clashes_with_a_built_in(tmp_path):
    result = gantool("plugin", "new", "dcgan", "--dir", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2 and "plugin name 'dcgan' is taken" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_run_whose_plugin_is_gone_names_the_package_to_install(with_plugins, tmp_path):
    trained = gantool("train", "tiny", "--steps", "4", cwd=tmp_path, env=with_plugins)
    assert trained.returncode == 0, trained.stderr
    run = tmp_path / "runs" / "tiny" / "exp"
    assert 'model_from = "gantool-tinyplugin 1.2.3"' in (run / "config.toml").read_text()
    for args in (["train", "--resume", str(run), "--steps", "8"], ["export", str(run)]):
        gone = gantool(*args, cwd=tmp_path, env={**with_plugins, "GANTOOL_PLUGINS": ""})
        assert gone.returncode == 2, gone.stderr
        assert gone.stderr.strip() == ("error: model 'tiny' came from gantool-tinyplugin 1.2.3, which is not installed "
                                       "here or failed to load (see `gantool plugins`); install gantool-tinyplugin "
                                       "to use this run")
