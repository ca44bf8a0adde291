"""The style-mixing grid (Karras et al. 2019, figure 3) from a mapping / synthesis pair of
ONNX files, with ONNX Runtime and no torch.

A generator that can mix styles exports two more files beside its default one: a mapping
graph, `z` [batch, latent_dim] (and optionally a scalar `truncation_psi`) -> `w` [batch,
w_dim], and a synthesis graph, `ws` [batch, num_ws, w_dim] -> images. The default file's
metadata names them (`mapping_graph`, `synthesis_graph`: graph names, each file being the
default file's stem plus `-NAME.onnx`, as gantool export names them); without that metadata
`STEM-mapping.onnx` and `STEM-synthesis.onnx` next to the file are used. `style_mix_cutoff`
in the metadata says how many of the first (coarse) layers a row's latent sets. A
conditional mapping (an int64 `labels` input) draws source k of the rows, and of the
columns, as class k mod num_classes.

The grid: the top row shows the column sources, the left column the row sources; the cell
of row i and column j takes the coarse styles (layers before the cutoff) of row source i
and the fine styles (the rest) of column source j.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gantool.core.errors import UserError
from gantool.core.imaging import grid, to_uint8
from gantool.core.onnx_meta import NUM_CLASSES
from gantool.runtime.sampler import TRUNCATION, open_session

MAPPING_GRAPH, SYNTHESIS_GRAPH, CUTOFF = "mapping_graph", "synthesis_graph", "style_mix_cutoff"


@dataclass
class StyleMixer:
    """The mapping and synthesis sessions of one generator file."""

    mapping: object
    synthesis: object
    num_ws: int
    cutoff: int
    latent_dim: int
    num_classes: int = 0  # a conditional mapping takes labels: source k is drawn of class k mod num_classes

    def w(self, z: np.ndarray, truncation: float) -> np.ndarray:
        feeds = {}
        for spec in self.mapping.get_inputs():
            if spec.name == TRUNCATION:
                feeds[spec.name] = np.array(truncation, dtype=np.float32)
            elif spec.type == "tensor(int64)":
                feeds[spec.name] = (np.arange(len(z)) % max(1, self.num_classes)).astype(np.int64)
            else:
                feeds[spec.name] = z.astype(np.float32)
        return self.mapping.run(None, feeds)[0]

    def images(self, ws: np.ndarray) -> np.ndarray:
        """uint8 [N, H, W, C], from a float NCHW synthesis or a --uint8 export's NHWC one."""
        out = self.synthesis.run(None, {self.synthesis.get_inputs()[0].name: ws.astype(np.float32)})[0]
        return out if out.dtype == np.uint8 else to_uint8(out)


def pair_files(path: Path, metadata: dict[str, str]) -> tuple[Path, Path]:
    names = metadata.get(MAPPING_GRAPH, "mapping"), metadata.get(SYNTHESIS_GRAPH, "synthesis")
    files = tuple(path.with_name(f"{path.stem}-{name}{path.suffix or '.onnx'}") for name in names)
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise UserError(f"--style-mix needs the mapping and synthesis files beside {path}; missing {', '.join(missing)} "
                        "(a model that mixes styles, such as stylegan2, exports them)")
    return files[0], files[1]


def open_mixer(path: Path, metadata: dict[str, str], provider: str, cutoff: int | None = None) -> StyleMixer:
    mapping_file, synthesis_file = pair_files(path, metadata)
    mapping, _ = open_session(mapping_file, provider)
    synthesis, _ = open_session(synthesis_file, provider)
    ws_shape = synthesis.get_inputs()[0].shape
    z_shape = mapping.get_inputs()[0].shape
    if len(ws_shape) != 3 or not isinstance(ws_shape[1], int) or not isinstance(z_shape[-1], int):
        raise UserError(f"{synthesis_file} does not take ws [batch, num_ws, w_dim] from {mapping_file}")
    num_ws = ws_shape[1]
    chosen = cutoff if cutoff is not None else int(metadata.get(CUTOFF, num_ws // 2))
    if not 0 < chosen < num_ws:
        raise UserError(f"the style-mixing cutoff must be between 1 and {num_ws - 1} (layers of this generator), "
                        f"not {chosen}")
    return StyleMixer(mapping, synthesis, num_ws, chosen, z_shape[-1], int(metadata.get(NUM_CLASSES, 0) or 0))


def style_mix_grid(mixer: StyleMixer, rows: int, columns: int, seed: int, truncation: float = 1.0) -> np.ndarray:
    """The uint8 [H, W, C] picture of the grid: sources on the top row and left column."""
    rng = np.random.default_rng(seed)
    z_rows = rng.standard_normal((rows, mixer.latent_dim), dtype=np.float32)
    z_cols = rng.standard_normal((columns, mixer.latent_dim), dtype=np.float32)
    w_rows, w_cols = mixer.w(z_rows, truncation), mixer.w(z_cols, truncation)
    whole = lambda w: np.repeat(w[:, None], mixer.num_ws, axis=1)  # noqa: E731 - one w for every layer
    row_images, col_images = mixer.images(whole(w_rows)), mixer.images(whole(w_cols))
    mixed = whole(np.repeat(w_cols[None], rows, axis=0).reshape(rows * columns, -1))
    mixed[:, : mixer.cutoff] = np.repeat(w_rows, columns, axis=0)[:, None]  # coarse layers from the row source
    cells = mixer.images(mixed)
    tiles = [np.zeros_like(row_images[:1]), col_images]  # the corner stays black
    for i in range(rows):
        tiles += [row_images[i : i + 1], cells[i * columns : (i + 1) * columns]]
    return grid(np.concatenate(tiles), columns + 1)
