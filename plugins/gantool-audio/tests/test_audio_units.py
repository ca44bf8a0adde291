"""The numpy signal path, WAV files, the datasets and the metrics, in-process."""

from __future__ import annotations

import wave

import numpy as np
import pytest
import torch
from gantool_audio import signal as sig
from gantool_audio.datasets import TEST_ACCENTS, TEST_VARIANTS, load_audio_folder, voices
from gantool_audio.networks import PhaseShuffle
from gantool_audio.scores import frechet_distance, inception_score, nearest_neighbours, precision_recall
from gantool_audio.wavio import read_wav, write_wav

from gantool import DataRequest, UserError


def tone(freq: float, rate: int, seconds: float = 1.0) -> np.ndarray:
    return np.sin(2 * np.pi * freq * np.arange(int(rate * seconds)) / rate)


def amplitude_at(x: np.ndarray, rate: int, freq: float) -> float:
    x = x[300:-300]
    window = np.hanning(len(x))
    spectrum = np.abs(np.fft.rfft(x * window)) / (window.sum() / 2)
    return float(spectrum[np.argmin(np.abs(np.fft.rfftfreq(len(x), 1 / rate) - freq))])


def test_resampling_keeps_the_band_and_removes_what_would_alias():
    x = tone(1000, 22050) + tone(6000, 22050)  # 6 kHz folds onto 2 kHz at 8 kHz unless filtered
    y = sig.resample(x, 22050, 8000)
    assert len(y) == 8000
    assert amplitude_at(y, 8000, 1000) == pytest.approx(1.0, abs=0.01)
    assert amplitude_at(y, 8000, 2000) < 1e-3
    up = sig.resample(tone(1000, 8000), 8000, 16000)
    assert np.abs(up[400:-400] - tone(1000, 16000)[400:-400]).max() < 1e-3


def test_stft_matches_torch_and_inverts():
    x = np.random.default_rng(0).standard_normal((2, 8192))
    ours = sig.stft(x, 64)
    theirs = torch.stft(torch.from_numpy(x), 256, 64, window=torch.hann_window(256, dtype=torch.float64),
                        center=True, pad_mode="constant", return_complex=True)[:, :128, :128].numpy()
    assert np.abs(ours - theirs).max() < 1e-9
    smooth = tone(440, 8000, 8192 / 8000)[None] * np.hanning(8192)
    assert np.abs(sig.istft(sig.stft(smooth, 64), 64, 8192) - smooth).max() < 1e-6


def test_griffin_lim_recovers_a_signal_with_the_asked_magnitude():
    x = (0.4 * tone(300, 8000, 8192 / 8000) * np.hanning(8192) + 0.2 * tone(1200, 8000, 8192 / 8000))[None]
    magnitude = np.abs(sig.stft(x, 64))
    error = {n: np.abs(np.abs(sig.stft(sig.griffin_lim(magnitude, 64, 8192, n), 64)) - magnitude).mean()
             for n in (0, 32)}
    assert error[32] < 0.15 * error[0]  # about 0.06 of the magnitude's mean after 32 iterations


def test_spectrogram_normalisation_round_trips_inside_the_clip():
    x = np.random.default_rng(1).standard_normal((4, 1, 8192)) * 0.1
    mean, std = sig.spectrogram_stats(x)
    logmag = sig.log_magnitude(x[:, 0], 64)
    back = np.log(sig.denormalise(sig.normalise(logmag, mean, std), mean, std))
    inside = np.abs((logmag - mean[:, None]) / std[:, None]) < sig.CLIP_STD
    assert np.allclose(back[inside], logmag[inside])


def test_wav_round_trip_and_24_bit(tmp_path):
    x = 0.8 * tone(440, 8000, 0.25)
    write_wav(tmp_path / "a.wav", x, 8000)
    back, rate = read_wav(tmp_path / "a.wav")
    assert rate == 8000 and np.abs(back - x).max() < 1 / 16000
    with wave.open(str(tmp_path / "b.wav"), "wb") as f:  # 24-bit stereo, the second channel silent
        f.setnchannels(2)
        f.setsampwidth(3)
        f.setframerate(16000)
        v = np.round(x * (2**23 - 1)).astype(np.int32)
        frames = np.zeros((len(v), 6), np.uint8)
        for byte in range(3):
            frames[:, byte] = (v >> (8 * byte)) & 0xFF
        f.writeframes(frames.tobytes())
    back, rate = read_wav(tmp_path / "b.wav")
    assert rate == 16000 and np.abs(back - x / 2).max() < 1e-6


def test_audio_folder_labels_splits_and_refusals(tones, tmp_path):
    request = DataRequest(options={"samples": 2048})
    train = load_audio_folder(str(tones), request)
    test = load_audio_folder(str(tones), DataRequest(split="test", options={"samples": 2048}))
    assert train.x.shape == (36, 1, 2048) and test.x.shape == (4, 1, 2048)
    assert train.class_names == ("down", "up") and set(train.labels) == {0, 1}
    assert train.sample_rate == 8000 and np.abs(train.x).max() <= 1
    (tmp_path / "x.flac").write_bytes(b"fLaC")
    with pytest.raises(UserError, match="FLAC"):
        load_audio_folder(str(tmp_path), request)
    with pytest.raises(UserError, match="multiple of 1024"):
        load_audio_folder(str(tones), DataRequest(options={"samples": 1000}))


def test_held_out_voices_are_never_training_voices():
    train, test = set(voices("train")), set(voices("test"))
    assert not train & test
    assert all(v.split("+")[0] not in TEST_ACCENTS for v in train)
    assert all(v.split("+")[-1] not in TEST_VARIANTS for v in train if "+" in v)
    assert len(train) > 400 and len(test) > 100


def test_phase_shuffle_moves_each_example_by_at_most_n():
    torch.manual_seed(0)
    shuffle = PhaseShuffle(2)
    x = torch.arange(40.0).repeat(16, 1, 1)
    y = shuffle(x)
    shifts = (y[:, 0, 10] - x[:, 0, 10]).long()  # away from the reflected edges
    assert set(shifts.tolist()) <= {-2, -1, 0, 1, 2} and len(set(shifts.tolist())) > 1
    assert torch.equal(y[:, 0, 5:35] - shifts[:, None], x[:, 0, 5:35])
    assert torch.equal(shuffle.eval()(x), x)


def test_metrics_on_known_cases():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((500, 8))
    assert frechet_distance(a, a) == pytest.approx(0, abs=1e-6)
    assert frechet_distance(a, a + 1) == pytest.approx(8, rel=1e-6)  # a shifted mean: ||1||^2 over 8 dims
    confident = np.eye(10)[np.arange(1000) % 10] * 50
    assert inception_score(confident)[0] == pytest.approx(10, rel=1e-3)
    assert inception_score(np.zeros((1000, 10)))[0] == pytest.approx(1)
    assert precision_recall(a, a) == (1.0, 1.0)
    precision, recall = precision_recall(a, a[:50] * 0.01)  # collapsed onto the mean
    assert recall < 0.2
    copies = nearest_neighbours(a[:100] + 1e-6, a, rng.standard_normal((200, 8)))
    assert copies["near_copies"] > 0.9 and copies["nn_ratio"] < 0.01
