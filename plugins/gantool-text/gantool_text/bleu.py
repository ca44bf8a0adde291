"""Sentence BLEU and Self-BLEU as text-GAN papers report them (Texygen's protocol), in plain
Python and numpy.

BLEU-n of one hypothesis against a reference set: the geometric mean of the clipped
1..n-gram precisions (each n-gram counted at most as often as it occurs in the one
reference where it is most frequent), times the brevity penalty exp(1 - r/c) when the
hypothesis is shorter than the closest reference length r (ties: the shorter). Smoothing
method 1 (Chen & Cherry 2014, as nltk's): a precision with no match counts 0.1 matches.
A hypothesis with no matching unigram scores 0, as in nltk. `bleu` averages over
hypotheses; `self_bleu` scores each hypothesis against all the others (never itself).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

EPSILON = 0.1  # smoothing method 1


def ngrams(seq: Sequence[int], n: int) -> Counter:
    return Counter(tuple(seq[i : i + n]) for i in range(len(seq) - n + 1))


class References:
    """The per-n-gram maximum count over a reference set, and its lengths; `exclude`
    support: the largest count held by any reference other than a given one."""

    def __init__(self, refs: Sequence[Sequence[int]], max_n: int):
        self.lengths = sorted({len(r) for r in refs})
        self.top: dict[tuple, tuple[int, int, int]] = {}  # ngram -> (max count, how many hold it, second count)
        for ref in refs:
            for n in range(1, max_n + 1):
                for gram, count in ngrams(ref, n).items():
                    best, holders, second = self.top.get(gram, (0, 0, 0))
                    if count > best:
                        self.top[gram] = (count, 1, best)
                    elif count == best:
                        self.top[gram] = (best, holders + 1, second)
                    else:
                        self.top[gram] = (best, holders, max(second, count))
        self.ref_counts = [Counter(len(r) for r in refs)]  # lengths with multiplicity, for exclusion

    def max_count(self, gram: tuple, own: int = 0) -> int:
        """The largest count of `gram` in a reference; with `own` > 0 (Self-BLEU), among the
        references other than the hypothesis, which holds it `own` times."""
        best, holders, second = self.top.get(gram, (0, 0, 0))
        return second if own and own == best and holders == 1 else best

    def closest_length(self, c: int, own: bool = False) -> int:
        counts = self.ref_counts[0]
        lengths = [r for r in self.lengths if not (own and r == c and counts[r] == 1)]
        if not lengths:
            return c
        return min(lengths, key=lambda r: (abs(r - c), r))


def sentence_bleu(hyp: Sequence[int], refs: References, max_n: int, exclude_self: bool = False) -> float:
    c = len(hyp)
    if c == 0:
        return 0.0
    log_p = 0.0
    for n in range(1, max_n + 1):
        counts = ngrams(hyp, n)
        total = max(c - n + 1, 1)  # shorter than n: 0 of 1, as nltk counts it (then smoothed)
        matched = sum(min(k, refs.max_count(g, k if exclude_self else 0)) for g, k in counts.items())
        if n == 1 and matched == 0:
            return 0.0
        log_p += math.log((matched if matched else EPSILON) / total) / max_n
    r = refs.closest_length(c, exclude_self)
    brevity = 1.0 if c > r else math.exp(1 - r / c)
    return brevity * math.exp(log_p)


def bleu(hyps: Sequence[Sequence[int]], refs: Sequence[Sequence[int]], max_n: int) -> float:
    """Mean sentence BLEU-`max_n` of `hyps` against the reference set `refs`."""
    index = References(refs, max_n)
    return sum(sentence_bleu(h, index, max_n) for h in hyps) / len(hyps)


def self_bleu(hyps: Sequence[Sequence[int]], max_n: int) -> float:
    """Mean BLEU-`max_n` of each hypothesis against all the other hypotheses."""
    index = References(hyps, max_n)
    return sum(sentence_bleu(h, index, max_n, exclude_self=True) for h in hyps) / len(hyps)
