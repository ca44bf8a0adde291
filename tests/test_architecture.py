"""The layers of docs/architecture.md, enforced over the import graph of gantool/.

Every `import` / `from ... import` of a gantool module (at module level or inside a function:
a lazy import is still a dependency) is an edge. A module may import its own package and
any lower layer; an import of a higher layer, or of a sibling in the same layer, fails
this test with the offending file and line. Packages must not import each other in a
cycle. The plugin packages in plugins/ import gantool only through its public API.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "gantool"

#: top to bottom; a unit is a sub-package of gantool or a module at its root
LAYERS: list[set[str]] = [
    {"__main__"},
    {"cli"},
    {"models", "losses", "data"},  # the built-in plugins: they use the stages as any plugin would
    {"rate"},  # human evaluation studies: draws images through runtime, the dashboard's graphics
    {"tui"},  # monitor
    {"train"},  # and `gantool bench`, which times the parts train builds
    {"metrics"},  # evaluate
    {"export"},
    {"runtime"},  # sample
    {"run"},  # the run directory, the hand-off between the stages
    {"plugins"},  # the host: the registry checks a recipe's settings against the config's keys
    {"config"},  # the run config
    {"hookspecs"},  # the plugin contract: the hooks, typed by ...
    {"specs", "protocols"},  # ... what is registered and what it implements
    {"core"},
]
# the public API (gantool/__init__.py) re-exports lazily from every layer, and every module
# may import `__version__` and `hookimpl` from it
ROOT_MODULE = "__init__"


def unit_of(module: str) -> str | None:
    """gantool.train.step -> train; gantool.config -> config; gantool.UserError -> the public API."""
    parts = module.split(".")
    if parts[0] != "gantool":
        return None
    if len(parts) == 1 or not ((PACKAGE / parts[1]).is_dir() or (PACKAGE / f"{parts[1]}.py").is_file()):
        return ROOT_MODULE
    return parts[1]


def layer_of(unit: str) -> int:
    for index, units in enumerate(LAYERS):
        if unit in units:
            return index
    raise AssertionError(f"gantool.{unit} is in no layer of tests/test_architecture.py; add it to LAYERS")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[str, int]]:
    """Every gantool module `path` imports, with the line (relative imports resolved)."""
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            found += [(f"{base}.{alias.name}" if base == "gantool" else base, node.lineno) for alias in node.names]
    return [(name, line) for name, line in found if name == "gantool" or name.startswith("gantool.")]


def graph() -> dict[str, list[tuple[str, str, int]]]:
    """unit -> [(imported unit, file, line)] for every import that crosses units."""
    edges: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    for path in sorted(PACKAGE.rglob("*.py")):
        source = unit_of(module_name(path))
        for name, line in imports(path):
            target = unit_of(name)
            if target in (None, source):
                continue
            if target == ROOT_MODULE and name in ("gantool.__version__", "gantool.hookimpl", "gantool"):
                continue
            edges[source].append((target, str(path.relative_to(ROOT)), line))
    return edges


def violations(edges: dict[str, list[tuple[str, str, int]]]) -> list[str]:
    bad = []
    for source, targets in edges.items():
        if source == ROOT_MODULE:  # the public API sits above everything
            continue
        for target, file, line in targets:
            if target == ROOT_MODULE:
                bad.append(f"{file}:{line}: gantool.{source} imports the public API (gantool.X); import X's module")
            elif layer_of(target) < layer_of(source):
                bad.append(f"{file}:{line}: gantool.{source} imports higher layer gantool.{target}")
            elif layer_of(target) == layer_of(source):
                bad.append(f"{file}:{line}: gantool.{source} imports its sibling gantool.{target}")
    return bad


def test_no_module_imports_an_upper_layer_or_a_sibling():
    assert violations(graph()) == []


def test_the_check_catches_an_upward_import():
    """The check itself: a run-directory module importing the trainer is reported."""
    edges = {"run": [("train", "gantool/run/writer.py", 1)], "train": [("run", "gantool/train/x.py", 2)]}
    assert violations(edges) == ["gantool/run/writer.py:1: gantool.run imports higher layer gantool.train"]


def test_no_package_import_cycles():
    edges = {source: {t for t, _, _ in targets} for source, targets in graph().items()}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in edges.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    cycles = sorted(unit for unit in edges if reaches(unit, unit, {unit}))
    assert cycles == []


@pytest.mark.parametrize("plugin", sorted(p.name for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").exists()))
def test_plugins_use_only_the_public_api(plugin):
    """The plugin packages (not their tests or benchmarks) import gantool only as `from gantool import ...`."""
    sources = [p for p in (ROOT / "plugins" / plugin).glob("gantool_*/**/*.py")]
    private = [f"{p.relative_to(ROOT)}:{line}: {name}" for p in sources for name, line in imports(p)
               if name != "gantool" and name.split(".")[1] not in _public_names()]
    assert private == []


def test_the_plugin_template_uses_only_the_public_api():
    from gantool.cli.plugin_new import MODULE

    lines = [line.strip() for line in MODULE.splitlines() if line.strip().startswith(("from gantool", "import gantool"))]
    assert lines and all(line.startswith("from gantool import ") for line in lines), lines
    names = {n.strip() for line in lines for n in line.removeprefix("from gantool import ").split(",")}
    assert names <= _public_names() | {"hookimpl"}


def _public_names() -> set[str]:
    import gantool

    return set(gantool.__all__)
