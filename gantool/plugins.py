"""Finds plugins, calls their hooks one plugin at a time, and holds what they registered.

Built-ins (gantool.models, gantool.losses, gantool.data) are registered exactly like
third-party plugins; the only difference is that they are found by module name instead of
through the `gantool` entry-point group. A plugin that fails to import or to register is
recorded as failed and everything else keeps working.
"""

from __future__ import annotations

import difflib
import importlib
import os
import traceback
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from gantool import hookspecs
from gantool.core.errors import UserError
from gantool.core.typed_options import check_known
from gantool.specs import (
    DataArrays,
    DataKindSpec,
    DataRequest,
    DatasetSpec,
    FeatureExtractorSpec,
    LoggerSpec,
    LossSpec,
    ModelSpec,
    check_name,
)

ENTRY_POINT_GROUP = "gantool"
BUILTIN_MODULES = ("gantool.models", "gantool.losses", "gantool.data", "gantool.metrics.features", "gantool.train.loggers")

#: kind -> (hook name, spec type)
KINDS: dict[str, tuple[str, type]] = {
    "model": ("register_models", ModelSpec),
    "loss": ("register_losses", LossSpec),
    "dataset": ("register_datasets", DatasetSpec),
    "feature extractor": ("register_feature_extractors", FeatureExtractorSpec),
    "logger": ("register_loggers", LoggerSpec),
    "data kind": ("register_data_kinds", DataKindSpec),
}


@dataclass
class PluginInfo:
    """One plugin as `gantool plugins` shows it."""

    name: str
    version: str
    builtin: bool
    status: str = "loaded"  # loaded | failed
    error: str = ""
    traceback: str = ""
    registered: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "builtin": self.builtin,
            "status": self.status,
            "error": self.error,
            "registered": self.registered,
        }


# the factories each kind of spec must provide, and the optional ones that must be callable when set
_FACTORIES = {"model": ("build",), "loss": ("factory",), "dataset": ("load",), "feature extractor": ("factory",),
              "logger": ("factory",), "data kind": ("preview", "write")}
_OPTIONAL = ("training.make_step", "training.prepare", "outputs.preview", "outputs.exports", "evaluate",
             "onnx_metadata")


def _check_callables(kind: str, spec: Any) -> None:
    for attr in _FACTORIES.get(kind, ()):
        if not callable(getattr(spec, attr, None)):
            raise ValueError(f"{kind} {spec.name!r} is incomplete: {attr} is not callable")
    for path in _OPTIONAL:
        value = spec
        for attr in path.split("."):
            value = getattr(value, attr, None)
        if value is not None and not callable(value):
            raise ValueError(f"{kind} {spec.name!r}: {path} must be callable or None")
    for flag in getattr(spec, "flags", ()):
        if not (flag.flag.startswith("--") and flag.key):
            raise ValueError(f"{kind} {spec.name!r}: flag {flag.flag!r} must start with -- and name a config key")


def split_name(text: str) -> tuple[str, str | None]:
    """`NAME[:ARG]` -> (NAME, ARG), ARG None without a colon: how datasets (`folder:PATH`) and
    feature extractors (`onnx:PATH`) are named. Only the first colon splits, so ARG may hold
    colons itself (a URL, a Windows path)."""
    name, sep, arg = text.partition(":")
    return name, (arg if sep else None)


class Registry:
    """Every registered spec by kind and name, plus which plugin registered it."""

    split = staticmethod(split_name)

    def __init__(self) -> None:
        self.specs: dict[str, dict[str, Any]] = {kind: {} for kind in KINDS}
        self.owner: dict[tuple[str, str], str] = {}
        self.plugins: dict[str, PluginInfo] = {}

    def add(self, kind: str, spec: Any, plugin: str) -> None:
        _, spec_type = KINDS[kind]
        if not isinstance(spec, spec_type):
            raise TypeError(f"register_{kind}s expects {spec_type.__name__}, got {type(spec).__name__}")
        check_name(spec.name)
        if not spec.summary:
            raise ValueError(f"{kind} {spec.name!r} is incomplete: missing summary")
        _check_callables(kind, spec)
        previous = self.owner.get((kind, spec.name))
        if previous is not None:
            raise ValueError(
                f"{kind} name {spec.name!r} is registered by both plugin {previous!r} and plugin {plugin!r}"
            )
        self.specs[kind][spec.name] = spec
        self.owner[(kind, spec.name)] = plugin

    def names(self, kind: str) -> list[str]:
        return sorted(self.specs[kind])

    def get(self, kind: str, name: str) -> Any:
        """The spec called `name`, or a UserError with a 'did you mean' and failed plugins."""
        try:
            return self.specs[kind][name]
        except KeyError:
            pass
        message = f"unknown {kind} {name!r}"
        close = difflib.get_close_matches(name, self.names(kind), n=3, cutoff=0.6)
        if close:
            message += f"; did you mean {' or '.join(repr(c) for c in close)}?"
        else:
            message += f"; available: {', '.join(self.names(kind)) or 'none'}"
        failed = [p for p in self.plugins.values() if p.status == "failed"]
        if failed:
            names = ", ".join(f"{p.name} ({p.error})" for p in failed)
            message += f" (failed plugins: {names}; see `gantool plugins`)"
        raise UserError(message)

    def open_dataset(self, text: str, request: DataRequest, *, model: ModelSpec | str | None = None,
                     kind: str | None = None, mismatch: str | None = None) -> DataArrays:
        """Load the dataset `text` names (`NAME[:ARG]`) as `request` asks.

        Whatever can be refused without the data is refused before `spec.load`, since a load
        may be a long download: an unknown name (with a did-you-mean), a data kind that is not
        `model`'s (a spec or a model name) or not `kind`, and `--set data.KEY` options in
        `request.options` the dataset does not read. `mismatch` words the `kind` refusal, a
        format string given `name` (the dataset) and `kind` (its data kind).
        """
        name, arg = split_name(text)
        spec = self.get("dataset", name)
        if model is not None:
            model = self.get("model", model) if isinstance(model, str) else model
            if spec.data_kind != model.data_kind:
                raise UserError(f"model {model.name!r} trains on {model.data_kind} data "
                                f"but dataset {name!r} is {spec.data_kind} data")
        if kind is not None and spec.data_kind != kind:
            if mismatch is None:
                raise UserError(f"dataset {name!r} is {spec.data_kind} data, not {kind} data")
            raise UserError(mismatch.format(name=name, kind=spec.data_kind))
        if spec.options is not None:
            check_known(request.options, spec.options, owner=f"dataset {name!r}", scope="data")
        return spec.load(arg, request)


