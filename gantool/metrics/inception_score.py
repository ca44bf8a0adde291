"""Inception Score (Salimans et al. 2016): exp(E_x KL(p(y|x) || p(y))), over 10 splits.

Works from any classifier's logits (Inception's 1008 for IS; lenet-mnist's 10 for an MNIST
classifier score). Softmax in float64; p(y) is the mean prediction within each split.
"""

from __future__ import annotations

import numpy as np

SPLITS = 10


def inception_score(logits: np.ndarray, splits: int = SPLITS) -> tuple[float, float]:
    """(mean, std) of the score over `splits` consecutive chunks of the samples: chunk i is
    samples [i * N // splits, (i + 1) * N // splits), as in Salimans et al.'s code and
    torch-fidelity (np.array_split would put the remainder in the first chunks instead)."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    if len(p) < splits:
        raise ValueError(f"need at least {splits} samples for {splits} splits, got {len(p)}")
    scores = []
    n = len(p)
    for chunk in (p[i * n // splits : (i + 1) * n // splits] for i in range(splits)):
        marginal = chunk.mean(axis=0, keepdims=True)
        kl = (chunk * (np.log(np.clip(chunk, 1e-300, None)) - np.log(np.clip(marginal, 1e-300, None)))).sum(axis=1)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))
