"""The synthetic oracle of SeqGAN (Yu et al. 2017) and Texygen: a single-layer LSTM whose
every parameter is drawn from N(0, 1), here in numpy so that data loading and
`gantool eval` need no torch.

Invariants: the oracle is a pure function of its seed (numpy's PCG64), so its weights are
recovered from `oracle:SEED` and checked by their SHA-256 (`digest`, stored with the run).
Sequences have a fixed length of 20 tokens of a 5,000-token vocabulary, with no `<eos>`;
the first input is the embedding of token 0 (the benchmark's start token).
`nll` is the per-token negative log-likelihood in nats, averaged over sequences.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

VOCAB, LENGTH, EMBED, HIDDEN = 5000, 20, 32, 32
CHUNK = 2000  # sequences per numpy batch: [2000, 5000] float32 logits is 40 MB


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


@dataclass(frozen=True)
class Oracle:
    embedding: np.ndarray  # [V, E]
    w: np.ndarray  # [E + H, 4H]: input, forget, cell, output gates
    b: np.ndarray  # [4H]
    w_out: np.ndarray  # [H, V]
    b_out: np.ndarray  # [V]

    @classmethod
    def from_seed(cls, seed: int) -> Oracle:
        rng = np.random.default_rng(seed)
        draw = lambda *shape: rng.standard_normal(shape).astype(np.float32)  # noqa: E731
        return cls(draw(VOCAB, EMBED), draw(EMBED + HIDDEN, 4 * HIDDEN), draw(4 * HIDDEN), draw(HIDDEN, VOCAB),
                   draw(VOCAB))

    @classmethod
    def recorded(cls, seed: int, digest: str | None) -> Oracle:
        """The oracle a run recorded, refused if this numpy no longer rebuilds the same weights."""
        oracle = cls.from_seed(seed)
        if digest is not None and oracle.digest() != digest:
            from gantool import UserError

            raise UserError(f"gantool-text: oracle {seed} rebuilds with digest {oracle.digest()}, the run recorded "
                            f"{digest} (a different numpy random generator?)")
        return oracle

    def digest(self) -> str:
        h = hashlib.sha256()
        for a in (self.embedding, self.w, self.b, self.w_out, self.b_out):
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()[:16]

    def _cell(self, token: np.ndarray, h: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One step: the previous token in, (logits, h, c) out."""
        gates = np.concatenate([self.embedding[token], h], axis=1) @ self.w + self.b
        i, f, g, o = np.split(gates, 4, axis=1)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
        return h @ self.w_out + self.b_out, h, c

    def sample(self, n: int, seed: int) -> np.ndarray:
        """`n` sequences int64 [n, 20], by inverse-CDF sampling from a seeded generator."""
        rng = np.random.default_rng(seed)
        return np.concatenate([self._sample_chunk(min(CHUNK, n - s), rng) for s in range(0, n, CHUNK)])

    def _sample_chunk(self, n: int, rng: np.random.Generator) -> np.ndarray:
        out = np.zeros((n, LENGTH), dtype=np.int64)
        token = np.zeros(n, dtype=np.int64)
        h = c = np.zeros((n, HIDDEN), dtype=np.float32)
        for t in range(LENGTH):
            logits, h, c = self._cell(token, h, c)
            p = np.exp(logits - logits.max(axis=1, keepdims=True))
            cdf = np.cumsum(p, axis=1)
            u = rng.random((n, 1), dtype=np.float32) * cdf[:, -1:]
            token = np.minimum((cdf < u).sum(axis=1), VOCAB - 1)
            out[:, t] = token
        return out

    def nll(self, x: np.ndarray) -> float:
        """Mean per-token NLL (nats) of sequences `x` [N, 20] under the oracle: NLL-oracle
        when `x` is a generator's samples, the floor when it is the oracle's own."""
        x = np.asarray(x, dtype=np.int64)
        if x.ndim != 2 or x.shape[1] != LENGTH or x.min() < 0 or x.max() >= VOCAB:
            raise ValueError(f"oracle sequences are ids in [0, {VOCAB}) of length {LENGTH}, got shape {x.shape}")
        total = 0.0
        for s in range(0, len(x), CHUNK):
            chunk = x[s : s + CHUNK]
            token = np.zeros(len(chunk), dtype=np.int64)
            h = c = np.zeros((len(chunk), HIDDEN), dtype=np.float32)
            for t in range(LENGTH):
                logits, h, c = self._cell(token, h, c)
                top = logits.max(axis=1)
                log_z = top + np.log(np.exp(logits - top[:, None]).sum(axis=1))
                token = chunk[:, t]
                total += float((log_z - logits[np.arange(len(chunk)), token]).sum(dtype=np.float64))
        return total / (len(x) * LENGTH)
