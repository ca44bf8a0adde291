"""Scores for audio, torch-free: the shipped digit classifier (`digits-logmel`, run with
ONNX Runtime) and the numpy metrics computed on its outputs.

The classifier (scripts/train_classifier.py) takes 8 kHz clips of 8,192 samples; other
rates are resampled and other lengths centre-cropped or zero-padded to that. Its `features`
(128, before the last layer) feed the Frechet distance, precision/recall and the
nearest-neighbour check; its `logits` the digit inception score and label accuracy.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import numpy as np

from gantool import Features, UserError, open_session
from gantool_audio import PLUGIN
from gantool_audio.signal import resample

WEIGHTS = Path(__file__).parent / "weights" / "digits-logmel.onnx"
RATE, SAMPLES = 8000, 8192


@lru_cache(maxsize=1)
def weights_sha256(path: Path = WEIGHTS) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def classifier_input(waves: np.ndarray, rate: int) -> np.ndarray:
    """Waveforms `[N, 1, T]` at `rate` -> `[N, 1, 8192]` at 8 kHz (centre-cropped or padded)."""
    waves = np.asarray(waves, np.float32)
    if waves.ndim != 3 or waves.shape[1] != 1:
        raise UserError(f"{PLUGIN}: digits-logmel scores mono waveforms [N, 1, T], not {list(waves.shape)}")
    x = waves[:, 0]
    if rate != RATE:
        x = np.stack([resample(clip, rate, RATE) for clip in x])
    if x.shape[1] >= SAMPLES:
        start = (x.shape[1] - SAMPLES) // 2
        x = x[:, start : start + SAMPLES]
    else:
        left = (SAMPLES - x.shape[1]) // 2
        x = np.pad(x, ((0, 0), (left, SAMPLES - x.shape[1] - left)))
    return np.ascontiguousarray(x[:, None], dtype=np.float32)


class DigitFeatures:
    """digits-logmel: features and digit logits of waveforms, by ONNX Runtime on the CPU."""

    def __init__(self, arg: str | None = None, provider: str = "cpu"):
        if arg:
            raise UserError(f"{PLUGIN}: the digits-logmel extractor takes no argument (got {arg!r})")
        self.session, _ = open_session(WEIGHTS, provider, prefix=f"{PLUGIN}: ")
        self.protocol = {"extractor": "digits-logmel", "weights_sha256": weights_sha256(),
                         "input": f"mono, resampled to {RATE} Hz, centre {SAMPLES} samples",
                         "features": "CNN on 40 log-mel bands, global average pool (128)"}

    def __call__(self, waves: np.ndarray, batch_size: int = 250, sample_rate: int = RATE) -> Features:
        x = classifier_input(waves, sample_rate)
        feats, logits = [], []
        for start in range(0, len(x), batch_size):
            f, lg = self.session.run(None, {"audio": x[start : start + batch_size]})
            feats.append(f)
            logits.append(lg)
        return Features(np.concatenate(feats), np.concatenate(logits))


def softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def inception_score(logits: np.ndarray, splits: int = 10) -> tuple[float, float]:
    """exp(E KL(p(y|x) || p(y))) over `splits` equal parts [i*N//s, (i+1)*N//s): mean, std."""
    p = softmax(logits.astype(np.float64))
    splits = max(1, min(splits, len(p)))
    scores = []
    for i in range(splits):
        part = p[i * len(p) // splits : (i + 1) * len(p) // splits]
        marginal = part.mean(axis=0, keepdims=True)
        kl = (part * (np.log(part + 1e-12) - np.log(marginal + 1e-12))).sum(axis=1)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """||mu_a - mu_b||^2 + Tr(Ca + Cb - 2 (Ca Cb)^1/2), in float64; the trace of the square
    root from the eigenvalues of Ca Cb (real and non-negative for covariance matrices)."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    mu = a.mean(axis=0) - b.mean(axis=0)
    ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = np.sqrt(np.clip(np.linalg.eigvals(ca @ cb).real, 0, None)).sum()
    return float(mu @ mu + np.trace(ca) + np.trace(cb) - 2 * root)


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = a.astype(np.float64), b.astype(np.float64)
    d = (a**2).sum(1)[:, None] + (b**2).sum(1)[None, :] - 2 * a @ b.T
    return np.sqrt(np.clip(d, 0, None))


def _radii(x: np.ndarray, k: int) -> np.ndarray:
    """Distance from each point to its k-th nearest other point."""
    return np.sort(_distances(x, x), axis=1)[:, k]  # column 0 is the point itself


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = 3) -> tuple[float, float]:
    """Kynkaanniemi et al. 2019: precision is the share of fakes inside some real k-NN ball,
    recall the share of reals inside some fake k-NN ball."""
    precision = float((_distances(fake, real) <= _radii(real, k)[None, :]).any(axis=1).mean())
    recall = float((_distances(real, fake) <= _radii(fake, k)[None, :]).any(axis=1).mean())
    return precision, recall


def nearest_neighbours(fake: np.ndarray, train: np.ndarray, held_out: np.ndarray) -> dict[str, float]:
    """Memorisation check in feature space: how close generated clips come to their nearest
    training clip, against how close unseen real clips (held-out voices) come.
    `nn_ratio` (median generated / median held-out distance) well below 1, or a large
    `near_copies` (share of generated clips nearer than the closest 5% of held-out clips),
    means G reproduces training clips."""
    gen = np.sort(_distances(fake, train), axis=1)[:, 0]
    real = np.sort(_distances(held_out, train), axis=1)[:, 0]
    threshold = np.percentile(real, 5)
    return {"nn_ratio": float(np.median(gen) / max(np.median(real), 1e-12)),
            "near_copies": float((gen < threshold).mean())}
