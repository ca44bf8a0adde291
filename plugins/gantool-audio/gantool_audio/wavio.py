"""WAV files with the standard library's `wave` module: 16-bit PCM out; 8/16/24/32-bit
integer PCM in (any channel count, mixed down to mono). Torch-free."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from gantool import UserError, atomic_write
from gantool_audio import PLUGIN


def to_pcm16(x: np.ndarray) -> np.ndarray:
    """[-1, 1] floats -> int16, clipped (a generator's tanh can touch 1.0 exactly)."""
    return np.round(np.clip(np.asarray(x, np.float64), -1.0, 1.0) * 32767).astype("<i2")


def write_wav(path: Path, x: np.ndarray, rate: int) -> None:
    """One mono clip (`[T]` or `[1, T]` in [-1, 1]) as a 16-bit PCM WAV, written whole to a
    unique temporary name and renamed, so a failure never leaves half a file."""
    def write(fh) -> None:
        with wave.open(fh, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(int(rate))
            out.writeframes(to_pcm16(np.asarray(x).reshape(-1)).tobytes())

    atomic_write(path, write, mode="wb")


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Mono float32 samples in [-1, 1] and the sample rate; one clear line for what `wave`
    cannot read (compressed or float WAVs, broken files)."""
    try:
        with wave.open(str(path), "rb") as f:
            channels, width, rate, count = f.getnchannels(), f.getsampwidth(), f.getframerate(), f.getnframes()
            raw = f.readframes(count)
    except (wave.Error, EOFError, OSError) as exc:
        raise UserError(f"{PLUGIN}: cannot read {path} as PCM WAV ({exc})") from None
    if width == 1:
        x = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128) / 128
    elif width == 2:
        x = np.frombuffer(raw, "<i2").astype(np.float32) / 32768
    elif width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        x = (np.where(v >= 1 << 23, v - (1 << 24), v)).astype(np.float32) / (1 << 23)
    elif width == 4:
        x = np.frombuffer(raw, "<i4").astype(np.float32) / 2**31
    else:
        raise UserError(f"{PLUGIN}: {path} has {8 * width}-bit samples; gantool reads 8-32-bit integer PCM WAV")
    x = x[: len(x) - len(x) % channels].reshape(-1, channels).mean(axis=1)
    return x.astype(np.float32), rate
