"""The sample grid a run draws at `samples/step-NNNNNNN.png`, one kind per data kind,
chosen once when training starts (gantool.protocols.Preview).

The data kind (a registered DataKindSpec) names its preview class: image, a grid of
images; vector, a scatter of generated over real points, plus mode coverage on
Gaussian-mixture data (the PacGAN protocol's 2,500 samples); table, histograms of
generated against real columns. A model whose samples are not G(z) (an image-to-image
model shows inputs beside translations) brings its own through `ModelSpec.outputs.preview`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from gantool.core.imaging import save_grid, save_scatter, to_uint8
from gantool.core.table_preview import save_table_preview
from gantool.metrics.modes import SAMPLES as MODE_SAMPLES
from gantool.metrics.modes import mode_coverage
from gantool.protocols import Preview
from gantool.specs import DataArrays

TABLE_SAMPLES = 2000  # rows behind a table's preview histograms


class _Generated:
    """G on the fixed latents; a conditional G cycles its fixed batch through the classes."""

    def __init__(self, num_classes: int):
        self.num_classes = num_classes

    def generate(self, g: torch.nn.Module, z: torch.Tensor) -> np.ndarray:
        if self.num_classes:
            labels = torch.arange(len(z), device=z.device) % self.num_classes
            return g(z, labels).float().cpu().numpy()
        return g(z).float().cpu().numpy()


class ImageGrid(_Generated):
    def __init__(self, data: DataArrays, num_classes: int, count: int):
        super().__init__(num_classes)
        self.count = count

    def draw(self, g: torch.nn.Module, z: torch.Tensor, path: Path) -> dict[str, float]:
        save_grid(to_uint8(self.generate(g, z)), path)
        return {}


class Scatter(_Generated):
    def __init__(self, data: DataArrays, num_classes: int, count: int):
        super().__init__(num_classes)
        self.real = data.x[:2000]
        self.modes = (data.modes, data.mode_sigma) if data.modes is not None else None
        self.count = MODE_SAMPLES if self.modes is not None else count

    def draw(self, g: torch.nn.Module, z: torch.Tensor, path: Path) -> dict[str, float]:
        out = self.generate(g, z)
        save_scatter(out, self.real, path)
        return mode_coverage(out, *self.modes).as_metrics() if self.modes is not None else {}


class TableHistograms(_Generated):
    def __init__(self, data: DataArrays, num_classes: int, count: int):
        super().__init__(num_classes)
        self.real, self.columns = data.x[:5000], data.columns
        self.count = TABLE_SAMPLES

    def draw(self, g: torch.nn.Module, z: torch.Tensor, path: Path) -> dict[str, float]:
        save_table_preview(self.generate(g, z), self.real, self.columns, path)
        return {}


class ModelPreview:
    """Wraps `ModelSpec.outputs.preview(data, seed)`: the model draws from its own inputs."""

    def __init__(self, draw: Callable[..., Any], device: torch.device, count: int):
        self._draw, self.device, self.count = draw, device, count  # count: latents kept for the checkpoint's shape

    def draw(self, g: torch.nn.Module, z: torch.Tensor, path: Path) -> dict[str, float]:
        images, columns = self._draw(g, self.device)
        save_grid(images, path, columns)
        return {}


def make_preview(model: Any, data: DataArrays, num_classes: int, count: int, seed: int,
                 device: torch.device) -> Preview:
    if model.outputs.preview is not None:
        return ModelPreview(model.outputs.preview(data, seed), device, count)
    from gantool.plugins import registry

    return registry().get("data kind", data.kind).preview(data, num_classes, count)
