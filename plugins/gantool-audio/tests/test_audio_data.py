"""spoken-digits: synthesised by espeak-ng, identical from the same seed, cached, split by
voice; and the shipped classifier on voices it never heard."""

from __future__ import annotations

import numpy as np
import pytest
from gantool_audio import datasets
from gantool_audio.datasets import build_spoken_digits, load_spoken_digits
from gantool_audio.scores import DigitFeatures

from gantool import DataRequest, UserError

SMALL = {"clips": 10, "samples": 1024}


def test_built_twice_from_one_seed_identical_and_another_seed_differs():
    a = build_spoken_digits(3, 8000, 1024, 10)
    b = build_spoken_digits(3, 8000, 1024, 10)
    assert a.keys() == b.keys() == {"train_x", "train_labels", "test_x", "test_labels"}
    for key in a:
        assert np.array_equal(a[key], b[key]), key
    assert not np.array_equal(build_spoken_digits(4, 8000, 1024, 10)["train_x"], a["train_x"])
    assert list(a["train_labels"]) == list(range(10))  # balanced: each digit in turn
    assert (np.abs(a["train_x"]).max(axis=1) > 0.4 * 32767).all()  # every clip holds a word


def test_loaded_from_the_cache_the_second_time(monkeypatch):
    first = load_spoken_digits("5", DataRequest(options=SMALL))
    assert first.x.shape == (10, 1, 1024) and first.x.dtype == np.float32 and first.num_classes == 10

    def no_synthesis(*args):
        raise AssertionError("synthesised again instead of reading the cache")

    monkeypatch.setattr(datasets, "build_spoken_digits", no_synthesis)
    again = load_spoken_digits("5", DataRequest(options=SMALL))
    assert np.array_equal(first.x, again.x)
    test = load_spoken_digits("5", DataRequest(split="test", options=SMALL))
    assert len(test.x) == 10 and not np.array_equal(test.x, first.x)


@pytest.mark.parametrize("options, message", [({"clips": 3}, "at least 10"), ({"samples": 1500}, "multiple of 1024"),
                                              ({"sample_rate": 100}, "1000-48000")])
def test_bad_options_are_one_line(options, message):
    with pytest.raises(UserError, match=message):
        load_spoken_digits(None, DataRequest(options=options))


def test_the_shipped_classifier_knows_held_out_voices():
    """Digits from voices the classifier never trained on (a seed of their own), at 8 kHz
    and at 16 kHz (resampled on the way in)."""
    scorer = DigitFeatures()
    for rate, samples in ((8000, 8192), (16000, 16384)):
        held_out = load_spoken_digits("11", DataRequest(split="test", options={"clips": 50, "sample_rate": rate,
                                                                               "samples": samples}))
        out = scorer(held_out.x, sample_rate=rate)
        assert out.features.shape == (10, 128) and out.logits.shape == (10, 10)
        assert (out.logits.argmax(axis=1) == held_out.labels).mean() >= 0.9
