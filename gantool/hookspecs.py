"""The plugin contract: the hooks gantool calls. Read this first when writing a plugin.

A plugin is a module (found through the `gantool` entry-point group) with functions
decorated by `gantool.hookimpl` and named like the hooks below. Each `register_*` hook
gets a `register` callback; call it once per spec you provide:

    from gantool import ModelSpec, hookimpl

    @hookimpl
    def register_models(register):
        register(ModelSpec(name="mygan", summary="...", build=build_mygan))

The host validates every spec, rejects duplicates (naming both plugins) and keeps a
failing plugin from breaking the CLI: it is listed as failed by `gantool plugins`.
Built-in models, losses and datasets register through exactly these hooks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import pluggy

if TYPE_CHECKING:  # the types only: importing the contract stays cheap
    import typer

    from gantool.specs import (
        DataKindSpec,
        DatasetSpec,
        FeatureExtractorSpec,
        LoggerSpec,
        LossSpec,
        ModelSpec,
        RecipeSpec,
    )

hookspec = pluggy.HookspecMarker("gantool")

# Lifecycle: gantool loads every plugin when a command first needs the registry (every
# command but `--version`); the register_* hooks run once per process, one plugin at a time,
# in the order plugins are found (built-ins first); each `register(spec)` is validated at
# once. `register_commands` runs when the CLI is built, after the specs are registered.

# -- what a plugin registers ---------------------------------------------------------------


@hookspec
def register_models(register: Callable[[ModelSpec], None]) -> None:
    """Register architectures: call `register(ModelSpec(...))` for each."""


@hookspec
def register_losses(register: Callable[[LossSpec], None]) -> None:
    """Register adversarial losses: call `register(LossSpec(...))` for each."""


@hookspec
def register_datasets(register: Callable[[DatasetSpec], None]) -> None:
    """Register datasets: call `register(DatasetSpec(...))` for each."""


@hookspec
def register_feature_extractors(register: Callable[[FeatureExtractorSpec], None]) -> None:
    """Register evaluation feature extractors: call `register(FeatureExtractorSpec(...))`."""


@hookspec
def register_data_kinds(register: Callable[[DataKindSpec], None]) -> None:
    """Register kinds of data: call `register(DataKindSpec(...))` for each. A model or
    dataset names its kind by `data_kind`; previews, sample writers, evaluation and export
    metadata come from the kind, so a new kind needs no change to core."""


@hookspec
def register_loggers(register: Callable[[LoggerSpec], None]) -> None:
    """Register training loggers: call `register(LoggerSpec(...))` for each."""


@hookspec
def register_recipes(register: Callable[[RecipeSpec], None]) -> None:
    """Register named bundles of settings: call `register(RecipeSpec(...))` for each. A
    recipe may be for any model, also another plugin's."""


# -- what a plugin adds to the command line --------------------------------------------------


@hookspec
def register_commands(app: typer.Typer) -> None:
    """Add CLI commands: `app.add_typer(my_typer_app, name="mycmd")` (a `typer.Typer`)."""