def _selected(ep_name: str, dist_name: str) -> bool:
    """GANTOOL_PLUGINS picks third-party plugins: unset means all, empty means none."""
    raw = os.environ.get("GANTOOL_PLUGINS")
    if raw is None:
        return True
    wanted = {w.strip() for w in raw.split(",") if w.strip()}
    return ep_name in wanted or dist_name in wanted


def _entry_points() -> list[metadata.EntryPoint]:
    return sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)


class Plugins:
    """The pluggy manager plus the registry it filled."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
        self.pm.add_hookspecs(hookspecs)
        self.registry = Registry()
        self._load_builtins()
        self._load_entry_points()
        for name in list(self.registry.plugins):
            self._register_specs(name)

    # -- discovery ---------------------------------------------------------------------
    def _load_builtins(self) -> None:
        from gantool import __version__

        for module_name in BUILTIN_MODULES:
            info = PluginInfo(name=module_name, version=__version__, builtin=True)
            self.registry.plugins[module_name] = info
            try:
                self.pm.register(importlib.import_module(module_name), name=module_name)
            except Exception as exc:  # a broken built-in must still not kill the CLI
                self._fail(info, exc)

    def _load_entry_points(self) -> None:
        for ep in _entry_points():
            dist = ep.dist
            dist_name = dist.metadata["Name"] if dist is not None else ep.name
            if not _selected(ep.name, dist_name):
                continue
            info = PluginInfo(name=ep.name, version=dist.version if dist else "?", builtin=False)
            self.registry.plugins[ep.name] = info
            try:
                self.pm.register(ep.load(), name=ep.name)
            except Exception as exc:
                self._fail(info, exc)

    @staticmethod
    def _fail(info: PluginInfo, exc: BaseException) -> None:
        info.status = "failed"
        info.error = f"{type(exc).__name__}: {exc}"
        info.traceback = traceback.format_exc()

    # -- registration, one plugin at a time for isolation ------------------------------
    def _hookimpls(self, hook_name: str, plugin_name: str) -> list[Any]:
        hook = getattr(self.pm.hook, hook_name)
        return [impl for impl in hook.get_hookimpls() if impl.plugin_name == plugin_name]

    def _register_specs(self, plugin_name: str) -> None:
        info = self.registry.plugins[plugin_name]
        if info.status == "failed":
            return
        added: list[tuple[str, str]] = []
        try:
            for kind, (hook_name, _) in KINDS.items():
                for impl in self._hookimpls(hook_name, plugin_name):

                    def register(spec: Any, _kind: str = kind) -> None:
                        self.registry.add(_kind, spec, plugin_name)
                        added.append((_kind, spec.name))

                    impl.function(register=register)
        except Exception as exc:
            # Undo this plugin's partial registrations so its names give a clear error.
            for kind, name in added:
                self.registry.specs[kind].pop(name, None)
                self.registry.owner.pop((kind, name), None)
            self._fail(info, exc)
            return
        for kind, name in added:
            info.registered.setdefault(kind, []).append(name)

    def add_commands(self, app: Any) -> None:
        """Let every loaded plugin add its Typer sub-apps; a failing one is marked failed."""
        for name, info in self.registry.plugins.items():
            if info.status == "failed":
                continue
            for impl in self._hookimpls("register_commands", name):
                try:
                    impl.function(app=app)
                except Exception as exc:
                    self._fail(info, exc)


_PLUGINS: Plugins | None = None


def get_plugins() -> Plugins:
    """The process-wide plugin set, loaded on first use."""
    global _PLUGINS
    if _PLUGINS is None:
        _PLUGINS = Plugins()
    return _PLUGINS


def registry() -> Registry:
    return get_plugins().registry


def reset() -> None:
    """Forget loaded plugins (tests change GANTOOL_PLUGINS and installed packages)."""
    global _PLUGINS
    _PLUGINS = None
