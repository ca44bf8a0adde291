"""CycleGAN's sample grid: rows A, A -> B, A -> B -> A, then B, B -> A, B -> A -> B, on the
same fixed images of each domain at every step, so the grids show translation improving."""

from __future__ import annotations

import numpy as np
import torch

from gantool import DataArrays, to_uint8

COLUMNS = 8


def make_preview(data: DataArrays, seed: int):
    rng = np.random.default_rng(seed)
    picked = []
    for domain in (0, 1):
        rows = np.flatnonzero(data.labels == domain)
        picked.append(data.x[rng.choice(rows, size=min(COLUMNS, len(rows)), replace=False)])
    fixed_a, fixed_b = (torch.from_numpy(x).float().div(127.5).sub(1.0) for x in picked)

    @torch.no_grad()
    def preview(generators, device: torch.device):
        a, b = fixed_a.to(device), fixed_b.to(device)
        a2b, b2a = generators.a2b(a), generators.b2a(b)
        rows = [a, a2b, generators.b2a(a2b), b, b2a, generators.a2b(b2a)]
        images = torch.cat([_pad(r) for r in rows]).float().cpu().numpy()
        return to_uint8(images), COLUMNS

    return preview


def _pad(row: torch.Tensor) -> torch.Tensor:
    """A domain with fewer than 8 images still fills its rows (blank, black tiles)."""
    if len(row) == COLUMNS:
        return row
    blank = row.new_full((COLUMNS - len(row), *row.shape[1:]), -1.0)
    return torch.cat([row, blank])
