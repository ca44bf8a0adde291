"""ONNX Runtime sessions: provider choice, batching, IO binding. Never imports torch."""

from gantool.runtime.sampler import Sampler

__all__ = ["Sampler"]
