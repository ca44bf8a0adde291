"""Train the digit classifier that gantool-audio ships (gantool_audio/weights/digits-logmel.onnx).

    GANTOOL_HOME=... python plugins/gantool-audio/scripts/train_classifier.py [--epochs 12]

A small log-mel CNN, trained on the training voices of `spoken-digits` (seed 0, 5,000
clips at 8 kHz, 8,192 samples) and tested on the held-out voices (the test split: the
en-029 accent and every fifth voice variant, 1,000 clips). The log-mel front end is part
of the exported graph, so scoring needs only ONNX Runtime: input `audio` [batch, 1, 8192]
at 8 kHz in [-1, 1], outputs `features` [batch, 128] and `logits` [batch, 10].
Deterministic on a CPU for a given torch version (seeded; one thread).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

RATE, SAMPLES, N_FFT, HOP, MELS, FEATURES = 8000, 8192, 256, 128, 40, 128
OUT = Path(__file__).resolve().parents[1] / "gantool_audio" / "weights" / "digits-logmel.onnx"


def mel_filters(rate: int = RATE, n_fft: int = N_FFT, mels: int = MELS) -> np.ndarray:
    """Triangular filters on the HTK mel scale, [mels, n_fft // 2 + 1], each summing to one."""
    def mel(f):
        return 2595 * np.log10(1 + f / 700)

    edges = 700 * (10 ** (np.linspace(mel(50.0), mel(rate / 2), mels + 2) / 2595) - 1)
    freqs = np.linspace(0, rate / 2, n_fft // 2 + 1)
    bank = np.zeros((mels, len(freqs)))
    for m in range(mels):
        lo, mid, hi = edges[m : m + 3]
        bank[m] = np.clip(np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)), 0, None)
    return (bank / np.maximum(bank.sum(axis=1, keepdims=True), 1e-9)).astype(np.float32)


class LogMel(nn.Module):
    """Waveform [N, 1, T] -> log-mel [N, 1, MELS, frames], minus each clip's mean (so the
    loudness of a clip does not matter). The STFT is a fixed convolution with the windowed
    DFT basis, which every ONNX Runtime runs."""

    def __init__(self):
        super().__init__()
        n = np.arange(N_FFT)
        window = 0.5 - 0.5 * np.cos(2 * np.pi * n / N_FFT)
        k = np.arange(N_FFT // 2 + 1)[:, None]
        basis = np.concatenate([np.cos(2 * np.pi * k * n / N_FFT), -np.sin(2 * np.pi * k * n / N_FFT)]) * window
        self.register_buffer("basis", torch.tensor(basis[:, None, :], dtype=torch.float32))
        self.register_buffer("mel", torch.tensor(mel_filters()))

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        spec = F.conv1d(F.pad(audio, (N_FFT // 2, N_FFT // 2)), self.basis, stride=HOP)
        half = spec.shape[1] // 2
        power = spec[:, :half] ** 2 + spec[:, half:] ** 2
        logmel = torch.log(torch.matmul(self.mel, power) + 1e-6)
        return (logmel - logmel.mean(dim=(1, 2), keepdim=True))[:, None]


class DigitCNN(nn.Module):
    def __init__(self):
        super().__init__()
        widths = [1, 16, 32, 64, FEATURES]
        self.blocks = nn.ModuleList(nn.Sequential(nn.Conv2d(a, b, 3, padding=1), nn.BatchNorm2d(b), nn.ReLU())
                                    for a, b in zip(widths, widths[1:]))
        self.dropout = nn.Dropout(0.3)
        self.fc = nn.Linear(FEATURES, 10)

    def features(self, logmel: torch.Tensor) -> torch.Tensor:
        x = logmel
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i < len(self.blocks) - 1:
                x = F.max_pool2d(x, 2)
        return x.mean(dim=(2, 3))

    def forward(self, logmel: torch.Tensor) -> torch.Tensor:
        return self.fc(self.dropout(self.features(logmel)))


class Exported(nn.Module):
    def __init__(self, front: LogMel, cnn: DigitCNN):
        super().__init__()
        self.front, self.cnn = front, cnn

    def forward(self, audio: torch.Tensor):
        h = self.cnn.features(self.front(audio))
        return h, self.cnn.fc(h)


def load(split: str) -> tuple[torch.Tensor, torch.Tensor]:
    from gantool import DataRequest, registry

    data = registry().open_dataset("spoken-digits", DataRequest(split=split), kind="audio")
    return torch.from_numpy(data.x), torch.from_numpy(data.labels)


@torch.no_grad()
def logmels(front: LogMel, x: torch.Tensor) -> torch.Tensor:
    return torch.cat([front(x[i : i + 250]) for i in range(0, len(x), 250)])


def shift(batch: torch.Tensor, gen: torch.Generator, most: int = 6) -> torch.Tensor:
    """Move each clip's frames by up to `most` either way (the words sit anywhere in a clip)."""
    out = torch.empty_like(batch)
    for i, k in enumerate(torch.randint(-most, most + 1, (len(batch),), generator=gen).tolist()):
        out[i] = torch.roll(batch[i], k, dims=-1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--out", type=Path, default=OUT)
    opts = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(0)
    start = time.process_time()
    front = LogMel()
    (x_train, y_train), (x_test, y_test) = load("train"), load("test")
    train, test = logmels(front, x_train), logmels(front, x_test)
    print(f"features: train {tuple(train.shape)}, test {tuple(test.shape)}")
    cnn = DigitCNN()
    opt = torch.optim.Adam(cnn.parameters(), lr=2e-3)
    steps = opts.epochs * math.ceil(len(train) / 64)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    for epoch in range(opts.epochs):
        cnn.train()
        order = torch.randperm(len(train), generator=gen)
        for i in range(0, len(train), 64):
            idx = order[i : i + 64]
            loss = F.cross_entropy(cnn(shift(train[idx], gen)), y_train[idx], label_smoothing=0.05)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        cnn.eval()
        with torch.no_grad():
            acc = (cnn(test).argmax(1) == y_test).float().mean().item()
            train_acc = (cnn(train[:1000]).argmax(1) == y_train[:1000]).float().mean().item()
        print(f"epoch {epoch + 1}: loss {loss.item():.3f}  train {train_acc:.4f}  held-out voices {acc:.4f}", flush=True)
    model = Exported(front, cnn).eval()
    opts.out.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(model, (x_test[:2],), str(opts.out), input_names=["audio"], output_names=["features", "logits"],
                      dynamic_axes={"audio": {0: "batch"}, "features": {0: "batch"}, "logits": {0: "batch"}},
                      dynamo=False, opset_version=17)
    import onnxruntime as ort

    session = ort.InferenceSession(str(opts.out), providers=["CPUExecutionProvider"])
    logits = np.concatenate([session.run(None, {"audio": x_test[i : i + 250].numpy()})[1]
                             for i in range(0, len(x_test), 250)])
    ort_acc = float((logits.argmax(1) == y_test.numpy()).mean())
    print(f"exported {opts.out} ({opts.out.stat().st_size / 1e3:.0f} kB); ONNX Runtime accuracy on held-out "
          f"voices {ort_acc:.4f}; CPU time {time.process_time() - start:.0f} s")
    if ort_acc < 0.99:
        sys.exit("below the 99% target on held-out voices")


if __name__ == "__main__":
    main()
