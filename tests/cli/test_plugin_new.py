"""`gantool plugin new`: the scaffold installs with pip and passes its own tests."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import gantool


def test_scaffold_installs_and_passes_its_tests(tmp_path):
    made = gantool("plugin", "new", "demo", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "pytest demo" in made.stdout
    pyproject = (tmp_path / "demo" / "pyproject.toml").read_text()
    assert 'demo = "gantool_demo"' in pyproject and "[project.entry-points.gantool]" in pyproject
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
                    "--target", str(site), str(tmp_path / "demo")], check=True, capture_output=True)
    env = {k: v for k, v in os.environ.items() if k != "GANTOOL_PLUGINS"}  # as on a user's machine
    env["PYTHONPATH"] = str(site)
    tested = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "demo"], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=300)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "2 passed" in tested.stdout


def test_bad_names_and_existing_folders_are_refused(tmp_path):
    (tmp_path / "taken").mkdir()
    for name, message in (("Bad-Name", "lower-case letters"), ("taken", "already exists")):
        done = gantool("plugin", "new", name, cwd=tmp_path)
        assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
