"""Turning a trained generator into one self-describing, verified ONNX file."""
