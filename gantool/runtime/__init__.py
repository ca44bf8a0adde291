"""ONNX Runtime sessions: provider choice, batching, IO binding. Never imports torch."""
