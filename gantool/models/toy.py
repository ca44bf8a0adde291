"""A small MLP pair for 2-D point clouds (ring, grid)."""

from __future__ import annotations

from torch import nn

from gantool.specs import GanModules, ModelArgs


def mlp(sizes: list[int], act: type[nn.Module]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-2], sizes[1:-1]):
        layers += [nn.Linear(a, b), act()]
    layers.append(nn.Linear(sizes[-2], sizes[-1]))
    return nn.Sequential(*layers)


class ToyDiscriminator(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.net = mlp([dim, hidden, hidden, hidden, 1], lambda: nn.LeakyReLU(0.2))

    def forward(self, x):
        return self.net(x).squeeze(1)


def build(args: ModelArgs) -> GanModules:
    hidden = int(args.options.get("hidden", 256))
    dim = args.data_dim or 2
    return GanModules(mlp([args.latent_dim, hidden, hidden, hidden, dim], nn.ReLU), ToyDiscriminator(dim, hidden))
