"""What `gantool export` writes for stylegan2: three ONNX files, all with a dynamic batch.

    generator.onnx            z [batch, latent_dim], truncation_psi float32 scalar -> images
    generator-mapping.onnx    z [batch, latent_dim], truncation_psi               -> w [batch, w_dim]
    generator-synthesis.onnx  ws [batch, num_ws, w_dim]                           -> images

(stylegan2-cond: `labels` int64 [batch] after `z` in the first two.)
The average w is baked into the graphs that truncate; psi 1 leaves w unchanged, 0 gives the
average image. Images are clamped to [-1, 1] (the ONNX contract), which training does not
do. `gantool sample` feeds `truncation_psi` (1 unless --truncation) and finds the mapping /
synthesis pair for --style-mix through the metadata of generator.onnx (MAPPING, SYNTHESIS:
the graph names, each file being the default file's stem plus `-NAME`).
"""

from __future__ import annotations

import torch
from torch import nn

from gantool import ExportGraph, ExportInput, ModelArgs, onnx_meta

TRUNCATION = "truncation_psi"  # the scalar input's name, which gantool sample looks for
MAPPING, SYNTHESIS = "mapping", "synthesis"


class TruncatedGenerator(nn.Module):
    """(z, truncation_psi) or, conditional, (z, labels, truncation_psi) -> images."""

    def __init__(self, g: nn.Module):
        super().__init__()
        self.g = g

    def forward(self, z: torch.Tensor, *rest: torch.Tensor) -> torch.Tensor:
        labels, psi = rest if len(rest) == 2 else (None, rest[0])
        return self.g(z, labels, psi).clamp(-1.0, 1.0)


class TruncatedMapping(nn.Module):
    """(z[, labels], truncation_psi) -> w."""

    def __init__(self, g: nn.Module):
        super().__init__()
        self.g = g

    def forward(self, z: torch.Tensor, *rest: torch.Tensor) -> torch.Tensor:
        labels, psi = rest if len(rest) == 2 else (None, rest[0])
        return self.g.truncate(self.g.mapping(z, labels), psi)


class ClampedSynthesis(nn.Module):
    def __init__(self, g: nn.Module):
        super().__init__()
        self.g = g

    def forward(self, ws: torch.Tensor) -> torch.Tensor:
        return self.g.synthesis(ws).clamp(-1.0, 1.0)


def style_metadata(g: nn.Module) -> dict[str, str]:
    """What gantool sample needs to run the pair: its graph names and the shape of ws. The
    coarse styles (rows of the style-mixing grid) are the layers of 4 and 8 px."""
    return {"mapping_graph": MAPPING, "synthesis_graph": SYNTHESIS, "num_ws": str(g.num_ws),
            "w_dim": str(g.w_dim), "style_mix_cutoff": str(min(4, g.num_ws - 1)), "truncation_psi_default": "1"}


def exports(g: nn.Module, args: ModelArgs) -> dict[str, ExportGraph]:
    z = (ExportInput(onnx_meta.INPUT_Z, "float32", ("batch", args.latent_dim)),)
    if g.num_classes:
        z += (ExportInput(onnx_meta.INPUT_LABELS, "int64", ("batch",), example="labels"),)
    psi = ExportInput(TRUNCATION, "float32", (), example=0.7)  # checked truncated, so w_avg is in the check
    ws = ExportInput("ws", "float32", ("batch", g.num_ws, g.w_dim))
    meta = style_metadata(g)
    return {
        "": ExportGraph(TruncatedGenerator(g), (*z, psi), onnx_meta.OUTPUT_IMAGES, meta),
        MAPPING: ExportGraph(TruncatedMapping(g), (*z, psi), "w", meta),
        SYNTHESIS: ExportGraph(ClampedSynthesis(g), (ws,), onnx_meta.OUTPUT_IMAGES, meta),
    }
