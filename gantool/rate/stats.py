"""The statistics of a rating study, numpy only.

HYPE score (Zhou et al. 2019, HYPE-infinity): the raters' error rate on a set of half real,
half generated images, 0.5 meaning people cannot tell the two apart. Here it is the balanced
error, (fake judged real + real judged fake) / 2, which is the plain error rate when the
halves are equal and stays 0.5 for a rater who guesses with a bias ("real" more often).

Intervals come from a two-stage (hierarchical) bootstrap: draw raters with replacement, then
each drawn rater's answers with replacement, inside each stratum (the fakes of a model, the
reals). Answers are right or wrong, so the second stage is one binomial draw per rater and
stratum, exactly what resampling the answers would give, and the whole bootstrap is a few
array operations. Resampling both levels counts the spread between raters and between
answers; when raters are alike it is somewhat conservative (Saravanan et al. 2020).

2AFC preferences are pooled into a win matrix; with three or more generators, a
Bradley-Terry model (Hunter's MM algorithm) gives each a log-strength, 0 on average.
Agreement between raters is Fleiss' kappa over the items they all saw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LEVEL = 0.95


@dataclass(frozen=True)
class Estimate:
    """A value and its bootstrap interval (NaN where there were no answers to count)."""

    value: float
    low: float
    high: float

    def to_json(self) -> dict[str, float | None]:
        return {k: (None if np.isnan(v) else round(float(v), 6)) for k, v in
                (("value", self.value), ("low", self.low), ("high", self.high))}

    def covers(self, x: float) -> bool:
        return bool(self.low <= x <= self.high)


def estimate(value: float, draws: np.ndarray, level: float = LEVEL) -> Estimate:
    """`value` with the percentile interval of its bootstrap `draws` (NaN draws ignored)."""
    draws = draws[np.isfinite(draws)]
    if not np.isfinite(value) or not len(draws):
        return Estimate(float(value), np.nan, np.nan)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail])
    return Estimate(float(value), float(low), float(high))


def ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, NaN where the denominator is 0."""
    numerator, denominator = np.asarray(numerator, float), np.asarray(denominator, float)
    return np.divide(numerator, denominator, out=np.full(np.broadcast(numerator, denominator).shape, np.nan),
                     where=denominator > 0)


