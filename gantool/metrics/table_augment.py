"""Measured augmentation for tables: oversample the minority class with generated rows.

The target column's rarest class in the real training rows is topped up with generated rows
of that class (rows are drawn from the generator and those of the class kept) by r times
its deficit to the largest class, for each ratio r in RATIOS, and the classifier of
gantool/metrics/table.py (logistic regression) is trained with and without them. Scores are
on the real test rows: balanced accuracy (mean recall over classes, what oversampling is
for), minority recall and accuracy. The unaugmented classifier is deterministic; the
augmented ones vary with the seed of the generated rows, so their gains carry a 95 %
t-interval over the seeds. numpy only.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from gantool.core.errors import UserError
from gantool.core.tables import category_index
from gantool.metrics.augment import RATIOS, interval95
from gantool.metrics.table import Encoder, find_target, fit_logistic

DRAWS = 20  # at most this many batches of generated rows are drawn looking for minority rows


def _scores(train: np.ndarray, test: np.ndarray, columns: list[dict[str, Any]], t: int, minority: int) -> np.ndarray:
    """(balanced accuracy, minority recall, accuracy) on `test` of the classifier fitted on `train`."""
    classes = len(columns[t]["categories"])
    encode = Encoder(train, columns, t)
    w = fit_logistic(encode(train), category_index(train[:, t], classes), classes)
    predicted, truth = (encode(test) @ w).argmax(1), category_index(test[:, t], classes)
    recalls = [float((predicted[truth == c] == c).mean()) for c in range(classes) if (truth == c).any()]
    return np.array([np.mean(recalls), float((predicted[truth == minority] == minority).mean()),
                     float((predicted == truth).mean())])


def minority_rows(sample: Callable[[int, int], np.ndarray], t: int, classes: int, minority: int, count: int,
                  seed: int) -> np.ndarray:
    """`count` generated rows whose target is the minority class, drawn in seeded batches."""
    found: list[np.ndarray] = []
    have = 0
    for draw in range(DRAWS):
        rows = sample(max(4 * count, 256), seed * DRAWS + draw)
        keep = rows[category_index(rows[:, t], classes) == minority]
        found.append(keep)
        have += len(keep)
        if have >= count:
            return np.concatenate(found)[:count]
    raise UserError(f"the generator drew only {have} rows of the minority class in {DRAWS} batches, "
                    f"not the {count} augment needs")


def table_augmentation(sample: Callable[[int, int], np.ndarray], train: np.ndarray, test: np.ndarray,
                       columns: list[dict[str, Any]], target: str | None, seeds: list[int]) -> tuple[dict, dict]:
    """Values and protocol of the minority oversampling test; `sample(n, seed)` draws rows."""
    t = find_target(columns, target)
    classes = len(columns[t]["categories"])
    counts = np.bincount(category_index(train[:, t], classes), minlength=classes)
    present = np.flatnonzero(counts)
    minority = int(present[np.argmin(counts[present])])
    deficit = int(counts.max() - counts[minority])
    if deficit == 0:
        raise UserError(f"the classes of {columns[t]['name']} are balanced in the training rows: nothing to oversample")
    base = _scores(train, test, columns, t, minority)
    gains = []
    for seed in seeds:
        extra = minority_rows(sample, t, classes, minority, round(max(RATIOS) * deficit), seed)
        gains.append([_scores(np.concatenate([train, extra[:round(r * deficit)]]), test, columns, t, minority) - base
                      for r in RATIOS])
    table = np.array(gains)  # [seeds, ratios, (balanced, minority recall, accuracy)]
    values = {"augment_real_balanced": float(base[0]), "augment_real_minority_recall": float(base[1]),
              "augment_real_accuracy": float(base[2])}
    for j, ratio in enumerate(RATIOS):
        values[f"augment_gain_x{ratio:g}"] = float(table[:, j, 0].mean())
        values[f"augment_gain_x{ratio:g}_ci95"] = interval95(table[:, j, 0])
        values[f"augment_minority_recall_gain_x{ratio:g}"] = float(table[:, j, 1].mean())
    protocol = {"target": columns[t]["name"], "minority": columns[t]["categories"][minority],
                "class_counts": counts.tolist(), "deficit": deficit, "ratios": list(RATIOS), "seeds": seeds,
                "score": "balanced accuracy on the real test rows (gain: augmented - unaugmented)",
                "classifier": "multinomial logistic regression, L2 1e-3"}
    return values, protocol
