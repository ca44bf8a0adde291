"""gantool: train, watch, export, sample and evaluate GANs from the terminal.

This module is the plugin-facing API: everything a plugin needs is importable from
`gantool` itself (`__all__`), and the plugins in plugins/ import nothing else of gantool's.
Importing it is cheap on purpose: names that need torch (the step context, the default
step) are resolved on first use, so `gantool --help` and the ONNX Runtime paths stay fast.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import pluggy

try:
    __version__ = version("gantool")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

#: Decorator that marks a plugin's hook implementations (see gantool.hookspecs).
hookimpl = pluggy.HookimplMarker("gantool")

#: public name -> module that defines it; imported on first attribute access
_PUBLIC = {
    # specs: what a plugin registers
    "ModelSpec": "gantool.specs", "LossSpec": "gantool.specs", "DatasetSpec": "gantool.specs",
    "FeatureExtractorSpec": "gantool.specs", "LoggerSpec": "gantool.specs", "DataKindSpec": "gantool.specs",
    "RecipeSpec": "gantool.specs",
    "TrainingHooks": "gantool.specs", "OutputHooks": "gantool.specs", "ModelArgs": "gantool.specs", "ModelFlag": "gantool.specs", "GanModules": "gantool.specs",
    "ExportGraph": "gantool.specs", "ExportInput": "gantool.specs", "DataArrays": "gantool.specs", "DataRequest": "gantool.specs",
    "lazy": "gantool.specs",
    # protocols: what a plugin implements
    "Phase": "gantool.protocols", "PhaseLoss": "gantool.protocols", "Judged": "gantool.protocols",
    "TrainingStep": "gantool.protocols", "AdversarialLoss": "gantool.protocols", "Preview": "gantool.protocols",
    "Logger": "gantool.protocols", "FeatureExtractor": "gantool.protocols", "Features": "gantool.metrics.features",
    # the training step a custom step is built from (torch)
    "StepContext": "gantool.train.step", "AdversarialStep": "gantool.train.step",
    # errors and helpers plugins share
    "UserError": "gantool.core.errors", "registry": "gantool.plugins", "open_session": "gantool.runtime.sampler",
    "onnx_meta": "gantool.core", "typed_options": "gantool.core",
    "to_uint8": "gantool.core.imaging", "image_grid": "gantool.core.imaging:grid", "save_png": "gantool.core.imaging",
    "fit_pil": "gantool.data.images", "fit_array": "gantool.data.images", "list_images": "gantool.data.folder",
    "CONTINUOUS": "gantool.core.tables", "DISCRETE": "gantool.core.tables", "check_columns": "gantool.core.tables",
    "write_csv": "gantool.core.tables",
    "cache_dir": "gantool.core.cache", "atomic_write": "gantool.core.fsutil", "EvalResult": "gantool.metrics.evaluate", "write_result": "gantool.metrics.evaluate",
}

__all__ = ["__version__", "hookimpl", *_PUBLIC]


def __getattr__(name: str) -> Any:
    where = _PUBLIC.get(name)
    if where is None:
        raise AttributeError(f"module 'gantool' has no attribute {name!r}")
    module, _, attr = where.partition(":")  # "module:attr" when the public name is an alias
    imported = import_module(module)
    attr = attr or name
    value = getattr(imported, attr) if hasattr(imported, attr) else import_module(f"{module}.{attr}")
    globals()[name] = value  # cache: the next access is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
