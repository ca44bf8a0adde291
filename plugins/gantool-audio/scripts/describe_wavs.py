"""Describe WAV files by measurement (for the README: what the generated clips are like).

    python plugins/gantool-audio/scripts/describe_wavs.py out/*.wav

For each file: its length, peak, the share of 32 ms frames within 30 dB of the loudest one
(a word fills 30-60% of a spoken-digit clip; noise fills all of it), the spectral centroid
of those frames, and the shipped classifier's digit and probability.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from gantool_audio.datasets import DIGITS
from gantool_audio.scores import DigitFeatures, softmax
from gantool_audio.wavio import read_wav


def describe(path: Path, scorer: DigitFeatures) -> str:
    x, rate = read_wav(path)
    frame = int(0.032 * rate)
    frames = x[: len(x) // frame * frame].reshape(-1, frame)
    energy = 10 * np.log10((frames**2).mean(axis=1) + 1e-12)
    active = energy > energy.max() - 30
    spectrum = np.abs(np.fft.rfft(frames[active] * np.hanning(frame), axis=1)) ** 2
    freqs = np.fft.rfftfreq(frame, 1 / rate)
    centroid = float((spectrum * freqs).sum() / max(spectrum.sum(), 1e-12))
    probs = softmax(scorer(x[None, None], sample_rate=rate).logits.astype(np.float64))[0]
    return (f"{path.name}: {len(x) / rate:.2f} s, peak {np.abs(x).max():.2f}, active {active.mean():.0%}, "
            f"centroid {centroid:.0f} Hz, classifier: {DIGITS[int(probs.argmax())]} ({probs.max():.2f})")


if __name__ == "__main__":
    scorer = DigitFeatures()
    for name in sys.argv[1:]:
        print(describe(Path(name), scorer))
