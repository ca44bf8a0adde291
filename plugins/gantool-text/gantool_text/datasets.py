"""Token datasets: `oracle[:SEED]` (the SeqGAN synthetic benchmark), `words` (English words
at character level) and `textfile:PATH` (one sentence a line, whitespace tokens).

Each loads as `TokenArrays`: int64 `[N, T]` ids of the requested split, the vocabulary,
and the other split as `held_out` (previews score NLL-test on it). Splits are fixed by
the data, never by the run's seed, so every run and `gantool eval` see the same test set.
Numpy only: `gantool eval` loads these without torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gantool import DataArrays, DataRequest, UserError, cache_dir
from gantool_text import PLUGIN
from gantool_text.oracle import LENGTH, VOCAB, Oracle
from gantool_text.vocab import UNK, Vocab, with_specials

ORACLE_SEQUENCES = 10_000  # per split, as in SeqGAN and Texygen
WORDS_MAX = 16  # letters; sequences are one longer for the <eos>
TEST_SHARE = 0.1  # words and textfile lines held out for NLL-test and BLEU


@dataclass
class TokenArrays(DataArrays):
    """DataArrays of kind "tokens" with what the kind's stages need besides the ids."""

    vocab: Vocab | None = None
    held_out: np.ndarray | None = None  # the other split (test when x is train, and back)
    oracle_seed: int | None = None  # oracle data: the seed that rebuilds the oracle


def _split(request: DataRequest) -> str:
    if request.split not in ("train", "test"):
        raise UserError(f"{PLUGIN}: token datasets have splits train and test, not {request.split!r}")
    return request.split


def _arrays(train: np.ndarray, test: np.ndarray, split: str, vocab: Vocab, description: str,
            **extra) -> TokenArrays:
    x, other = (train, test) if split == "train" else (test, train)
    return TokenArrays(x=x, kind="tokens", description=description, vocab=vocab, held_out=other, **extra)


def load_oracle(arg: str | None, request: DataRequest) -> TokenArrays:
    """10,000 training and 10,000 test sequences (`data.sequences` each) sampled from the
    oracle of seed `arg` (0); cached by seed, the oracle's digest and the count."""
    try:
        seed = int(arg) if arg else 0
    except ValueError:
        raise UserError(f"{PLUGIN}: oracle:SEED takes an integer seed, not {arg!r}") from None
    split = _split(request)
    try:
        count = int(request.options.get("sequences", ORACLE_SEQUENCES))
    except (TypeError, ValueError):
        count = 0
    if count < 1:
        raise UserError(f"{PLUGIN}: data.sequences must be a positive integer (sequences per split)")
    oracle = Oracle.from_seed(seed)
    path = cache_dir("text", "oracle") / f"oracle-{seed}-{oracle.digest()}-{count}.npz"
    if path.is_file():
        with np.load(path) as saved:
            train, test = saved["train"], saved["test"]
    else:  # ~30 s for 10,000 each on 2 cores; the splits' seeds derive from the oracle's
        train, test = oracle.sample(count, seed + 1), oracle.sample(count, seed + 2)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, train=train, test=test)
        tmp.replace(path)
    vocab = Vocab(tuple(str(i) for i in range(VOCAB)), separator=" ")
    return _arrays(train, test, split, vocab, f"oracle LSTM (seed {seed}): {len(train)} + {len(test)} sequences of "
                   f"{LENGTH} tokens, vocabulary {VOCAB}", oracle_seed=seed)


def _held_out(n: int) -> np.ndarray:
    """A fixed 10% test mask of `n` items (the data's own split, independent of any run)."""
    return np.random.default_rng(12345).permutation(n) < int(round(n * TEST_SHARE))


def load_words(arg: str | None, request: DataRequest) -> TokenArrays:
    """Lower-case English words of 1-16 letters from the web2 list, one letter a token."""
    if arg:
        raise UserError(f"{PLUGIN}: the words dataset takes no argument (got {arg!r})")
    try:
        from english_words import get_english_words_set
    except ImportError:
        raise UserError(f"{PLUGIN}: the words dataset needs the english-words package (pip install english-words)") from None
    words = sorted(w for w in get_english_words_set(["web2"], alpha=True, lower=True)
                   if 0 < len(w) <= WORDS_MAX and w.isascii() and w.isalpha())
    vocab = with_specials([chr(c) for c in range(ord("a"), ord("z") + 1)], separator="")
    ids = np.stack([vocab.encode(list(w), WORDS_MAX + 1) for w in words])
    test = _held_out(len(ids))
    return _arrays(ids[~test], ids[test], _split(request), vocab,
                   f"{len(words)} English words (web2), letters a-z, up to {WORDS_MAX} letters")


def load_textfile(arg: str | None, request: DataRequest) -> TokenArrays:
    """One sentence a line, split on whitespace; the `vocab_size` most frequent tokens (others
    are `<unk>`), lines of at most `max_len` tokens (longer ones are cut)."""
    if not arg:
        raise UserError(f"{PLUGIN}: give the file as textfile:PATH")
    path = Path(arg).expanduser()
    if not path.is_file():
        raise UserError(f"{PLUGIN}: no such file {path}")
    opts = request.options
    try:
        size, max_len = int(opts.get("vocab_size", 5000)), int(opts.get("max_len", 32))
    except (TypeError, ValueError):
        raise UserError(f"{PLUGIN}: data.vocab_size and data.max_len are integers") from None
    if size < 1 or max_len < 2:
        raise UserError(f"{PLUGIN}: data.vocab_size must be >= 1 and data.max_len >= 2")
    lines = [line.split()[: max_len - 1] for line in path.read_text(encoding="utf-8", errors="replace").splitlines()]
    lines = [line for line in lines if line]
    if len(lines) < 10:
        raise UserError(f"{PLUGIN}: {path} has {len(lines)} non-empty lines; at least 10 are needed")
    counts: dict[str, int] = {}
    for line in lines:
        for token in line:
            counts[token] = counts.get(token, 0) + 1
    kept = sorted(counts, key=lambda t: (-counts[t], t))[:size]
    vocab = with_specials([*kept, UNK] if len(kept) < len(counts) else kept, separator=" ")
    ids = np.stack([vocab.encode(line, max_len) for line in lines])
    test = _held_out(len(ids))
    return _arrays(ids[~test], ids[test], _split(request), vocab,
                   f"{path.name}: {len(lines)} lines, {len(vocab)} tokens, up to {max_len - 1} tokens a line")
