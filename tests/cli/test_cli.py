"""The console script: fast help, version, checks, and lazy torch."""

from __future__ import annotations

import subprocess
import sys

from gantool import __version__
from tests.conftest import gantool


def test_help_and_version(tmp_path):
    result = gantool("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("train", "plugins", "checks"):
        assert command in result.stdout
    assert gantool("--version", cwd=tmp_path).stdout.strip() == f"gantool {__version__}"
    train_help = gantool("train", "--help", cwd=tmp_path)
    assert "--resume" in train_help.stdout and "--set" in train_help.stdout


def test_help_does_not_import_torch():
    code = ("import sys; from gantool.cli import build_app; import typer.main; "
            "typer.main.get_command(build_app()); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_python_dash_m(tmp_path):
    result = subprocess.run([sys.executable, "-m", "gantool", "--version"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0 and __version__ in result.stdout


def test_checks_reports_what_onnxruntime_really_gives(tmp_path):
    result = gantool("checks", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for row in ("python", "torch", "CUDA", "onnxruntime", "providers usable", "plugins"):
        assert row in result.stdout
    assert "CPUExecutionProvider" in result.stdout
    assert "EP Error" not in result.stdout + result.stderr
