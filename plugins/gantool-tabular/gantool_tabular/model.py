"""The CTGAN networks (Xu et al. 2019) and the model's `prepare` / `build`.

G: two residual blocks (Linear -> BatchNorm -> ReLU, output concatenated to the input) from
noise + conditional vector to the row representation. D: PacGAN over `pac` rows (default 10),
two Linear(256) -> LeakyReLU(0.2) -> Dropout(0.5) layers, WGAN-GP critic.

`G.forward(z)` is what gets exported: it takes one latent vector per row and returns the
row itself (continuous values, category indices). The latent holds the noise plus one number
for each random choice CTGAN makes when sampling (which discrete column to condition on,
which category, which mode or category in each one-hot span); they become uniforms through
the normal CDF and pick by inverse CDF, so the ONNX file needs no random ops and sampling
needs no torch.
"""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from gantool import DataArrays, GanModules, ModelArgs, UserError
from gantool_tabular import PLUGIN
from gantool_tabular.transform import Transform, fit, normal_cdf, pick

HIDDEN = (256, 256)
CHOICES_BEFORE_SPANS = 2  # the conditioned column, its category


class Residual(nn.Module):
    def __init__(self, i: int, o: int):
        super().__init__()
        self.fc, self.bn = nn.Linear(i, o), nn.BatchNorm1d(o)

    def forward(self, x):
        return torch.cat([torch.relu(self.bn(self.fc(x))), x], dim=1)


class CTGANGenerator(nn.Module):
    def __init__(self, fitted: dict, noise_dim: int, tau: float = 0.2):
        super().__init__()
        self.transform = Transform(fitted)
        self.columns = fitted["columns"]  # read by gantool's export: the table description
        self.noise_dim, self.tau = noise_dim, tau
        t = self.transform
        width = noise_dim + t.cond_dim
        blocks = []
        for h in HIDDEN:
            blocks.append(Residual(width, h))
            width += h
        self.net = nn.Sequential(*blocks, nn.Linear(width, t.dim))
        # sampling-time conditions: a column uniformly, a category by its frequency
        disc = [s["counts"] for s in t.specs if s["kind"] != "continuous"]
        size = max((len(c) for c in disc), default=1)
        freq = torch.zeros(max(1, len(disc)), size)
        for i, counts in enumerate(disc):
            freq[i, : len(counts)] = torch.tensor(counts, dtype=torch.float32) / max(1, sum(counts))
        self.register_buffer("frequency", freq, persistent=False)
        offsets, pos = [], 0
        for _, m in t.cond_spans:
            offsets.append(pos)
            pos += m
        self.register_buffer("cond_start", torch.tensor(offsets or [0]), persistent=False)

    def generate(self, noise: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """Raw outputs (pre-activation) for noise and a conditional vector."""
        return self.net(torch.cat([noise, cond], dim=1))

    def activate(self, raw: torch.Tensor) -> torch.Tensor:
        """Training activations: tanh for alphas, Gumbel-softmax for one-hot spans."""
        parts = []
        for start, size, is_alpha in self.transform.spans:
            chunk = raw[:, start : start + size]
            parts.append(torch.tanh(chunk) if is_alpha else nn.functional.gumbel_softmax(chunk, tau=self.tau))
        return torch.cat(parts, dim=1)

    def condition(self, column: torch.Tensor, category: torch.Tensor) -> torch.Tensor:
        """One-hot conditional vectors [B, cond_dim] for (discrete column, category) pairs."""
        index = self.cond_start[column] + category
        return (torch.arange(self.transform.cond_dim, device=index.device)[None, :] == index[:, None]).float()

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        t = self.transform
        noise, u = z[:, : self.noise_dim], normal_cdf(z[:, self.noise_dim :])
        if t.cond_dim:
            n_disc = len(t.cond_spans)
            column = (u[:, 0] * n_disc).floor().long().clamp(max=n_disc - 1)
            cond = self.condition(column, pick(self.frequency[column], u[:, 1]))
        else:
            cond = noise.new_zeros(noise.shape[0], 0)
        raw = self.generate(noise, cond)
        alphas, choices, span = {}, {}, 0
        for start, size, is_alpha in t.spans:
            if is_alpha:
                alphas[start] = torch.tanh(raw[:, start])
            else:
                probs = torch.softmax(raw[:, start : start + size], dim=1)
                choices[start] = pick(probs, u[:, CHOICES_BEFORE_SPANS + span])
                span += 1
        return t.decode(alphas, choices)


class CTGANDiscriminator(nn.Module):
    def __init__(self, input_dim: int, pac: int):
        super().__init__()
        self.pac, self.input_dim = pac, input_dim
        layers, width = [], input_dim * pac
        for h in HIDDEN:
            layers += [nn.Linear(width, h), nn.LeakyReLU(0.2), nn.Dropout(0.5)]
            width = h
        self.net = nn.Sequential(*layers, nn.Linear(width, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.reshape(-1, self.pac * self.input_dim)).flatten()


def prepare(args: ModelArgs, data: DataArrays) -> ModelArgs:
    """Fit the column transforms on the training rows; the latent grows by one number per
    random choice the generator makes (see the module docstring)."""
    if data.columns is None:
        raise UserError(f"{PLUGIN}: ctgan trains on tables (csv:PATH, sklearn:NAME)")
    fitted = fit(data.x, data.columns)
    spans = sum(1 for _, _, is_alpha in Transform(fitted).spans if not is_alpha)
    options = {**args.options, "table": fitted, "noise_dim": args.latent_dim}
    return dataclasses.replace(args, latent_dim=args.latent_dim + CHOICES_BEFORE_SPANS + spans, options=options)


def build(args: ModelArgs) -> GanModules:
    if "table" not in args.options:
        raise UserError(f"{PLUGIN}: ctgan's column transforms are missing; train on a table (csv:PATH, sklearn:NAME)")
    g = CTGANGenerator(args.options["table"], int(args.options["noise_dim"]))
    pac = args.int_option("pac", 10)
    return GanModules(g, CTGANDiscriminator(g.transform.dim + g.transform.cond_dim, pac))
