"""The `audio` data kind: what train, sample and export do with waveforms.

- preview: at each sample step, a PNG of tiles (waveform above its log-spectrogram) of the
  first 16 fixed latents, plus the shipped digit classifier's scores of all of them
  (`digit_is`, `digit_confidence`, and `digit_accuracy` for a conditional G) on
  spoken-digits-like data;
- write: `gantool sample -o out/` (one 16-bit WAV per sample), `-o grid.png` (the tiles) or
  `.npz` (waveforms, z, labels, sample rate);
- onnx_metadata: `sample_rate`, `samples`, and for a spectrogram generator (SpecGAN) what
  turns its output back into audio (`audio_representation`, the per-bin statistics).
The writer and the metadata are torch-free; the preview imports torch when it draws.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from gantool import UserError, atomic_write, image_grid, save_png
from gantool_audio import PLUGIN
from gantool_audio import signal as sig
from gantool_audio.wavio import write_wav

TILES = 16  # samples drawn in a preview PNG
PREVIEW_SCORED = 128  # samples the preview's classifier scores are over
TILE_W, WAVE_H, SPEC_H = 192, 48, 96
DYNAMIC_RANGE = 9.0  # natural-log units of magnitude shown below the grid's loudest bin (~78 dB)
# a dark-to-bright colour map (black, purple, red, orange, pale yellow) for spectrograms
_ANCHORS = np.array([[0, 0, 4], [87, 16, 110], [188, 55, 84], [249, 142, 9], [252, 255, 164]], np.float64)


def colormap(v: np.ndarray) -> np.ndarray:
    """[0, 1] values -> uint8 RGB by linear interpolation between the anchors."""
    pos = np.clip(v, 0, 1) * (len(_ANCHORS) - 1)
    lo = np.minimum(pos.astype(int), len(_ANCHORS) - 2)
    t = (pos - lo)[..., None]
    return np.round(_ANCHORS[lo] * (1 - t) + _ANCHORS[lo + 1] * t).astype(np.uint8)


def tiles(waves: np.ndarray) -> np.ndarray:
    """uint8 `[N, H, W, 3]` tiles: each waveform (`[N, 1, T]`) above its log-spectrogram
    (low frequencies at the bottom), one colour scale for the whole grid."""
    x = waves.reshape(len(waves), -1).astype(np.float64)
    hop = sig.hop_for(x.shape[1]) if x.shape[1] % sig.FRAMES == 0 else max(1, x.shape[1] // sig.FRAMES)
    logmag = np.log(np.abs(sig.stft(np.pad(x, ((0, 0), (0, hop * sig.FRAMES - x.shape[1]))), hop)) + sig.LOG_EPS)
    top = logmag.max()
    out = np.zeros((len(x), WAVE_H + SPEC_H, TILE_W, 3), np.uint8)
    for i, (wave, spec) in enumerate(zip(x, logmag)):
        out[i, :WAVE_H] = _wave_picture(wave)
        scaled = (spec[::-1] - (top - DYNAMIC_RANGE)) / DYNAMIC_RANGE  # row 0 = the highest frequency
        picture = Image.fromarray(colormap(scaled)).resize((TILE_W, SPEC_H), Image.Resampling.BILINEAR)
        out[i, WAVE_H:] = np.asarray(picture)
    return out


def _wave_picture(wave: np.ndarray) -> np.ndarray:
    """The waveform's min-max envelope per pixel column, on white, full scale = [-1, 1]."""
    picture = np.full((WAVE_H, TILE_W, 3), 255, np.uint8)
    columns = np.array_split(wave, TILE_W)
    picture[WAVE_H // 2, :] = (200, 200, 200)
    for col, chunk in enumerate(columns):
        lo, hi = (float(chunk.min()), float(chunk.max())) if len(chunk) else (0.0, 0.0)
        y0 = int(round((1 - np.clip(hi, -1, 1)) / 2 * (WAVE_H - 1)))
        y1 = int(round((1 - np.clip(lo, -1, 1)) / 2 * (WAVE_H - 1)))
        picture[y0 : y1 + 1, col] = (20, 60, 160)
    return picture


def save_tiles(waves: np.ndarray, path: Path, columns: int | None = None) -> None:
    save_png(image_grid(tiles(waves), columns or 4), path)


# --- turning a generator's output into audio (torch-free: sample and eval use it) ---------

def rate_of(metadata: dict[str, str], where: object) -> int:
    if "sample_rate" not in metadata:
        raise UserError(f"{PLUGIN}: {where} generates audio but has no sample_rate metadata")
    return int(metadata["sample_rate"])


def as_waveforms(out: np.ndarray, metadata: dict[str, str], iterations: int = 32) -> np.ndarray:
    """A generator's output as waveforms `[N, 1, T]`: as it is for WaveGAN, through
    Griffin-Lim (in numpy, from the per-bin statistics in the metadata) for SpecGAN."""
    if metadata.get("audio_representation", "waveform") == "waveform":
        return np.clip(out.reshape(len(out), 1, -1), -1, 1).astype(np.float32)
    mean = np.array(json.loads(metadata["spectrogram_mean"]))
    std = np.array(json.loads(metadata["spectrogram_std"]))
    samples = int(metadata["samples"])
    magnitude = sig.denormalise(out.reshape(len(out), sig.BINS, sig.FRAMES).astype(np.float64), mean, std)
    return sig.griffin_lim(magnitude, sig.hop_for(samples), samples, iterations)[:, None, :]


def write_audio(sampler, out: np.ndarray, path: Path, fmt: str, columns: int | None, z: np.ndarray,
                labels: np.ndarray | None) -> None:
    """`gantool sample -o out/`: one 16-bit mono WAV per sample (`000000.wav`, ...);
    `-o grid.png`: waveform and spectrogram tiles; `.npz`: audio, z, labels and the rate."""
    md = sampler.info.metadata
    rate = rate_of(md, sampler.path)
    waves = as_waveforms(out, md)
    if fmt == ".png":
        save_tiles(waves, path, columns)
    elif fmt == ".npz":
        extra = {"labels": labels} if labels is not None else {}
        atomic_write(path, lambda fh: np.savez_compressed(fh, audio=waves, z=z, sample_rate=np.int64(rate), **extra),
                     mode="wb")
    else:
        path.mkdir(parents=True, exist_ok=True)
        for i, wave in enumerate(waves):
            write_wav(path / f"{i:06d}.wav", wave, rate)


def onnx_metadata(module, args, cfg) -> dict[str, str]:
    o = args.options
    md = {"sample_rate": str(o["sample_rate"]), "samples": str(o["samples"]), "value_range": "-1,1",
          "audio_representation": o.get("representation", "waveform"),
          # the output's shape without the batch axis, in place of the image keys' defaults
          "image_shape": f"1,{o['samples']}", "output_layout": "NCT"}
    if md["audio_representation"] == "spectrogram":
        md.update({"spectrogram": f"log-magnitude, n_fft {sig.N_FFT}, hop {sig.hop_for(int(o['samples']))}, "
                                  f"{sig.BINS} bins x {sig.FRAMES} frames, per-bin standardised, clipped at "
                                  f"{sig.CLIP_STD:g} std, scaled to [-1, 1]",
                   "image_shape": f"1,{sig.BINS},{sig.FRAMES}", "output_layout": "NCHW",
                   "spectrogram_mean": json.dumps(o["spectrogram_mean"]),
                   "spectrogram_std": json.dumps(o["spectrogram_std"])})
    return md
