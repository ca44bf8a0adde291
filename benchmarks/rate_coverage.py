"""How often does `gantool rate report`'s 95 % interval cover the truth? Simulated studies.

Each simulated study has R raters answering `--items` images (half generated); a rater is
right with probability p, drawn per rater around the study's mean accuracy with spread s
(s = 0: all raters alike). The HYPE score's true value is 1 - mean accuracy. Prints, per
setting, the share of studies whose interval covers it and the mean width against the
binomial (Wald) interval of the pooled answers. Story: docs/rating.md, "How good are the
intervals".

    python benchmarks/rate_coverage.py --studies 400
"""

from __future__ import annotations

import argparse

import numpy as np

from gantool.rate.stats import hype


def simulate(raters: int, items: int, accuracy: float, spread: float, studies: int, draws: int, seed: int):
    rng = np.random.default_rng(seed)
    half = np.full(raters, items // 2)
    covered, widths = 0, []
    for _ in range(studies):
        p = np.clip(accuracy + spread * rng.standard_normal(raters), 0, 1)
        h = hype(rng.binomial(half, 1 - p), half, rng.binomial(half, 1 - p), half, draws=draws, rng=rng)
        covered += h.score.covers(1 - accuracy)
        widths.append(h.score.high - h.score.low)
    wald = 2 * 1.96 * np.sqrt(accuracy * (1 - accuracy) / (raters * items))
    return covered / studies, float(np.mean(widths)) / wald


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=400)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--draws", type=int, default=1000)
    args = parser.parse_args()
    print(f"{'raters':>6} {'accuracy':>8} {'spread':>6} {'coverage':>8} {'width/Wald':>10}")
    for raters in (1, 3, 5, 10, 20):
        for spread in (0.0, 0.08):
            if raters == 1 and spread:
                continue
            coverage, width = simulate(raters, args.items, 0.7, spread, args.studies, args.draws, seed=raters)
            print(f"{raters:>6} {0.7:>8} {spread:>6} {coverage:>8.3f} {width:>10.2f}")


if __name__ == "__main__":
    main()
