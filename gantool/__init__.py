"""gantool: train, watch, export, sample and evaluate GANs from the terminal.

Importing this package is cheap on purpose: torch is only imported by the parts that
train or export, so `gantool --help` and the ONNX Runtime paths stay fast.
"""

from importlib.metadata import PackageNotFoundError, version

import pluggy

try:
    __version__ = version("gantool")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

#: Decorator that marks a plugin's hook implementations (see gantool.hookspecs).
hookimpl = pluggy.HookimplMarker("gantool")

__all__ = ["__version__", "hookimpl"]
