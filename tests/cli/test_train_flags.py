"""`gantool train`'s config options come from RunConfig's field metadata, declared once.

The command is invoked in-process with gantool.train.session's new_run/resume_run replaced by
a recorder, so a test sees exactly the flags layer the command line built, without training.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from gantool import plugins
from gantool.cli import build_app
from gantool.config import GROUPS, RESUMABLE_KEYS, SETTINGS, RunConfig, resolve
from gantool.core.errors import UserError

# every config flag `gantool train` had before its options were generated, with its metavar
# where it declared one; none may disappear or change its name
FLAGS_BEFORE = {
    "--data": "NAME[:ARG]", "--epochs": None, "--steps": None, "--batch-size": None, "--lr": None,
    "--loss": None, "--device": None, "--precision": None, "--seed": None, "--n-critic": None,
    "--ema": None, "--no-ema": None, "--label-smoothing": None, "--lr-decay": "linear", "--lr-d": None,
    "--instance-noise": "SIGMA", "--diffaugment": "POLICY", "--pack": "M", "--minibatch-std": None,
    "--no-minibatch-std": None, "--grad-clip": "NORM", "--historical-averaging": "LAMBDA",
    "--compile": None, "--no-compile": None, "--channels-last": "auto|on|off", "--log-every": None,
    "--sample-every": None, "--checkpoint-every": None, "--skip-bad": None, "--eval-every": "N",
    "--eval-metrics": None, "--features": None, "--eval-n": None, "--project": None, "--name": None,
    "--sync-bn": None, "--no-sync-bn": None,
}
LAUNCHER = {"--config", "--set", "--resume", "--tui", "--nproc", "--nnodes", "--node-rank", "--master-addr",
            "--master-port", "--help", "-h"}


class Stop(Exception):
    """Raised by the recorder in place of building a trainer."""


@pytest.fixture
def calls(monkeypatch) -> list[dict]:
    from gantool.train import session

    seen: list[dict] = []

    def new_run(registry, model, config_file, flags, sets, reporter, dist):
        seen.append({"model": model, "flags": flags, "sets": sets})
        raise Stop

    def resume_run(registry, path, flags, reporter, dist, start=None):
        seen.append({"resume": path, "flags": flags})
        raise Stop

    monkeypatch.setattr(session, "new_run", new_run)
    monkeypatch.setattr(session, "resume_run", resume_run)
    return seen


def invoke(*args: str):
    return CliRunner().invoke(build_app(), ["train", *args])


def squash(text: str) -> str:
    """Help wraps anywhere, even after a hyphen: compare without whitespace."""
    return re.sub(r"\s+", "", text)


def train_command():
    return typer.main.get_command(build_app()).commands["train"]


def config_params() -> list:
    return [p for p in train_command().params if p.param_type_name == "option" and p.name in SETTINGS]


@pytest.mark.parametrize("args, expected", [
    (["--grad-clip", "1"], {"grad_clip": 1.0}),
    (["--no-ema"], {"ema": False}),
    (["--ema", "--features", "inception"], {"ema": True, "eval_features": "inception"}),
    (["--compile", "--channels-last", "off"], {"compile": True, "channels_last": "off"}),
    (["--no-minibatch-std", "--sync-bn", "--skip-bad"], {"minibatch_std": False, "sync_bn": True, "skip_bad": True}),
    (["--batch-size", "8", "--lr-d", "3e-4", "--lr-decay", "linear"], {"batch_size": 8, "lr_d": 3e-4, "lr_decay": "linear"}),
    ([], {}),
])
def test_a_flag_sets_its_key_and_nothing_else(calls, args, expected):
    result = invoke("toy", *args)
    assert isinstance(result.exception, Stop), result.output
    assert calls == [{"model": "toy", "flags": expected, "sets": {}}]
    cfg = resolve("toy", {}, lambda name: {}, None, calls[0]["flags"], {})
    assert {key: getattr(cfg, key) for key in expected} == expected
    assert all(type(getattr(cfg, k)) is type(v) for k, v in expected.items())


def test_every_config_flag_is_an_option_in_its_panel_with_its_help():
    result = CliRunner().invoke(build_app(), ["train", "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    panel, flag, panel_of, text = None, None, {}, {}
    for line in result.output.splitlines():
        if line and not line.startswith(" ") and line.endswith(":"):
            panel, flag = line[:-1], None
        elif panel and re.match(r"  \S", line):  # an entry: its first word is the flag
            flag = line.split()[0]
            panel_of[flag], text[flag] = panel, line
        elif flag and line.strip():  # the entry's help, wrapped
            text[flag] += line
    for key, setting in SETTINGS.items():
        if setting.flag is None:
            continue
        assert panel_of[setting.flag] == GROUPS[setting.group], key
        assert squash(setting.help) in squash(text[setting.flag]), key


def test_every_flag_of_before_keeps_its_name_and_metavar():
    metavars = {}
    for param in train_command().params:
        for opt in [*param.opts, *param.secondary_opts]:
            metavars[opt] = param.metavar
    assert set(FLAGS_BEFORE) | LAUNCHER <= set(metavars) | {"--help", "-h"}
    for flag, metavar in FLAGS_BEFORE.items():
        if metavar is not None:
            assert metavars[flag] == metavar, flag


def test_no_flag_is_declared_twice_and_no_key_is_restated_in_the_cli():
    names = [opt for p in train_command().params for opt in (*p.opts, *p.secondary_opts)]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    assert {p.name for p in config_params()} == {k for k, s in SETTINGS.items() if s.flag}
    source = (Path(__file__).resolve().parents[2] / "gantool" / "cli" / "train.py").read_text()
    restated = [s.flag for s in SETTINGS.values() if s.flag and f'"{s.flag}' in source]
    assert restated == [], "declare config flags in gantool/config.py, not in the CLI"


def test_no_model_flag_shadows_a_train_option(monkeypatch):
    """Typer would take such a flag for the config's: the model would never see it."""
    monkeypatch.delenv("GANTOOL_PLUGINS")  # every installed plugin, as on a user's machine
    plugins.reset()
    taken = {opt for p in train_command().params for opt in (*p.opts, *p.secondary_opts)}
    registry = plugins.registry()
    for name in registry.names("model"):
        clashes = {f.flag for f in registry.get("model", name).flags} & taken
        assert not clashes, f"model {name!r} declares {clashes}"


def test_resume_takes_only_the_resumable_keys(calls):
    result = invoke("--resume", "runs/toy/exp", "--steps", "9", "--device", "cpu", "--epochs", "2")
    assert isinstance(result.exception, Stop), result.output
    assert calls == [{"resume": Path("runs/toy/exp"), "flags": {"steps": 9, "device": "cpu", "epochs": 2}}]


@pytest.mark.parametrize("args, got", [
    (["--lr", "0.1"], "lr"),
    (["--no-ema"], "ema"),
    (["--features", "inception", "--steps", "3"], "eval_features"),
    (["--set", "lr=0.1"], "--set"),
    (["toy"], "model toy"),
])
def test_resume_refuses_everything_else(calls, args, got):
    result = invoke("--resume", "runs/toy/exp", *args)
    assert isinstance(result.exception, UserError)
    message = str(result.exception)
    assert message.startswith("--resume continues a run as it was configured; only --steps, --epochs, --device and "
                              "--keep-checkpoints may change")
    assert f"(got {got})" in message
    assert calls == []


def test_resumable_keys_are_config_fields_with_flags():
    fields = {f.name for f in dataclasses.fields(RunConfig)}
    for key in RESUMABLE_KEYS:
        assert key in fields and SETTINGS[key].flag, key
