"""Speech from the espeak-ng library that PyPI's `espeakng-loader` bundles (with its data),
through ctypes in synchronous mode: 16-bit PCM at the library's rate (22,050 Hz).

The noise of breathy and whispered voices comes from espeak-ng's random generator, which
each request seeds (`espeak_ng_SetRandSeed`). Even so the library keeps state between
utterances inside one process, so the same request gives slightly different samples
depending on what was spoken before. A dataset therefore synthesises all its clips, in a fixed order, in a fresh
child process (`python -m gantool_audio.espeak IN.json OUT.npz`): the same list gives the
same samples, whichever process asks and how often. The child also keeps a crash of the
C library away from the caller.
"""

from __future__ import annotations

import ctypes
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from gantool import UserError
from gantool_audio import PLUGIN

SYNCHRONOUS = 2  # espeak_AUDIO_OUTPUT: AUDIO_OUTPUT_SYNCHRONOUS
RATE, PITCH = 1, 3  # espeak_PARAMETER: espeakRATE (words a minute), espeakPITCH (0-100)
POS_CHARACTER = 1
_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


def library_version() -> str:
    """The bundled espeak-ng's version (part of the dataset cache key)."""
    from importlib.metadata import version

    return version("espeakng-loader")


class Espeak:
    """One initialised library; `speak(text, voice, pitch, rate)` returns int16 PCM."""

    def __init__(self):
        import espeakng_loader

        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self.lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self.lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                          ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        data_parent = str(Path(espeakng_loader.get_data_path()).parent)  # the folder holding espeak-ng-data
        self.rate = self.lib.espeak_Initialize(SYNCHRONOUS, 0, data_parent.encode(), 0)
        if self.rate <= 0:
            raise RuntimeError(f"espeak-ng failed to initialise with data in {data_parent}")
        self.chunks: list[np.ndarray] = []
        self.callback = _CALLBACK(self._collect)  # kept on self: the library holds only a pointer
        self.lib.espeak_SetSynthCallback(self.callback)

    def _collect(self, wav, count, events) -> int:
        if wav and count > 0:
            self.chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0  # continue

    def speak(self, text: str, voice: str, pitch: int, rate: int, seed: int = 0) -> np.ndarray:
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise ValueError(f"espeak-ng has no voice {voice!r}")
        self.lib.espeak_SetParameter(PITCH, int(pitch), 0)
        self.lib.espeak_SetParameter(RATE, int(rate), 0)
        self.chunks = []
        self.lib.espeak_ng_SetRandSeed(seed)  # the noise of breathy and whispered voices
        encoded = text.encode()
        self.lib.espeak_Synth(encoded, len(encoded) + 1, 0, POS_CHARACTER, 0, 0, None, None)
        return np.concatenate(self.chunks) if self.chunks else np.zeros(0, np.int16)


def synthesise(requests: list[dict]) -> tuple[list[np.ndarray], int]:
    """Speak each request ({"text", "voice", "pitch", "rate"}) in order in a fresh child
    process; returns the int16 clips and their sample rate."""
    try:
        import espeakng_loader  # noqa: F401
    except ImportError:
        raise UserError(f"{PLUGIN}: spoken-digits needs espeakng-loader (pip install espeakng-loader)") from None
    with tempfile.TemporaryDirectory(prefix="gantool-espeak-") as tmp:
        spec, out = Path(tmp) / "requests.json", Path(tmp) / "clips.npz"
        spec.write_text(json.dumps(requests))
        done = subprocess.run([sys.executable, "-m", "gantool_audio.espeak", str(spec), str(out)],
                              capture_output=True, text=True)
        if done.returncode != 0 or not out.is_file():
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise UserError(f"{PLUGIN}: espeak-ng synthesis failed ({last})")
        with np.load(out) as saved:
            lengths, pcm, rate = saved["lengths"], saved["pcm"], int(saved["rate"])
    ends = np.cumsum(lengths)
    return [pcm[end - n : end] for n, end in zip(lengths, ends)], rate


def _main(spec: str, out: str) -> None:
    engine = Espeak()
    clips = [engine.speak(r["text"], r["voice"], r["pitch"], r["rate"], r.get("seed", 0)) for r in json.loads(Path(spec).read_text())]
    np.savez(out, lengths=np.array([len(c) for c in clips], np.int64),
             pcm=np.concatenate(clips) if clips else np.zeros(0, np.int16), rate=engine.rate)


if __name__ == "__main__":
    _main(*sys.argv[1:3])
