"""BLEU and Self-BLEU against hand-computed values, and the vocabulary's round trip."""

from __future__ import annotations

import math

import numpy as np
import pytest
from gantool_text.bleu import bleu, self_bleu
from gantool_text.evaluate import scored_tokens
from gantool_text.vocab import Vocab, with_specials


@pytest.mark.parametrize("hyp, refs, n, expected", [
    ([1, 2, 3, 4], [[1, 2, 3, 4]], 4, 1.0),
    ([1, 2, 3, 5], [[1, 2, 3, 4]], 2, math.sqrt(3 / 4 * 2 / 3)),
    ([1, 2, 3, 5], [[1, 2, 3, 4]], 3, (3 / 4 * 2 / 3 * 1 / 2) ** (1 / 3)),
    ([1, 2, 3, 5], [[1, 2, 3, 4]], 4, (3 / 4 * 2 / 3 * 1 / 2 * 0.1) ** (1 / 4)),  # no 4-gram: 0.1 matches
    ([1, 2], [[1, 2, 3, 4]], 2, math.exp(1 - 4 / 2)),  # brevity penalty
    ([7, 7, 7, 7], [[7, 1, 2, 3]], 2, math.sqrt(1 / 4 * 0.1 / 3)),  # clipped to the reference's count
    ([7, 7, 7, 7], [[7, 7, 1, 2], [7, 3, 4, 5]], 2, math.sqrt(2 / 4 * 1 / 3)),  # the best reference per n-gram
    ([8, 9], [[1, 2, 3]], 2, 0.0),  # no unigram in common: 0, smoothing or not
    ([1, 2, 3], [[1, 2, 3, 4, 5], [1, 2]], 2, 1.0),  # the closest reference length is 2 < 3: no penalty
])
def test_sentence_bleu_by_hand(hyp, refs, n, expected):
    assert bleu([hyp], refs, n) == pytest.approx(expected, rel=1e-12)


def test_bleu_averages_sentences():
    refs = [[1, 2, 3, 4]]
    assert bleu([[1, 2, 3, 4], [8, 9]], refs, 2) == pytest.approx(0.5)


@pytest.mark.parametrize("hyps, n, expected", [
    ([[1, 2, 3, 4], [1, 2, 3, 4], [5, 6, 7, 8]], 2, 2 / 3),  # duplicates score 1 against each other
    ([[1, 2, 3, 4], [1, 2, 9, 9]], 2, math.sqrt(2 / 4 * 1 / 3)),  # never against itself (that would be 1)
    # [1, 2] against [1, 2, 3, 4] only (its own length excluded): penalty exp(1 - 4/2); back: no penalty
    ([[1, 2], [1, 2, 3, 4]], 2, (math.exp(1 - 2) + math.sqrt(2 / 4 * 1 / 3)) / 2),
])
def test_self_bleu_by_hand(hyps, n, expected):
    assert self_bleu(hyps, n) == pytest.approx(expected, rel=1e-12)


def test_vocab_round_trip_and_eos():
    vocab = with_specials(list("abc"), separator="")
    ids = np.stack([vocab.encode(list("cab"), 6), vocab.encode([], 6)])
    assert ids.tolist() == [[4, 2, 3, 1, 0, 0], [1, 0, 0, 0, 0, 0]]
    assert vocab.decode(ids) == ["cab", ""]
    assert vocab.pieces(ids) == [[4, 2, 3], []]
    assert Vocab.from_json(vocab.to_json()) == vocab
    assert scored_tokens(ids, vocab.eos_id) == 5  # "cab<eos>" and "<eos>"
    oracle = Vocab(("0", "1", "2"))
    assert oracle.decode(np.array([[2, 0, 1]])) == ["2 0 1"] and scored_tokens(np.zeros((2, 3), int), -1) == 6
