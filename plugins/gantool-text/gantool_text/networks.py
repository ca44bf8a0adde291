"""The networks: an LSTM generator shared by all three models, SeqGAN's CNN discriminator,
and `build` / `prepare` for the specs.

Generator invariants:
- `forward(z)` is the exported sampling graph: `z` [N, T] standard normal draws become
  uniforms u = Phi(z), and token t is the inverse-CDF draw of u[:, t] from the softmax
  at the sampling temperature. The same z always gives the same tokens, in PyTorch and
  in ONNX Runtime, so `gantool sample --seed` is reproducible and export is checked token
  for token. The sampling randomness is the latent: `latent_dim` is the sequence length.
- After the first `<eos>` every token is `<pad>`; `<pad>` is never sampled.
- Everything is unrolled in Python over T (no data-dependent control flow), so
  `torch.export` traces it.
"""

from __future__ import annotations

import dataclasses
import math

import torch
import torch.nn.functional as F
from torch import nn

from gantool import ModelArgs, UserError
from gantool_text import PLUGIN
from gantool_text.vocab import Vocab


class TokenGenerator(nn.Module):
    """An embedding, one LSTM layer (its own cell, so export sees plain matmuls) and a
    softmax head; `start` is the learned input of the first step."""

    def __init__(self, vocab_size: int, max_len: int, pad_id: int, eos_id: int, embed: int = 32, hidden: int = 32,
                 temperature: float = 1.0):
        super().__init__()
        self.vocab_size, self.max_len, self.pad_id, self.eos_id, self.hidden = vocab_size, max_len, pad_id, eos_id, hidden
        self.embed = nn.Embedding(vocab_size, embed)
        self.start = nn.Parameter(torch.randn(embed) * 0.1)
        self.ih = nn.Linear(embed, 4 * hidden)
        self.hh = nn.Linear(hidden, 4 * hidden, bias=False)
        self.out = nn.Linear(hidden, vocab_size)
        self.register_buffer("temperature", torch.tensor(float(temperature)))
        banned = torch.zeros(vocab_size)
        if pad_id >= 0:
            banned[pad_id] = -1e9  # additive: <pad> is padding, never a choice
        self.register_buffer("banned", banned)
        self.train_options: dict = {}  # the model's schedule, read by its training step

    def cell(self, x_proj: torch.Tensor, h: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One LSTM step from the projected input: (h, c)."""
        i, f, g, o = (x_proj + linear(self.hh, h)).chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c

    def head(self, h: torch.Tensor) -> torch.Tensor:
        """Logits from hidden states (any leading shape)."""
        return linear(self.out, h) + self.banned.to(h.dtype)

    def initial(self, n: int, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The state before the first step, in `like`'s dtype."""
        zeros = like.new_zeros(n, self.hidden)
        return linear(self.ih, self.start.to(like.dtype)).expand(n, -1), zeros, zeros

    def project(self, token: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        """The input projection of the tokens just drawn."""
        return linear(self.ih, self.embed(token).to(dtype))

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Teacher-forced logits [N, T, V] for target ids `x` [N, T] (the input at t is x[:, t-1])."""
        n, steps = x.shape
        proj = self.ih(self.embed(x[:, :-1]))  # every input's projection in one product
        first, h, c = self.initial(n, proj)
        hidden = []
        for t in range(steps):
            h, c = self.cell(first if t == 0 else proj[:, t - 1], h, c)
            hidden.append(h)
        return self.head(torch.stack(hidden, dim=1))  # one product for every step

    def nll(self, x: torch.Tensor, reduce: bool = True) -> torch.Tensor:
        """Per-token NLL (nats) of `x`, over the tokens up to and including each `<eos>`;
        the mean (reduce) or each sequence's sum [N]."""
        x = x.long()
        token_nll = F.cross_entropy(self.logits(x).transpose(1, 2), x, reduction="none")
        mask = self.scored(x)
        if reduce:
            return (token_nll * mask).sum() / mask.sum().clamp_min(1)
        return (token_nll * mask).sum(dim=1)

    def scored(self, x: torch.Tensor) -> torch.Tensor:
        """1.0 at the positions a model chooses: every one, or up to the first `<eos>`."""
        if self.eos_id < 0:
            return torch.ones_like(x, dtype=torch.float32)
        ended_before = torch.cumsum((x == self.eos_id).long(), dim=1) - (x == self.eos_id).long()
        return (ended_before == 0).float()

    def generate(self, u: torch.Tensor, prefix: torch.Tensor | None = None, given: int = 0,
                 state: tuple | None = None, fast: bool = False, temperature: torch.Tensor | None = None
                 ) -> torch.Tensor:
        """Tokens int64 [N, T] by inverse-CDF sampling from uniforms `u` [N, T]; the first
        `given` tokens are `prefix`'s (SeqGAN's rollouts complete a prefix). `state`, the
        (input projection, h, c) after the prefix, skips re-reading it. `temperature` [N]
        replaces the model's own sampling temperature row by row."""
        n = u.shape[0]
        x_proj, h, c = state if state is not None else self.initial(n, u)
        done = torch.zeros(n, dtype=torch.bool, device=u.device)
        tokens = []
        for t in range(self.max_len):
            read = state is not None and t < given  # the prefix is already in the state
            if not read:
                h, c = self.cell(x_proj, h, c)
            token = prefix[:, t] if t < given else self.draw(self.head(h), u[:, t], fast, temperature)
            if self.eos_id >= 0:  # after <eos>, <pad>
                token = torch.where(done, torch.full_like(token, self.pad_id), token)
                done = done | (token == self.eos_id)
            tokens.append(token)
            if not read:
                x_proj = self.project(token, u.dtype)
        return torch.stack(tokens, dim=1)

    def draw(self, logits: torch.Tensor, u: torch.Tensor, fast: bool = False,
             temperature: torch.Tensor | None = None) -> torch.Tensor:
        """The inverse-CDF draw: the first token whose cumulative (unnormalised) probability
        reaches u times the total. `fast` finds it by binary search (training's rollouts);
        the exported graph counts the entries below it (ONNX has no search op): the same
        token from the same cdf."""
        scaled = logits / (self.temperature if temperature is None else temperature[:, None])
        # the running sum in float64: a float32 sum over 5,000 tokens drifts by ~1e-5 with the
        # order of additions, enough for ONNX Runtime to pick a neighbouring token now and then
        cdf = torch.cumsum(torch.exp(scaled - scaled.amax(dim=-1, keepdim=True)).double(), dim=-1)
        target = u.double()[:, None] * cdf[:, -1:]  # (forward runs in float64 throughout)
        token = torch.searchsorted(cdf, target).squeeze(1) if fast else (cdf < target).sum(dim=-1)
        return token.clamp_max(self.vocab_size - 1)

    def prefix_states(self, x: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """The state after reading x[:, :t], for t = 0 .. T - 1 (rollouts start there)."""
        state = self.initial(x.shape[0], x.float())
        states = [state]
        for t in range(self.max_len - 1):
            h, c = self.cell(*state)
            state = (self.project(x[:, t], h.dtype), h, c)
            states.append(state)
        return states

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """The exported graph: z [N, T] ~ N(0, 1) -> token ids as float32 [N, T]. It samples in
        float64: float32 products differ between PyTorch and ONNX Runtime by ~1e-6, which
        picked a neighbouring token about once in 40,000 draws at vocabulary 5,000."""
        return self.generate(uniforms(z.double())).float()

    def sample_tokens(self, z: torch.Tensor) -> torch.Tensor:
        """forward's tokens (int64), found by binary search: the training preview's path."""
        return self.generate(uniforms(z.double()), fast=True)


def linear(layer: nn.Linear, x: torch.Tensor) -> torch.Tensor:
    """`layer(x)` in x's dtype (float64 when sampling for export, float32 in training)."""
    bias = None if layer.bias is None else layer.bias.to(x.dtype)
    return F.linear(x, layer.weight.to(x.dtype), bias)


def uniforms(z: torch.Tensor) -> torch.Tensor:
    """Phi(z): standard normal draws -> uniforms in (0, 1), one per position, in z's dtype.
    erf by Abramowitz & Stegun 7.1.26 (error below 1.5e-7, immaterial to sampling) from
    elementary operations, which ONNX Runtime has in float64 (its Erf is float32 only)."""
    x = z.abs() / math.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = 1.0 - poly * torch.exp(-x * x)
    return 0.5 + 0.5 * torch.sign(z) * erf


class SequenceNLL(nn.Module):
    """Export graph `nll`: token ids int64 [N, T] -> each sequence's summed NLL [N], so
    `gantool eval` scores NLL-test with ONNX Runtime (the sampling graph cannot)."""

    def __init__(self, generator: TokenGenerator):
        super().__init__()
        self.generator = generator

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.generator.nll(tokens, reduce=False)


class Tempered(nn.Module):
    """Export graph `tempered`: (z, temperature [N]) -> samples, each row at its own
    sampling temperature: the quality-diversity curve's generator (`gantool text-curve`)."""

    def __init__(self, generator: TokenGenerator):
        super().__init__()
        self.generator = generator

    def forward(self, z: torch.Tensor, temperature: torch.Tensor) -> torch.Tensor:
        return self.generator.generate(uniforms(z.double()), temperature=temperature.double()).float()


class Highway(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.gate, self.transform = nn.Linear(width, width), nn.Linear(width, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = torch.sigmoid(self.gate(x))
        return gate * F.relu(self.transform(x)) + (1 - gate) * x


class CNNDiscriminator(nn.Module):
    """SeqGAN's D: token embeddings, convolutions of several widths with max-over-time
    pooling, a highway layer, dropout and one logit. Takes ids [N, T] or (soft) one-hots
    [N, T, V] (the Gumbel-softmax model's fakes)."""

    def __init__(self, vocab_size: int, max_len: int, embed: int, sizes: tuple[int, ...], widths: tuple[int, ...],
                 dropout: float):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed)
        kept = [(k, w) for k, w in zip(sizes, widths) if k <= max_len]  # a filter longer than T sees nothing
        self.convs = nn.ModuleList(nn.Conv1d(embed, w, k) for k, w in kept)
        features = sum(w for _, w in kept)
        self.highway, self.drop, self.head = Highway(features), nn.Dropout(dropout), nn.Linear(features, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e = self.embed(x.long()) if x.dim() == 2 else x @ self.embed.weight
        e = e.transpose(1, 2)  # [N, E, T]
        pooled = torch.cat([F.relu(conv(e)).amax(dim=2) for conv in self.convs], dim=1)
        return self.head(self.drop(self.highway(pooled))).squeeze(1)


class Unused(nn.Module):
    """The MLE model's discriminator: the loop keeps an optimizer for it, it never trains."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight.expand(x.shape[0])


def vocab_of(args: ModelArgs) -> Vocab:
    if "vocab" not in args.options:
        raise UserError(f"{PLUGIN}: the model has no vocabulary (train it on a tokens dataset)")
    return Vocab.from_json(args.options["vocab"])


def generator(args: ModelArgs) -> TokenGenerator:
    vocab = vocab_of(args)
    if args.latent_dim != args.data_dim:
        raise UserError(f"{PLUGIN}: latent_dim must be the sequence length {args.data_dim}")
    return TokenGenerator(len(vocab), args.data_dim, vocab.pad_id, vocab.eos_id, args.int_option("embed", 32),
                          args.int_option("hidden", 32), args.float_option("temperature", 1.0, 1e-3))


def prepare(args: ModelArgs, data) -> ModelArgs:
    """Before build: the vocabulary and (oracle data) the oracle's seed into the options,
    which checkpoints keep; z is one draw per position, so latent_dim is T."""
    vocab = getattr(data, "vocab", None)
    if vocab is None:
        raise UserError(f"{PLUGIN}: the training data carries no vocabulary (use a gantool-text dataset)")
    options = {**args.options, "vocab": vocab.to_json()}
    if getattr(data, "oracle_seed", None) is not None:  # the oracle is rebuilt from its seed, checked by digest
        from gantool_text.oracle import Oracle

        options["oracle_seed"] = int(data.oracle_seed)
        options["oracle_digest"] = Oracle.from_seed(data.oracle_seed).digest()
    return dataclasses.replace(args, latent_dim=int(data.x.shape[1]), options=options)


def int_list(args: ModelArgs, key: str, default: str) -> tuple[int, ...]:
    """A comma-separated list of positive integers, e.g. model.d_sizes=2,3,4,5."""
    text = str(args.options.get(key, default))
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        values = ()
    if not values or min(values) < 1:
        raise UserError(f"{PLUGIN}: model.{key} takes positive integers separated by commas, not {text!r}")
    return values


def discriminator(args: ModelArgs) -> CNNDiscriminator:
    """SeqGAN's D, scaled down by default: filter sizes 2-5 of 64 channels each (the paper:
    sizes 1-10, 15, 20 of 100-200 channels; model.d_sizes and model.d_widths)."""
    sizes = int_list(args, "d_sizes", "2,3,4,5")
    widths = int_list(args, "d_widths", ",".join([str(args.int_option("d_width", 64))] * len(sizes)))
    if len(widths) != len(sizes):
        raise UserError(f"{PLUGIN}: model.d_widths needs one width per filter size ({len(sizes)})")
    return CNNDiscriminator(len(vocab_of(args)), args.data_dim, args.int_option("d_embed", 64), sizes, widths,
                            args.float_option("d_dropout", 0.25, 0.0, 0.99))