def resample(errors: np.ndarray, totals: np.ndarray, draws: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two-stage bootstrap of right/wrong answers counted by rater and stratum.

    `errors`, `totals`: `[raters, strata]`. Returns the resampled errors and totals summed
    over the drawn raters, each `[draws, strata]`."""
    errors, totals = np.asarray(errors, np.int64), np.asarray(totals, np.int64)
    pick = rng.integers(errors.shape[0], size=(draws, errors.shape[0]))
    n = totals[pick]
    p = np.nan_to_num(ratio(errors, totals))[pick]
    return rng.binomial(n, p).sum(axis=1), n.sum(axis=1)


@dataclass(frozen=True)
class Hype:
    score: Estimate
    fake_judged_real: Estimate
    real_judged_fake: Estimate
    answers: int


def hype(fake_errors, fake_totals, real_errors, real_totals, draws: int = 2000,
         rng: np.random.Generator | None = None) -> Hype:
    """The HYPE score and its two parts, from per-rater counts (`[raters]` arrays): wrong
    answers to, and answers to, generated and real images."""
    rng = rng or np.random.default_rng(0)
    errors = np.stack([fake_errors, real_errors], axis=1)
    totals = np.stack([fake_totals, real_totals], axis=1)
    fjr, rjf = ratio(errors.sum(0), totals.sum(0))
    boot_errors, boot_totals = resample(errors, totals, draws, rng)
    rates = ratio(boot_errors, boot_totals)
    return Hype(estimate((fjr + rjf) / 2, rates.mean(axis=1)), estimate(fjr, rates[:, 0]), estimate(rjf, rates[:, 1]),
                int(totals.sum()))


def bradley_terry(wins: np.ndarray, prior: float = 0.5, iterations: int = 300) -> np.ndarray:
    """Log-strengths (mean 0) from win counts `wins[..., i, j]` (times i was preferred to j).

    Hunter's MM iteration, over any leading batch axes at once. `prior` pseudo-wins each way
    for every compared pair keep a generator that never (or always) won finite."""
    wins = np.asarray(wins, dtype=float)
    compared = (wins + np.swapaxes(wins, -1, -2)) > 0
    wins = wins + prior * compared
    games = wins + np.swapaxes(wins, -1, -2)
    won = wins.sum(axis=-1)
    strength = np.ones(wins.shape[:-1])
    for _ in range(iterations):
        pair_sum = strength[..., :, None] + strength[..., None, :]
        strength = won / np.maximum((games / pair_sum).sum(axis=-1), 1e-300)
        strength /= np.exp(np.log(np.maximum(strength, 1e-300)).mean(axis=-1, keepdims=True))
    logs = np.log(np.maximum(strength, 1e-300))
    return logs - logs.mean(axis=-1, keepdims=True)


def resample_wins(wins: np.ndarray, draws: int, rng: np.random.Generator) -> np.ndarray:
    """Two-stage bootstrap of per-rater win matrices `[raters, M, M]` -> `[draws, M, M]`."""
    wins = np.asarray(wins, np.int64)
    upper = np.triu(np.ones(wins.shape[1:], bool), 1)
    won, games = wins[:, upper], (wins + np.swapaxes(wins, 1, 2))[:, upper]  # [raters, pairs]
    boot_won, boot_games = resample(won, games, draws, rng)
    out = np.zeros((draws, *wins.shape[1:]))
    out[:, upper] = boot_won
    out.transpose(0, 2, 1)[:, upper] = boot_games - boot_won
    return out


@dataclass(frozen=True)
class Preferences:
    rates: dict[tuple[int, int], Estimate]  # (i, j), i < j: how often i was preferred to j
    strengths: list[Estimate] | None  # Bradley-Terry log-strengths, with three or more generators


def preferences(wins: np.ndarray, draws: int = 2000, rng: np.random.Generator | None = None) -> Preferences:
    """Pairwise preference rates and (three or more generators) Bradley-Terry scores with
    bootstrap intervals, from per-rater win matrices `[raters, M, M]`."""
    rng = rng or np.random.default_rng(0)
    wins = np.asarray(wins, np.int64)
    pooled, boot = wins.sum(0), resample_wins(wins, draws, rng)
    m = pooled.shape[0]
    rates = {(i, j): estimate(float(ratio(pooled[i, j], pooled[i, j] + pooled[j, i])),
                              ratio(boot[:, i, j], boot[:, i, j] + boot[:, j, i]))
             for i in range(m) for j in range(i + 1, m) if pooled[i, j] + pooled[j, i]}
    strengths = None
    if m >= 3:
        point, samples = bradley_terry(pooled), bradley_terry(boot)
        strengths = [estimate(float(point[i]), samples[:, i]) for i in range(m)]
    return Preferences(rates, strengths)


def agreement(ratings: np.ndarray, categories: int = 2) -> tuple[float, float]:
    """Mean pairwise agreement and Fleiss' kappa of `ratings[item, rater]` (a category
    index, -1 where the rater did not answer); NaN with fewer than two raters on any item."""
    ratings = np.asarray(ratings)
    counts = np.stack([(ratings == c).sum(axis=1) for c in range(categories)], axis=1)
    per_item = counts.sum(axis=1)
    counts = counts[per_item >= 2]
    per_item = per_item[per_item >= 2]
    if not len(counts):
        return float("nan"), float("nan")
    observed = float((((counts**2).sum(axis=1) - per_item) / (per_item * (per_item - 1))).mean())
    share = counts.sum(axis=0) / counts.sum()
    chance = float((share**2).sum())
    kappa = (observed - chance) / (1 - chance) if chance < 1 else float("nan")
    return observed, kappa
