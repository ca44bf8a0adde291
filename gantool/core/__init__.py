"""Torch-free utilities every layer may use: errors, atomic files, TOML, typed options,
downloads and the cache, images, tables and ONNX metadata names. Nothing here imports
from the rest of gantool."""
