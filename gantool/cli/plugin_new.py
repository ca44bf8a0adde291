"""`gantool plugin new NAME`: scaffold a plugin package that installs and passes its own tests.

The package registers one model (a small MLP pair for the 2-D mixtures, so its tests train
in seconds) through the same hook the built-ins use, and its tests check what every plugin
should: it is discovered, it trains on the shared loop, it exports to ONNX and samples.
"""

from __future__ import annotations

import re
from pathlib import Path

import typer

from gantool import __version__

NAME = re.compile(r"^[a-z][a-z0-9_]*$")

PYPROJECT = '''[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "gantool-{name}"
version = "0.1.0"
description = "A gantool plugin: the {name} model."
requires-python = ">=3.11"
dependencies = ["gantool>={gantool_version}"]

[project.optional-dependencies]
test = ["pytest>=8"]

[project.entry-points.gantool]
{name} = "gantool_{name}"

[tool.setuptools]
packages = ["gantool_{name}"]
'''

MODULE = '''"""gantool plugin `{name}`: registers the `{name}` model.

gantool finds this module through the `gantool` entry point in pyproject.toml and calls
the hook functions below (see gantool/hookspecs.py for all hooks). Build torch modules
inside `build` so that `gantool --help` never has to import torch.
"""

from gantool import GanModules, ModelArgs, ModelSpec, hookimpl


def build(args: ModelArgs) -> GanModules:
    from torch import nn

    hidden = args.int_option("hidden", 64)
    dim = args.data_dim or 2

    class Discriminator(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(dim, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden),
                                     nn.LeakyReLU(0.2), nn.Linear(hidden, 1))

        def forward(self, x):
            return self.net(x).squeeze(1)  # one logit per sample

    generator = nn.Sequential(nn.Linear(args.latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                              nn.Linear(hidden, dim))
    return GanModules(generator, Discriminator())


@hookimpl
def register_models(register):
    register(ModelSpec(
        name="{name}",
        summary="{name}: a small MLP GAN for 2-D data (scaffolded by gantool plugin new)",
        build=build,
        options=("hidden",),  # the --set model.KEY options build reads; others are refused
        data_kind="vector",
        defaults={{"data": "ring", "steps": 2000, "batch_size": 256, "latent_dim": 2, "lr": 1e-3,
                   "log_every": 100, "sample_every": 500}},
    ))
'''

TESTS = '''"""The {name} plugin: discovered, trains on gantool's loop, exports to ONNX and samples."""

import subprocess
import sys

import numpy as np


def gantool(*args, cwd):
    return subprocess.run([sys.executable, "-m", "gantool", *args], cwd=cwd, capture_output=True, text=True)


def test_gantool_lists_the_plugin(tmp_path):
    listed = gantool("plugins", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert '"{name}"' in listed.stdout


def test_trains_exports_and_samples(tmp_path):
    trained = gantool("train", "{name}", "--steps", "30", "--log-every", "10", cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    run = tmp_path / "runs" / "{name}" / "exp"
    assert (run / "checkpoints" / "last.pt").is_file()
    exported = gantool("export", str(run), "--onnx", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    sampled = gantool("sample", str(run / "generator.onnx"), "-n", "50", "-o", "points.npz", cwd=tmp_path)
    assert sampled.returncode == 0, sampled.stderr
    with np.load(tmp_path / "points.npz") as points:
        assert points["samples"].shape == (50, 2)
'''

README = '''# gantool-{name}

A [gantool](https://github.com/) plugin that adds the `{name}` model.

```bash
pip install ./{name}             # or: pip install -e "./{name}[test]"
gantool plugins                  # lists gantool-{name} and its model
gantool train {name} --data grid # trains on gantool's shared loop
pytest {name}                    # the plugin's own tests
```

Edit `gantool_{name}/__init__.py`: `build` returns the generator and discriminator; the
`register_models` hook describes the model. Other hooks (losses, datasets, feature
extractors, commands) are in gantool's `gantool/hookspecs.py`; writing plugins is covered
in gantool's `docs/plugins.md`.
'''


def scaffold(name: str, parent: Path) -> Path:
    from gantool.core.errors import UserError

    if not NAME.match(name):
        raise UserError(f"plugin name {name!r}: use lower-case letters, digits and _ (starting with a letter)")
    from gantool.plugins import registry

    if name in registry().names("model") or name in registry().plugins:
        owner = registry().provider("model", name) if name in registry().names("model") else "an installed plugin"
        raise UserError(f"plugin name {name!r} is taken (model {name!r} comes from {owner}); "
                        "its model would clash with it: choose another name")
    root = parent / name
    if root.exists():
        raise UserError(f"{root} already exists; choose another name or folder")
    files = {
        root / "pyproject.toml": PYPROJECT,
        root / f"gantool_{name}" / "__init__.py": MODULE,
        root / "tests" / f"test_{name}.py": TESTS,
        root / "README.md": README,
    }
    for path, template in files.items():  # needs at least this gantool (a dev version counts as itself)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.format(name=name, gantool_version=__version__))
    return root


def register(app: typer.Typer) -> None:
    plugin_app = typer.Typer(help="Work on gantool plugins.", no_args_is_help=True)

    @plugin_app.command("new")
    def new(
        name: str = typer.Argument(..., help="Plugin name: lower-case letters, digits, _ (e.g. mygan)."),
        directory: Path = typer.Option(Path("."), "--dir", help="Folder to create the package in."),
    ) -> None:
        """Scaffold a plugin package NAME/ that installs and passes its own tests."""
        root = scaffold(name, directory)
        typer.echo(f"created {root}/ (pyproject.toml, gantool_{name}/, tests/, README.md)")
        typer.echo(f"next: pip install ./{root} && pytest {root}")

    app.add_typer(plugin_app, name="plugin")
