"""The audio kind's training preview (gantool.protocols.Preview): `samples/step-N.png` with
the first 16 clips of the fixed latents (waveform above log-spectrogram), and, on
spoken-digit data, the shipped classifier's view of all of them for the metrics line:
`digit_is` (inception score), `digit_fd` (Frechet distance to 512 training clips, a small
and noisy sample: for the curve, not for tables), `digit_confidence` (mean top
probability) and, for a conditional G, `digit_accuracy`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gantool_audio import signal as sig
from gantool_audio.datasets import DIGITS
from gantool_audio.kind import TILES, save_tiles

REAL_FOR_FD = 512
PREVIEW_GRIFFIN_LIM = 16  # iterations: enough for a picture and the classifier, at every sample step


class AudioPreview:
    def __init__(self, data, num_classes: int, count: int):
        self.num_classes = num_classes
        self.count = max(TILES, count)
        self.rate = int(getattr(data, "sample_rate", 8000))
        self.scorer = None
        if tuple(getattr(data, "class_names", ())) == DIGITS:
            from gantool_audio.scores import DigitFeatures

            self.scorer = DigitFeatures()
            self.real = self.scorer(data.x[:REAL_FOR_FD], sample_rate=self.rate).features

    def _generate(self, g, z):
        import torch

        outs = []
        with torch.no_grad():
            for start in range(0, len(z), 64):
                part = z[start : start + 64]
                if self.num_classes:
                    labels = torch.arange(start, start + len(part), device=z.device) % self.num_classes
                    outs.append(g(part, labels).float().cpu().numpy())
                else:
                    outs.append(g(part).float().cpu().numpy())
        out = np.concatenate(outs)
        if out.ndim == 4:  # SpecGAN: the normalised spectrogram back to audio
            mean = g.spectrogram_mean.cpu().numpy().astype(np.float64)
            std = g.spectrogram_std.cpu().numpy().astype(np.float64)
            samples = g.hop * sig.FRAMES
            out = sig.griffin_lim(sig.denormalise(out[:, 0].astype(np.float64), mean, std), g.hop, samples,
                                  PREVIEW_GRIFFIN_LIM)[:, None]
        return out

    def draw(self, g, z, path: Path) -> dict[str, float]:
        from gantool_audio.scores import frechet_distance, inception_score, softmax

        waves = self._generate(g, z)
        save_tiles(waves[:TILES], path)
        if self.scorer is None:
            return {}
        scored = self.scorer(waves, sample_rate=self.rate)
        probs = softmax(scored.logits.astype(np.float64))
        metrics = {"digit_is": inception_score(scored.logits, splits=1)[0],
                   "digit_fd": frechet_distance(scored.features, self.real),
                   "digit_confidence": float(probs.max(axis=1).mean())}
        if self.num_classes:
            labels = np.arange(len(waves)) % self.num_classes
            metrics["digit_accuracy"] = float((probs.argmax(axis=1) == labels).mean())
        return metrics
