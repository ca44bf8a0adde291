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
    "ModelArgs": "gantool.specs", "ModelFlag": "gantool.specs", "GanModules": "gantool.specs",
    "ExportGraph": "gantool.specs", "DataArrays": "gantool.specs", "DataRequest": "gantool.specs",
    "lazy": "gantool.specs",
    # protocols: what a plugin implements
    "Phase": "gantool.protocols", "PhaseLoss": "gantool.protocols", "Judged": "gantool.protocols",
    "TrainingStep": "gantool.protocols", "AdversarialLoss": "gantool.protocols", "Preview": "gantool.protocols",
    "Logger": "gantool.protocols", "FeatureExtractor": "gantool.protocols",
    # the training step a custom step is built from (torch)
    "StepContext": "gantool.train.step", "AdversarialStep": "gantool.train.step",
    # errors and helpers plugins share
    "UserError": "gantool.core.errors", "typed_options": "gantool.core", "tables": "gantool.core",
    "onnx_meta": "gantool.core", "imaging": "gantool.core", "images": "gantool.data",
    "registry": "gantool.plugins",
}

__all__ = ["__version__", "hookimpl", *_PUBLIC]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'gantool' has no attribute {name!r}")
    imported = import_module(module)
    value = getattr(imported, name) if hasattr(imported, name) else import_module(f"{module}.{name}")
    globals()[name] = value  # cache: the next access is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
