"""The study statistics checked by simulation: seeded simulated raters of known skill, the
intervals cover the truth as often as they claim, and Bradley-Terry recovers an order."""

from __future__ import annotations

import numpy as np
import pytest

from gantool.rate import stats

STUDIES = 200
DRAWS = 500  # bootstrap draws a simulated study (the report's default is 2000)


def simulated_hype(rng, raters: int, items: int, accuracy, says_real: float | None = None):
    """Per-rater counts of one study: `items` images a rater (half fake), each answered right
    with probability `accuracy` (or, for raters who cannot tell, 'real' with `says_real`)."""
    half = np.full(raters, items // 2)
    if says_real is None:
        return rng.binomial(half, 1 - accuracy), half, rng.binomial(half, 1 - accuracy), half
    return rng.binomial(half, says_real), half, rng.binomial(half, 1 - says_real), half


@pytest.mark.parametrize("accuracy, raters", [(0.7, 5), (0.9, 3), (0.6, 1)])
def test_raters_of_known_accuracy_are_recovered_within_the_interval_in_95_percent_of_studies(accuracy, raters):
    rng = np.random.default_rng(2026)
    covered = [stats.hype(*simulated_hype(rng, raters, 100, accuracy), draws=DRAWS, rng=rng).score.covers(1 - accuracy)
               for _ in range(STUDIES)]
    assert np.mean(covered) >= 0.95


def test_the_interval_is_not_trivially_wide():
    """The check above must be able to fail: the two-stage bootstrap is conservative when
    raters are alike (docs/rating.md), but less than twice as wide as the binomial interval
    of the pooled answers, and a wrong truth is not covered."""
    rng = np.random.default_rng(1)
    h = stats.hype(*simulated_hype(rng, 5, 100, 0.7), draws=DRAWS, rng=rng)
    binomial_width = 2 * 1.96 * np.sqrt(0.3 * 0.7 / 500)
    assert h.score.high - h.score.low < 2 * binomial_width and not h.score.covers(0.5)
    assert 0.2 < h.score.value < 0.4 and h.answers == 500


def test_a_real_vs_real_study_covers_one_half_also_for_raters_biased_towards_real():
    rng = np.random.default_rng(7)
    for says_real in (0.5, 0.7):
        covered = [stats.hype(*simulated_hype(rng, 4, 100, None, says_real), draws=DRAWS, rng=rng).score.covers(0.5)
                   for _ in range(STUDIES)]
        assert np.mean(covered) >= 0.95, says_real


def test_bradley_terry_orders_three_simulated_generators():
    rng = np.random.default_rng(3)
    truth = np.array([0.0, -1.0, 0.8])  # log-strengths: generator 2 looks most real, 1 least
    pairs = [(0, 1), (0, 2), (1, 2)]
    wins = np.zeros((6, 3, 3), np.int64)
    for r in range(6):
        for i, j in pairs:
            won = rng.binomial(40, 1 / (1 + np.exp(truth[j] - truth[i])))
            wins[r, i, j], wins[r, j, i] = won, 40 - won
    prefs = stats.preferences(wins, draws=DRAWS, rng=rng)
    scores = [e.value for e in prefs.strengths]
    assert list(np.argsort(scores)) == [1, 0, 2]
    centred = truth - truth.mean()
    assert all(e.covers(t) for e, t in zip(prefs.strengths, centred))
    assert prefs.rates[(1, 2)].high < 0.5 < prefs.rates[(0, 1)].low


def test_bradley_terry_matches_the_closed_form_for_two_and_stays_finite_for_a_clean_sweep():
    wins = np.array([[0, 30], [10, 0]])
    logs = stats.bradley_terry(wins, prior=0)
    assert logs[0] - logs[1] == pytest.approx(np.log(3), rel=1e-6)
    swept = stats.bradley_terry(np.array([[0, 5, 5], [0, 0, 5], [0, 0, 0]]))
    assert np.all(np.isfinite(swept)) and swept[0] > swept[1] > swept[2]


def test_agreement_and_fleiss_kappa():
    same = np.array([[0, 0, 0], [1, 1, 1], [0, 0, 0], [1, 1, 1]])
    assert stats.agreement(same) == (1.0, 1.0)
    observed, kappa = stats.agreement(np.array([[0, 1], [1, 0], [0, 1], [1, 0]]))
    assert observed == 0.0 and kappa == pytest.approx(-1.0)
    # Fleiss (1971)-style check by hand: items rated by 3 raters, one missing answer
    observed, kappa = stats.agreement(np.array([[0, 0, 1], [1, 1, 1], [0, -1, 0]]))
    assert observed == pytest.approx((1 / 3 + 1 + 1) / 3)
    assert np.isnan(stats.agreement(np.array([[0], [1]]))[1])  # one rater: nothing to agree on
