"""Networks for 2-D point clouds (ring, grid).

`arch = "mlp"` (the default) is a plain pair: three hidden layers of `hidden` (256) units,
ReLU in G, LeakyReLU in D. On ring and grid it reaches full coverage in a few thousand
steps on a CPU (benchmarks/toy_modes.py). `arch = "pacgan"` is the pair the PacGAN paper
(Lin et al. 2018) uses, so mode counts can be compared with its tables: G has four hidden
layers of 400 ReLU units with BatchNorm, D three hidden layers of 200 maxout units with 5
pieces each; it is about 3x slower per step.
"""

from __future__ import annotations

from torch import nn

from gantool.core.errors import UserError
from gantool.specs import GanModules, ModelArgs

ARCHS = ("pacgan", "mlp")


def mlp(sizes: list[int], act: type[nn.Module]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-2], sizes[1:-1]):
        layers += [nn.Linear(a, b), act()]
    layers.append(nn.Linear(sizes[-2], sizes[-1]))
    return nn.Sequential(*layers)


class Maxout(nn.Module):
    """A linear layer with `pieces` outputs per unit, keeping the largest (Goodfellow et al. 2013)."""

    def __init__(self, dim_in: int, units: int, pieces: int):
        super().__init__()
        self.units, self.pieces = units, pieces
        self.linear = nn.Linear(dim_in, units * pieces)

    def forward(self, x):
        return self.linear(x).view(x.shape[0], self.units, self.pieces).amax(dim=2)


def pacgan_generator(latent_dim: int, dim: int, hidden: int = 400, depth: int = 4) -> nn.Sequential:
    layers: list[nn.Module] = []
    width = latent_dim
    for _ in range(depth):
        layers += [nn.Linear(width, hidden), nn.BatchNorm1d(hidden), nn.ReLU()]
        width = hidden
    layers.append(nn.Linear(width, dim))
    return nn.Sequential(*layers)


class ToyDiscriminator(nn.Module):
    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x).squeeze(1)


def pacgan_discriminator(dim: int, hidden: int = 200, depth: int = 3, pieces: int = 5) -> ToyDiscriminator:
    layers: list[nn.Module] = []
    width = dim
    for _ in range(depth):
        layers.append(Maxout(width, hidden, pieces))
        width = hidden
    layers.append(nn.Linear(width, 1))
    return ToyDiscriminator(nn.Sequential(*layers))


def build(args: ModelArgs) -> GanModules:
    arch = str(args.options.get("arch", "mlp"))
    dim = args.data_dim or 2
    if arch == "pacgan":
        return GanModules(pacgan_generator(args.latent_dim, dim), pacgan_discriminator(dim))
    if arch == "mlp":
        hidden = args.int_option("hidden", 256)
        return GanModules(mlp([args.latent_dim, hidden, hidden, hidden, dim], nn.ReLU),
                          ToyDiscriminator(mlp([dim, hidden, hidden, hidden, 1], lambda: nn.LeakyReLU(0.2))))
    raise UserError(f"toy: model.arch must be one of {', '.join(ARCHS)}, not {arch!r}")
