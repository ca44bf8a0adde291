"""Finds plugins, calls their hooks one plugin at a time, and holds what they registered.

Built-ins (gantool.models, gantool.losses, gantool.data) are registered exactly like
third-party plugins; the only difference is that they are found by module name instead of
through the `gantool` entry-point group. A plugin that fails to import or to register is
recorded as failed and everything else keeps working.

The host is sealed against plugins that go wrong:
- a hook name that no hookspec declares (`register_model`) fails the plugin, with a reason;
- two third-party plugins registering one name: the name is held by neither, and using it
  is one line naming both distributions (never decided by load order); a plugin that
  reuses a built-in's name loses that one name, with a note;
- commands are added through a scratch app that must build before it joins the real one,
  and may not take a built-in's or another plugin's command name;
- an exception inside a third-party plugin's factories (model build, loss factory, dataset
  load, the training step's factory) is a PluginError naming the plugin, not a bare
  traceback; what those build then runs unwrapped in the loop.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import importlib
import os
import traceback
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from gantool import hookspecs
from gantool.core.errors import PluginError, RunAborted, TrainingDiverged, UserError
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
    RecipeSpec,
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
    "recipe": ("register_recipes", RecipeSpec),
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
    dist: str = ""  # the distribution that installed it ("gantool" for built-ins)
    notes: list[str] = field(default_factory=list)  # names it lost to a clash

    @property
    def provider(self) -> str:
        """`dist version`, how config.toml records where a model, loss or dataset came from."""
        return f"{self.dist or self.name} {self.version}"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "dist": self.dist,
            "builtin": self.builtin,
            "status": self.status,
            "error": self.error,
            "registered": self.registered,
            "notes": self.notes,
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


def _check_recipe(spec: RecipeSpec) -> None:
    """A recipe's settings must be config keys, checked when it registers, not when used."""
    from gantool.config import apply_layer

    if not isinstance(spec.settings, dict) or not spec.settings:
        raise ValueError(f"recipe {spec.key!r} has no settings")
    if "model" in spec.settings or "recipe" in spec.settings:
        raise ValueError(f"recipe {spec.key!r}: its settings may not set the model or another recipe")
    try:
        apply_layer({}, spec.settings, f"recipe {spec.key!r}")
    except UserError as exc:
        raise ValueError(str(exc)) from None


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
        self.clashes: dict[tuple[str, str], list[str]] = {}  # (kind, name) -> the plugins that both claim it

    def add(self, kind: str, spec: Any, plugin: str) -> bool:
        """Record `spec`; False when its name clashes (see the module docstring)."""
        _, spec_type = KINDS[kind]
        if not isinstance(spec, spec_type):
            raise TypeError(f"register_{kind}s expects {spec_type.__name__}, got {type(spec).__name__}")
        check_name(spec.name)
        if not spec.summary:
            raise ValueError(f"{kind} {spec.name!r} is incomplete: missing summary")
        _check_callables(kind, spec)
        if kind == "recipe":
            _check_recipe(spec)
        name = spec.key if kind == "recipe" else spec.name
        key = (kind, name)
        previous = self.owner.get(key)
        if key in self.clashes:
            self.clashes[key].append(plugin)
            return False
        if previous is not None:
            if previous == plugin:
                raise ValueError(f"{kind} {name!r} is registered twice")
            if self._is_builtin(previous):
                self.plugins[plugin].notes.append(f"{kind} {name!r} is a built-in's name; not registered")
                return False
            del self.specs[kind][name], self.owner[key]
            self.clashes[key] = [previous, plugin]
            return False
        info = self.plugins.get(plugin)
        if info is not None and not info.builtin:
            spec = _guarded(kind, spec, info)
        self.specs[kind][name] = spec
        self.owner[key] = plugin
        return True

    def recipe(self, model: str, name: str) -> RecipeSpec:
        """The recipe `name` of `model`, or one line listing the model's recipes."""
        found = self.specs["recipe"].get(f"{model}/{name}")
        if found is not None:
            return found
        if ("recipe", f"{model}/{name}") in self.clashes:
            self.get("recipe", f"{model}/{name}")  # says who clashes
        own = sorted(r.name for r in self.specs["recipe"].values() if r.model == model)
        close = difflib.get_close_matches(name, own, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise UserError(f"unknown recipe {name!r} for model {model!r}; {hint}"
                        + (f"its recipes: {', '.join(own)}" if own else "it has none") + " (`gantool recipes`)")

    def _is_builtin(self, plugin: str) -> bool:
        info = self.plugins.get(plugin)
        return info is not None and info.builtin

    def provider(self, kind: str, name: str) -> str:
        """The distribution and version that registered `name` (recorded in config.toml)."""
        plugin = self.owner.get((kind, name))
        info = self.plugins.get(plugin) if plugin else None
        return info.provider if info is not None else "?"

    def names(self, kind: str) -> list[str]:
        return sorted(self.specs[kind])

    def get(self, kind: str, name: str, recorded: str | None = None) -> Any:
        """The spec called `name`, or a UserError with a 'did you mean' and failed plugins.
        `recorded`: the "distribution version" a run's config.toml says provided it, named
        when that distribution is not installed any more."""
        try:
            return self.specs[kind][name]
        except KeyError:
            pass
        if recorded and recorded != "?" and not recorded.startswith("gantool "):
            raise UserError(f"{kind} {name!r} came from {recorded}, which is not installed here or failed to load "
                            f"(see `gantool plugins`); install {recorded.split()[0]} to use this run")
        if (kind, name) in self.clashes:
            claims = " and ".join(sorted(self.plugins[p].provider for p in self.clashes[(kind, name)]))
            raise UserError(f"{kind} {name!r} is registered by both {claims}; uninstall one, or choose with "
                            f"GANTOOL_PLUGINS=<plugin> (see `gantool plugins`)")
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


# what a third-party spec's factories are wrapped for, so their exceptions name the plugin
_GUARDED = {"model": ("build",), "loss": ("factory",), "dataset": ("load",)}
_PASS_THROUGH = (UserError, TrainingDiverged, RunAborted, PluginError)


def _guard(fn: Any, what: str, info: PluginInfo) -> Any:
    if fn is None:
        return None

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except _PASS_THROUGH:
            raise
        except Exception as exc:
            raise PluginError(f"plugin {info.name!r} ({info.provider}) failed in {what}: "
                              f"{type(exc).__name__}: {exc}") from exc

    return call


def _guarded(kind: str, spec: Any, info: PluginInfo) -> Any:
    changes = {attr: _guard(getattr(spec, attr), f"{kind} {spec.name!r} {attr}", info) for attr in _GUARDED.get(kind, ())}
    if kind == "model" and spec.training.make_step is not None:
        changes["training"] = dataclasses.replace(
            spec.training, make_step=_guard(spec.training.make_step, f"model {spec.name!r} make_step", info))
    return dataclasses.replace(spec, **changes) if changes else spec


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
        self._note_clashes()

    # -- discovery ---------------------------------------------------------------------
    def _load_builtins(self) -> None:
        from gantool import __version__

        for module_name in BUILTIN_MODULES:
            info = PluginInfo(name=module_name, version=__version__, builtin=True, dist="gantool")
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
            info = PluginInfo(name=ep.name, version=dist.version if dist else "?", builtin=False, dist=dist_name)
            self.registry.plugins[ep.name] = info
            try:
                self.pm.register(ep.load(), name=ep.name)
                self._check_hook_names(ep.name)
            except Exception as exc:
                self._fail(info, exc)
                if self.pm.get_plugin(ep.name) is not None:
                    self.pm.unregister(name=ep.name)

    def _check_hook_names(self, plugin_name: str) -> None:
        """pluggy accepts any @hookimpl name; one no hookspec declares (a typo such as
        register_model) would load as 'loaded' with nothing registered."""
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError:
            unknown = sorted(name for name, caller in vars(self.pm.hook).items()
                             if isinstance(caller, pluggy.HookCaller) and caller.spec is None
                             and any(impl.plugin_name == plugin_name for impl in caller.get_hookimpls()))
            if not unknown:
                raise
            known = [n for n in vars(hookspecs) if n.startswith("register_")]
            hints = [f"{u} (did you mean {close[0]}?)" if (close := difflib.get_close_matches(u, known, n=1)) else u
                     for u in unknown]
            raise ValueError(f"unknown hook {', '.join(hints)}; gantool's hooks are {', '.join(sorted(known))}") from None

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
                        if self.registry.add(_kind, spec, plugin_name):
                            added.append((_kind, spec.key if _kind == "recipe" else spec.name))

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

    def _note_clashes(self) -> None:
        """A name two plugins claim is neither's: off both lists, onto both plugins' notes."""
        for (kind, name), owners in self.registry.clashes.items():
            for owner in dict.fromkeys(owners):
                info = self.registry.plugins[owner]
                if name in info.registered.get(kind, []):
                    info.registered[kind].remove(name)
                others = " and ".join(self.registry.plugins[o].provider for o in owners if o != owner)
                info.notes.append(f"{kind} {name!r} is also registered by {others}: neither is used")

    def add_commands(self, app: Any) -> None:
        """Let every loaded plugin add its commands. Each plugin registers into a scratch app
        that must build on its own before its commands join `app`, so one broken plugin
        (`app.add_typer(42)`) cannot break every command; a name already taken (a built-in
        command or another plugin's) is refused, naming both."""
        import typer

        taken = {_command_name(c): "gantool" for c in app.registered_commands}
        taken.update({_group_name(g): "gantool" for g in app.registered_groups})
        for name, info in self.registry.plugins.items():
            impls = self._hookimpls("register_commands", name)
            if info.status == "failed" or not impls:
                continue
            scratch = typer.Typer()
            try:
                for impl in impls:
                    impl.function(app=scratch)
                commands = [(_command_name(c), c) for c in scratch.registered_commands]
                groups = [(_group_name(g), g) for g in scratch.registered_groups]
                if commands or groups:
                    typer.main.get_command(scratch)  # builds, or raises here instead of in every command
            except Exception as exc:
                self._fail(info, exc)
                continue
            added = []
            for command, entry in commands + groups:
                if command in taken:  # never a silent replacement of a built-in or another plugin's command
                    owner = "built-in command" if taken[command] == "gantool" else f"command of plugin {taken[command]!r}"
                    info.notes.append(f"command {command!r} clashes with the {owner} {command!r}; not added")
                    continue
                (app.registered_groups if (command, entry) in groups else app.registered_commands).append(entry)
                taken[command] = name
                added.append(command)
            if added:
                info.registered["command"] = added


def _command_name(command: Any) -> str:
    return command.name or command.callback.__name__.lower().replace("_", "-")


def _group_name(group: Any) -> str:
    instance = group.typer_instance
    return group.name or (instance.info.name if instance is not None and isinstance(instance.info.name, str) else "") or "?"


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
