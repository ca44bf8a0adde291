"""`gantool eval` of a table generator: synthetic rows against the dataset's train and test splits.

The reference is the dataset the generator names (or `data`), loaded with the data options
it was trained with (its `data_options` metadata), so a CSV's discrete columns are read the
same way. The scores themselves (marginals, correlations, the classifier score) are
gantool/metrics/table.py; this module loads, samples, records the protocol and writes the
result, and prints nothing.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from gantool.core import onnx_meta as meta
from gantool.core import tables
from gantool.core.errors import UserError
from gantool.metrics.evaluate import EvalProgress, EvalResult, EvalSettings, check_metrics, write_result
from gantool.plugins import Registry
from gantool.specs import DataArrays, DataRequest

_NOT_A_TABLE = "dataset {name!r} is {kind} data; a table generator is scored against a table"
TABLE_METRICS = ("table", "augment")  # table: marginals, correlations, classifier score (the default)


def evaluate_table_generator(registry: Registry, sampler, out_dir: Path, settings: EvalSettings, *,
                             data: str | None = None, progress: EvalProgress | None = None) -> EvalResult:
    """Score the rows `sampler` generates (an ONNX table generator) and write the result into `out_dir`."""
    from gantool.metrics.table import score_table

    progress = progress or EvalProgress()
    chosen = settings.chosen or ["table"]
    check_metrics(chosen, TABLE_METRICS, "table")
    start = time.perf_counter()
    md = sampler.info.metadata
    columns = tables.from_json(md.get(meta.COLUMNS, "null"))
    reference = data or md.get(meta.DATASET)
    if not reference:
        raise UserError(f"{sampler.path} does not name its dataset; pass --data")
    options = json.loads(md.get(meta.DATA_OPTIONS) or "{}")
    real = {split: _real_split(registry, reference, split, options) for split in ("train", "test")}
    if [c["name"] for c in real["train"].columns] != [c["name"] for c in columns]:
        raise UserError(f"{reference} has columns {[c['name'] for c in real['train'].columns]}, "
                        f"the generator {[c['name'] for c in columns]}")
    n, seed, batch_size, target = settings.n, settings.seed, settings.batch_size, settings.target
    with progress.sampling(n, batch_size) as advance:
        fake = sampler.sample(n, seed=seed, batch_size=batch_size, progress=advance)
    values = score_table(real["train"].x, real["test"].x, fake, columns, target) if "table" in chosen else {}
    protocol = {"reference": reference, "data_options": options, "n": n, "seed": seed,
                "real_rows": {k: len(v.x) for k, v in real.items()}, "target": target or "last discrete column",
                "classifier": "multinomial logistic regression, L2 1e-3", "generator": str(sampler.path),
                "model": md.get(meta.MODEL), "training_step": md.get(meta.TRAINING_STEP), "provider": sampler.provider}
    if "augment" in chosen:
        more, protocol["augment"] = _augment(registry, sampler, md, real["test"].x, columns, settings, options)
        values.update(more)
    result = EvalResult(values, {**protocol, "metrics": chosen}, time.perf_counter() - start, kind="table")
    result.path = write_result(result, out_dir)
    return result


def _real_split(registry: Registry, reference: str, split: str, options: dict) -> DataArrays:
    """One split of the real table; refused before loading unless the dataset holds tables."""
    return registry.open_dataset(reference, DataRequest(split=split, options=options), kind="table",
                                 mismatch=_NOT_A_TABLE)


def _augment(registry: Registry, sampler, md: dict, test, columns, settings: EvalSettings,
             options: dict) -> tuple[dict, dict]:
    """Minority oversampling (gantool/metrics/table_augment.py) behind the protocol guard: the
    rows the generator was trained on (its dataset's train split, with its options) are the
    real rows, and a generator that saw more than --real-subset rows or the test rows is refused."""
    from gantool.metrics.table_augment import table_augmentation

    dataset = md.get(meta.DATASET)
    if not dataset:
        raise UserError(f"{sampler.path} does not say which data it was trained on; augment cannot check it")
    seen = _real_split(registry, dataset, "train", options).x
    k = settings.real_subset or len(seen)
    if len(seen) > k:
        raise UserError(f"the generator was trained on {len(seen):,} real rows ({dataset}), more than the "
                        f"--real-subset {k:,} it would be compared against")
    test_rows = {row.tobytes() for row in test}
    in_test = sum(row.tobytes() in test_rows for row in seen)
    if in_test > len(test) // 2:  # a few equal rows happen in real tables; most of the test split does not
        raise UserError(f"the generator was trained on rows that include {in_test} of the {len(test)} test rows")

    def sample(n: int, seed: int):
        return sampler.sample(n, seed=seed, batch_size=settings.batch_size)

    seeds = [settings.seed + r for r in range(settings.repeats)]
    values, protocol = table_augmentation(sample, seen, test, columns, settings.target, seeds)
    protocol["generator_data"] = {"dataset": dataset, "options": options, "rows": len(seen), "test_rows_seen": in_test}
    return values, protocol
