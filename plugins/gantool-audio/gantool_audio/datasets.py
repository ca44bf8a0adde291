"""Audio datasets: `spoken-digits[:SEED]` (the ten English digits synthesised offline with
espeak-ng) and `audio-folder:PATH` (WAV files, labels from subfolders).

Each loads as `AudioArrays`: float32 waveforms `[N, 1, T]` in [-1, 1], the sample rate, and
digit (or subfolder) labels. `--set data.sample_rate=` and `data.samples=` choose the rate
and the fixed clip length (8,000 Hz and 8,192 samples by default: a CPU-sized WaveGAN).
Numpy only: `gantool eval` loads these without torch.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gantool import DataArrays, DataRequest, UserError, atomic_write, cache_dir
from gantool_audio import PLUGIN
from gantool_audio.signal import resample
from gantool_audio.wavio import read_wav

DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
DEFAULT_RATE, DEFAULT_SAMPLES, DEFAULT_CLIPS = 8000, 8192, 5000
# espeak-ng's English voices (accents) and its voice variants (timbres); "" is the plain voice.
# The whisper variants are left out: unvoiced digits are another task.
ACCENTS = ("en", "en-us", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-us-nyc", "en-029")
VARIANTS = ("", "Alex", "Alicia", "Andrea", "Andy", "Annie", "AnxiousAndy", "Demonic", "Denis", "Diogo", "Gene",
            "Gene2", "Henrique", "Hugo", "Jacky", "Lee", "Marco", "Mario", "Michael", "Mike", "Mr serious", "Nguyen",
            "Reed", "RicishayMax", "RicishayMax2", "RicishayMax3", "Storm", "Tweaky", "UniRobot", "adam", "anika",
            "anikaRobot", "announcer", "antonio", "aunty", "belinda", "benjamin", "boris", "caleb", "croak", "david",
            "ed", "edward", "edward2", "f1", "f2", "f3", "f4", "f5", "fast", "grandma", "grandpa", "gustave", "ian",
            "iven", "iven2", "iven3", "iven4", "john", "kaukovalta", "klatt", "klatt2", "klatt3", "klatt4", "klatt5",
            "klatt6", "linda", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "marcelo", "max", "michel", "miguel",
            "mike2", "norbert", "pablo", "paul", "pedro", "quincy", "rob", "robert", "robosoft", "robosoft2",
            "robosoft3", "robosoft4", "robosoft5", "robosoft6", "robosoft7", "robosoft8", "sandro", "shelby", "steph",
            "steph2", "steph3", "travis", "victor", "zac")
# held out as the test split: one accent entirely, and every fifth variant under every accent
TEST_ACCENTS = ("en-029",)
TEST_VARIANTS = VARIANTS[3::5]
PITCHES, RATES = (20, 80), (120, 220)  # espeak's base pitch (0-100) and words a minute, both inclusive
PEAKS = (0.5, 0.95)  # each clip's peak amplitude, drawn uniformly
SILENCE = 0.02  # of the peak: what trimming counts as silence around the word
VERSION = 1  # of the recipe above: part of the cache key


@dataclass
class AudioArrays(DataArrays):
    """DataArrays of kind "audio": `x` float32 `[N, 1, T]` in [-1, 1] at `sample_rate`."""

    sample_rate: int = DEFAULT_RATE
    class_names: tuple[str, ...] = ()


def voices(split: str) -> list[str]:
    """espeak-ng voice names (`accent+variant`) of a split."""
    held = [(a, v) for a in ACCENTS for v in VARIANTS if a in TEST_ACCENTS or v in TEST_VARIANTS]
    pairs = held if split == "test" else [(a, v) for a in ACCENTS for v in VARIANTS if (a, v) not in set(held)]
    return [f"{a}+{v}" if v else a for a, v in pairs]


def _shape_options(request: DataRequest) -> tuple[int, int]:
    try:
        rate = int(request.options.get("sample_rate", DEFAULT_RATE))
        samples = int(request.options.get("samples", DEFAULT_SAMPLES))
    except (TypeError, ValueError):
        raise UserError(f"{PLUGIN}: data.sample_rate and data.samples are integers") from None
    if not 1000 <= rate <= 48000:
        raise UserError(f"{PLUGIN}: data.sample_rate must be 1000-48000 Hz, not {rate}")
    if samples < 1024 or samples % 1024:
        raise UserError(f"{PLUGIN}: data.samples must be a multiple of 1024 (the models upsample by 4^5), "
                        f"not {samples}")
    return rate, samples


def _split(request: DataRequest) -> str:
    if request.split not in ("train", "test"):
        raise UserError(f"{PLUGIN}: audio datasets have splits train and test, not {request.split!r}")
    return request.split


def place(clip: np.ndarray, samples: int, offset_draw: float, peak: float) -> np.ndarray:
    """Trim silence around a word, scale it to `peak`, put it at a drawn offset in a slice of
    `samples` (its first `samples` if longer)."""
    loud = np.nonzero(np.abs(clip) > SILENCE * max(np.abs(clip).max(), 1e-9))[0]
    word = clip[loud[0] : loud[-1] + 1] if len(loud) else clip[:0]
    word = word[:samples]
    out = np.zeros(samples, np.float32)
    if len(word):
        start = int(offset_draw * (samples - len(word) + 1))
        out[start : start + len(word)] = word * (peak / max(np.abs(word).max(), 1e-9))
    return out


def _plan(seed: int, split: str, count: int) -> list[dict]:
    """What to say and how, for each clip of a split: balanced digits, drawn voice, pitch,
    speed, the library's noise seed, offset and peak. A split's draws depend only on the seed."""
    rng = np.random.default_rng([seed, 0 if split == "train" else 1])
    names = voices(split)
    plan = []
    for i in range(count):
        plan.append({"text": DIGITS[i % 10], "label": i % 10, "voice": names[int(rng.integers(len(names)))],
                     "pitch": int(rng.integers(PITCHES[0], PITCHES[1] + 1)),
                     "rate": int(rng.integers(RATES[0], RATES[1] + 1)), "seed": int(rng.integers(2**31 - 1)),
                     "offset": float(rng.random()), "peak": float(rng.uniform(*PEAKS))})
    return plan


def build_spoken_digits(seed: int, rate: int, samples: int, clips: int) -> dict[str, np.ndarray]:
    """Both splits as int16 `[N, T]` clips and int64 labels (test: a fifth as many clips)."""
    from gantool_audio.espeak import synthesise

    plans = {"train": _plan(seed, "train", clips), "test": _plan(seed, "test", max(10, clips // 5))}
    requests = plans["train"] + plans["test"]
    pcm, native = synthesise(requests)
    out: dict[str, np.ndarray] = {}
    start = 0
    for split, plan in plans.items():
        waves = [place(resample(p.astype(np.float32) / 32768, native, rate), samples, r["offset"], r["peak"])
                 for p, r in zip(pcm[start : start + len(plan)], plan)]
        start += len(plan)
        out[f"{split}_x"] = np.round(np.stack(waves) * 32767).astype(np.int16)
        out[f"{split}_labels"] = np.array([r["label"] for r in plan], np.int64)
    return out


def spoken_digits_key(seed: int, rate: int, samples: int, clips: int) -> str:
    from gantool_audio.espeak import library_version

    recipe = {"seed": seed, "rate": rate, "samples": samples, "clips": clips, "version": VERSION,
              "espeak": library_version(), "accents": ACCENTS, "variants": VARIANTS, "test": TEST_ACCENTS}
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]


def load_spoken_digits(arg: str | None, request: DataRequest) -> AudioArrays:
    """The ten digits spoken by espeak-ng: `data.clips` training clips (a fifth as many test
    clips, from held-out voices), cached under $GANTOOL_HOME by everything that shapes them."""
    try:
        seed = int(arg) if arg else 0
        clips = int(request.options.get("clips", DEFAULT_CLIPS))
    except (TypeError, ValueError):
        raise UserError(f"{PLUGIN}: spoken-digits:SEED takes an integer seed and data.clips an integer") from None
    if clips < 10:
        raise UserError(f"{PLUGIN}: data.clips must be at least 10 (one of each digit), not {clips}")
    split = _split(request)
    rate, samples = _shape_options(request)
    path = cache_dir("audio", "spoken-digits") / f"spoken-digits-{spoken_digits_key(seed, rate, samples, clips)}.npz"
    if path.is_file():
        with np.load(path) as saved:
            arrays = {k: saved[k] for k in saved.files}
    else:
        arrays = build_spoken_digits(seed, rate, samples, clips)
        # a unique temp file, then renamed: a crash or a second process building the same cache
        # (every rank under --nproc) never leaves or reads half a file
        atomic_write(path, lambda fh: np.savez(fh, **arrays), mode="wb")
    x = arrays[f"{split}_x"].astype(np.float32)[:, None, :] / 32767
    return AudioArrays(x=x, kind="audio", labels=arrays[f"{split}_labels"], num_classes=10, sample_rate=rate,
                       class_names=DIGITS, description=f"spoken digits by espeak-ng (seed {seed}, {split}: "
                       f"{len(x)} clips of {samples} samples at {rate} Hz, {len(voices(split))} voices)")


def _files(root: Path) -> list[Path]:
    flac = sorted(root.rglob("*.flac")) + sorted(root.rglob("*.FLAC"))
    if flac:
        raise UserError(f"{PLUGIN}: {flac[0]} is FLAC, which no gantool dependency decodes; convert the folder to "
                        "WAV first (e.g. ffmpeg -i in.flac out.wav)")
    return sorted(p for p in root.rglob("*") if p.suffix.lower() == ".wav" and p.is_file())


def load_audio_folder(arg: str | None, request: DataRequest) -> AudioArrays:
    """The first slice of each WAV under PATH, resampled to `data.sample_rate`; labels from
    the subfolders when every file sits in one. A fixed tenth (by sorted path) is the test split."""
    if not arg:
        raise UserError(f"{PLUGIN}: give the folder as audio-folder:PATH")
    root = Path(arg).expanduser()
    if not root.is_dir():
        raise UserError(f"{PLUGIN}: no such folder {root}")
    rate, samples = _shape_options(request)
    files = _files(root)
    if len(files) < 2:
        raise UserError(f"{PLUGIN}: {root} holds {len(files)} .wav files; at least 2 are needed")
    test = np.random.default_rng(12345).permutation(len(files)) < max(1, len(files) // 10)
    chosen = [f for f, t in zip(files, test) if t == (_split(request) == "test")]
    waves = []
    for f in chosen:
        x, native = read_wav(f)
        x = resample(x, native, rate)[:samples]
        waves.append(np.pad(x, (0, samples - len(x))))
    parents = [f.relative_to(root).parts for f in files]
    labelled = all(len(p) > 1 for p in parents)
    names = tuple(sorted({p[0] for p in parents})) if labelled else ()
    labels = np.array([names.index(f.relative_to(root).parts[0]) for f in chosen], np.int64) if labelled else None
    x = np.clip(np.stack(waves), -1, 1).astype(np.float32)[:, None, :]
    return AudioArrays(x=x, kind="audio", labels=labels, num_classes=len(names), sample_rate=rate, class_names=names,
                       description=f"{root.name}: {len(x)} WAV clips of {samples} samples at {rate} Hz"
                       + (f", {len(names)} classes" if labelled else ""))
