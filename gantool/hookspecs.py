"""The plugin contract: the hooks gantool calls. Read this first when writing a plugin.

A plugin is a module (found through the `gantool` entry-point group) with functions
decorated by `gantool.hookimpl` and named like the hooks below. Each `register_*` hook
gets a `register` callback; call it once per spec you provide:

    from gantool import hookimpl
    from gantool import ModelSpec

    @hookimpl
    def register_models(register):
        register(ModelSpec(name="mygan", summary="...", build=build_mygan))

The host validates every spec, rejects duplicates (naming both plugins) and keeps a
failing plugin from breaking the CLI: it is listed as failed by `gantool plugins`.
Built-in models, losses and datasets register through exactly these hooks.
"""

from __future__ import annotations

from typing import Any, Callable

import pluggy

hookspec = pluggy.HookspecMarker("gantool")


@hookspec
def register_models(register: Callable[[Any], None]) -> None:
    """Register architectures: call `register(ModelSpec(...))` for each."""


@hookspec
def register_losses(register: Callable[[Any], None]) -> None:
    """Register adversarial losses: call `register(LossSpec(...))` for each."""


@hookspec
def register_datasets(register: Callable[[Any], None]) -> None:
    """Register datasets: call `register(DatasetSpec(...))` for each."""


@hookspec
def register_feature_extractors(register: Callable[[Any], None]) -> None:
    """Register evaluation feature extractors: call `register(FeatureExtractorSpec(...))`."""


@hookspec
def register_data_kinds(register: Callable[[Any], None]) -> None:
    """Register kinds of data: call `register(DataKindSpec(...))` for each. A model or
    dataset names its kind by `data_kind`; previews, sample writers, evaluation and export
    metadata come from the kind, so core has no branch per kind."""


@hookspec
def register_loggers(register: Callable[[Any], None]) -> None:
    """Register training loggers: call `register(LoggerSpec(...))` for each."""


@hookspec
def register_commands(app: Any) -> None:
    """Add CLI commands: `app.add_typer(my_typer_app, name="mycmd")` (a `typer.Typer`)."""
