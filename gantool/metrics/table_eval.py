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
from gantool.metrics.evaluate import EvalProgress, EvalResult, EvalSettings, write_result
from gantool.plugins import Registry
from gantool.specs import DataArrays, DataRequest

_NOT_A_TABLE = "dataset {name!r} is {kind} data; a table generator is scored against a table"


def evaluate_table_generator(registry: Registry, sampler, out_dir: Path, settings: EvalSettings, *,
                             data: str | None = None, progress: EvalProgress | None = None) -> EvalResult:
    """Score the rows `sampler` generates (an ONNX table generator) and write the result into `out_dir`."""
    from gantool.metrics.table import score_table

    progress = progress or EvalProgress()
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
    values = score_table(real["train"].x, real["test"].x, fake, columns, target)
    protocol = {"reference": reference, "data_options": options, "n": n, "seed": seed,
                "real_rows": {k: len(v.x) for k, v in real.items()}, "target": target or "last discrete column",
                "classifier": "multinomial logistic regression, L2 1e-3", "generator": str(sampler.path),
                "model": md.get(meta.MODEL), "training_step": md.get(meta.TRAINING_STEP), "provider": sampler.provider}
    result = EvalResult(values, protocol, time.perf_counter() - start, kind="table")
    result.path = write_result(result, out_dir)
    return result


def _real_split(registry: Registry, reference: str, split: str, options: dict) -> DataArrays:
    """One split of the real table; refused before loading unless the dataset holds tables."""
    return registry.open_dataset(reference, DataRequest(split=split, options=options), kind="table",
                                 mismatch=_NOT_A_TABLE)
