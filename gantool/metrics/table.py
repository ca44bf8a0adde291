"""How close a synthetic table is to a real one (numpy only).

- per column: the Kolmogorov-Smirnov statistic for continuous columns, the total variation
  distance of the category frequencies for discrete ones (0 = identical, 1 = disjoint);
- pairwise: the mean absolute difference between the two tables' Pearson correlation
  matrices (discrete columns enter as their category index; constant columns are skipped);
- task-based ("machine learning efficacy", the seeds' data-augmentation test): a classifier
  for a discrete target column trained on synthetic rows and tested on held-out real rows,
  against the same classifier trained on real rows. The classifier is multinomial logistic
  regression (standardised continuous features, one-hot categories, L2 1e-3), fitted here so
  the score needs nothing beyond numpy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gantool.core.errors import UserError
from gantool.core.tables import CONTINUOUS, DISCRETE, category_index


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """Largest gap between the two empirical CDFs."""
    a, b = np.sort(a), np.sort(b)
    points = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, points, side="right") / len(a)
    cdf_b = np.searchsorted(b, points, side="right") / len(b)
    return float(np.max(np.abs(cdf_a - cdf_b)))


def total_variation(a: np.ndarray, b: np.ndarray, count: int) -> float:
    p = np.bincount(category_index(a, count), minlength=count) / len(a)
    q = np.bincount(category_index(b, count), minlength=count) / len(b)
    return float(0.5 * np.abs(p - q).sum())


def column_distances(real: np.ndarray, fake: np.ndarray, columns: list[dict[str, Any]]) -> dict[str, float]:
    out = {}
    for j, col in enumerate(columns):
        if col["kind"] == CONTINUOUS:
            out[f"ks/{col['name']}"] = ks_statistic(real[:, j], fake[:, j])
        else:
            out[f"tv/{col['name']}"] = total_variation(real[:, j], fake[:, j], len(col["categories"]))
    return out


def correlation_difference(real: np.ndarray, fake: np.ndarray) -> float:
    keep = (real.std(0) > 0) & (fake.std(0) > 0)
    if keep.sum() < 2:
        return 0.0
    cr, cf = np.corrcoef(real[:, keep], rowvar=False), np.corrcoef(fake[:, keep], rowvar=False)
    off = ~np.eye(int(keep.sum()), dtype=bool)
    return float(np.abs(cr - cf)[off].mean())


class Encoder:
    """Features for the classifier: continuous columns standardised by the training rows,
    discrete ones one-hot; the target column left out."""

    def __init__(self, train: np.ndarray, columns: list[dict[str, Any]], target: int):
        self.columns, self.target = columns, target
        self.mean = train.mean(0)
        self.std = np.where(train.std(0) > 0, train.std(0), 1.0)

    def __call__(self, table: np.ndarray) -> np.ndarray:
        parts = []
        for j, col in enumerate(self.columns):
            if j == self.target:
                continue
            if col["kind"] == CONTINUOUS:
                parts.append(((table[:, j] - self.mean[j]) / self.std[j])[:, None])
            else:
                parts.append(np.eye(len(col["categories"]))[category_index(table[:, j], len(col["categories"]))])
        return np.concatenate(parts + [np.ones((len(table), 1))], axis=1)


def fit_logistic(x: np.ndarray, y: np.ndarray, classes: int, l2: float = 1e-3, steps: int = 500) -> np.ndarray:
    """Multinomial logistic regression by full-batch gradient descent with Nesterov momentum
    (convex; the features are standardised, so a fixed step converges)."""
    w = np.zeros((x.shape[1], classes))
    velocity = np.zeros_like(w)
    onehot = np.eye(classes)[y]
    lr = 0.5
    for _ in range(steps):
        ahead = w + 0.9 * velocity
        logits = x @ ahead
        logits -= logits.max(1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(1, keepdims=True)
        grad = x.T @ (p - onehot) / len(x) + l2 * ahead
        velocity = 0.9 * velocity - lr * grad
        w = w + velocity
    return w


def classifier_accuracy(train: np.ndarray, test: np.ndarray, columns: list[dict[str, Any]], target: int) -> float:
    classes = len(columns[target]["categories"])
    encode = Encoder(train, columns, target)
    w = fit_logistic(encode(train), category_index(train[:, target], classes), classes)
    predicted = (encode(test) @ w).argmax(1)
    return float((predicted == category_index(test[:, target], classes)).mean())


def find_target(columns: list[dict[str, Any]], name: str | None) -> int:
    names = [c["name"] for c in columns]
    if name is None:  # the last discrete column, where datasets usually keep their label
        discrete = [j for j, c in enumerate(columns) if c["kind"] == DISCRETE]
        if not discrete:
            raise UserError("the table has no discrete column to predict; the classifier score needs one (--target)")
        return discrete[-1]
    if name not in names:
        raise UserError(f"--target {name!r} is not a column; columns: {', '.join(names)}")
    if columns[names.index(name)]["kind"] != DISCRETE:
        raise UserError(f"--target {name!r} is continuous; the classifier score needs a discrete column")
    return names.index(name)


def score_table(real_train: np.ndarray, real_test: np.ndarray, fake: np.ndarray, columns: list[dict[str, Any]],
                target: str | None) -> dict[str, float]:
    """All table metrics: marginals and correlations against the real training rows, the
    classifier score on the held-out real rows."""
    per_column = column_distances(real_train, fake, columns)
    ks = [v for k, v in per_column.items() if k.startswith("ks/")]
    tv = [v for k, v in per_column.items() if k.startswith("tv/")]
    t = find_target(columns, target)
    acc_real = classifier_accuracy(real_train, real_test, columns, t)
    acc_fake = classifier_accuracy(fake, real_test, columns, t)
    values = {
        **({"ks_mean": float(np.mean(ks))} if ks else {}),
        **({"tv_mean": float(np.mean(tv))} if tv else {}),
        "correlation_diff": correlation_difference(real_train, fake),
        "accuracy_real": acc_real, "accuracy_synthetic": acc_fake,
        "accuracy_ratio": acc_fake / acc_real if acc_real else 0.0,
    }
    return {**values, **per_column}
