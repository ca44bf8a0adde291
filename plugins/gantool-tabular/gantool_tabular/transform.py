"""CTGAN's representation of a row (Xu et al. 2019), fitted once and stored as plain numbers.

- A continuous column gets mode-specific normalisation: a variational Gaussian mixture
  (scikit-learn's BayesianGaussianMixture, at most 10 modes, modes under 0.5 % weight
  dropped) is fitted to it; a value becomes the one-hot of a mode drawn from its posterior
  plus a scalar alpha = (x - mu_k) / (4 sigma_k) in (-1, 1).
- A discrete column becomes the one-hot of its category.

`fit` runs at training start (the model's `prepare`); the result is a JSON-like dict saved
in the checkpoint's model options, so export rebuilds the same `Transform` without the data.
`Transform` turns real rows into that representation (on the training device) and the
generator's activations back into rows.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import torch

from gantool import CONTINUOUS

MAX_MODES, MIN_WEIGHT, CLIP = 10, 0.005, 0.99


def fit(table: np.ndarray, columns: list[dict[str, Any]], seed: int = 0) -> dict[str, Any]:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import BayesianGaussianMixture

    specs = []
    for j, col in enumerate(columns):
        values = table[:, j].astype(np.float64)
        if col["kind"] == CONTINUOUS:
            distinct = len(np.unique(values))
            gm = BayesianGaussianMixture(n_components=max(1, min(MAX_MODES, distinct)), weight_concentration_prior=1e-3,
                                         weight_concentration_prior_type="dirichlet_process", max_iter=100,
                                         random_state=seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                gm.fit(values[:, None])
            keep = gm.weights_ > MIN_WEIGHT
            stds = np.sqrt(gm.covariances_.reshape(-1))[keep]
            spread = values.std() or 1.0
            specs.append({"kind": CONTINUOUS, "means": gm.means_.reshape(-1)[keep].tolist(),
                          "stds": np.maximum(stds, 1e-3 * spread).tolist(),
                          "weights": (gm.weights_[keep] / gm.weights_[keep].sum()).tolist()})
        else:
            counts = np.bincount(values.astype(np.int64), minlength=len(col["categories"]))
            specs.append({"kind": "discrete", "counts": counts.tolist()})
    return {"columns": columns, "specs": specs}


class Transform:
    def __init__(self, fitted: dict[str, Any]):
        self.columns, self.specs = fitted["columns"], fitted["specs"]
        # spans of the representation: (start, size, is_alpha); a continuous column is an
        # alpha followed by its mode one-hot, a discrete column its category one-hot
        self.spans: list[tuple[int, int, bool]] = []
        self.starts: list[int] = []  # where each column's part of the representation begins
        self.cond_spans: list[tuple[int, int]] = []  # discrete columns, within the representation
        pos = 0
        for spec in self.specs:
            self.starts.append(pos)
            if spec["kind"] == CONTINUOUS:
                k = len(spec["means"])
                self.spans += [(pos, 1, True), (pos + 1, k, False)]
                pos += 1 + k
            else:
                m = len(spec["counts"])
                self.spans.append((pos, m, False))
                self.cond_spans.append((pos, m))
                pos += m
        self.dim = pos
        self.cond_dim = sum(m for _, m in self.cond_spans)

    def encode(self, rows: torch.Tensor) -> torch.Tensor:
        """Real rows [B, columns] -> representation [B, dim]; modes drawn from their posterior."""
        parts = []
        for j, spec in enumerate(self.specs):
            x = rows[:, j : j + 1]
            if spec["kind"] == CONTINUOUS:
                mu = x.new_tensor(spec["means"])
                sd = x.new_tensor(spec["stds"])
                logp = torch.log(x.new_tensor(spec["weights"])) - torch.log(sd) - 0.5 * ((x - mu) / sd) ** 2
                gumbel = -torch.log(-torch.log(torch.rand_like(logp).clamp_min(1e-20)))
                k = (logp + gumbel).argmax(1)
                alpha = ((x[:, 0] - mu[k]) / (4 * sd[k])).clamp(-CLIP, CLIP)
                parts += [alpha[:, None], torch.nn.functional.one_hot(k, len(spec["means"])).to(x.dtype)]
            else:
                parts.append(torch.nn.functional.one_hot(x[:, 0].long(), len(spec["counts"])).to(x.dtype))
        return torch.cat(parts, dim=1)

    def decode(self, alphas: dict[int, torch.Tensor], choices: dict[int, torch.Tensor]) -> torch.Tensor:
        """Rows from a generator's alphas (per continuous column) and chosen one-hot indices
        (per one-hot span start); ops that export to ONNX."""
        out = []
        for j, spec in enumerate(self.specs):
            start = self.starts[j]
            if spec["kind"] == CONTINUOUS:
                k = choices[start + 1]
                mu = alphas[start].new_tensor(spec["means"])[k]
                sd = alphas[start].new_tensor(spec["stds"])[k]
                out.append(alphas[start] * 4 * sd + mu)
            else:
                out.append(choices[start].to(torch.float32))
        return torch.stack(out, dim=1)


def normal_cdf(z: torch.Tensor) -> torch.Tensor:
    """Standard normal latents -> uniform (0, 1): the generator's random choices come from z."""
    return (0.5 * (1 + torch.erf(z / math.sqrt(2)))).clamp(1e-6, 1 - 1e-6)


def pick(probs: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Inverse-CDF draw of one index per row from `probs` [B, K] with uniforms `u` [B]."""
    below = (torch.cumsum(probs, dim=1) < u[:, None]).sum(1)
    return below.clamp(max=probs.shape[1] - 1)
