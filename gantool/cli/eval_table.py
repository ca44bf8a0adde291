"""`gantool eval` of a table generator: marginals, correlations and the classifier score
(gantool/metrics/table.py) against the dataset's train and test splits."""

from __future__ import annotations

import json
import time
from pathlib import Path


def eval_table(sampler, folder: Path, data: str | None, n: int, seed: int, batch_size: int, target: str | None,
               console) -> None:
    from rich.console import Console
    from rich.table import Table

    from gantool.core import onnx_meta as meta
    from gantool.core import tables
    from gantool.cli.sample import sampling_progress
    from gantool.core.errors import UserError
    from gantool.metrics import evaluate as ev
    from gantool.metrics.table import score_table
    from gantool.plugins import registry
    from gantool.specs import DataRequest
    from gantool.train.session import split_data_name

    start = time.perf_counter()
    md = sampler.info.metadata
    columns = tables.from_json(md.get(meta.COLUMNS, "null"))
    reference = data or md.get(meta.DATASET)
    if not reference:
        raise UserError(f"{sampler.path} does not name its dataset; pass --data")
    options = json.loads(md.get(meta.DATA_OPTIONS) or "{}")
    name, arg = split_data_name(reference)
    spec = registry().get("dataset", name)
    if spec.data_kind != "table":
        raise UserError(f"dataset {name!r} is {spec.data_kind} data; a table generator is scored against a table")
    real = {split: spec.load(arg, DataRequest(split=split, options=options)) for split in ("train", "test")}
    if [c["name"] for c in real["train"].columns] != [c["name"] for c in columns]:
        raise UserError(f"{reference} has columns {[c['name'] for c in real['train'].columns]}, "
                        f"the generator {[c['name'] for c in columns]}")
    with sampling_progress(n, batch_size) as advance:
        fake = sampler.sample(n, seed=seed, batch_size=batch_size, progress=advance)
    values = score_table(real["train"].x, real["test"].x, fake, columns, target)
    protocol = {"reference": reference, "data_options": options, "n": n, "seed": seed,
                "real_rows": {k: len(v.x) for k, v in real.items()}, "target": target or "last discrete column",
                "classifier": "multinomial logistic regression, L2 1e-3", "generator": str(sampler.path),
                "model": md.get(meta.MODEL), "training_step": md.get(meta.TRAINING_STEP), "provider": sampler.provider}
    written = ev.write_result(ev.EvalResult(values, protocol, time.perf_counter() - start), folder / "eval")
    table = Table(title=f"{md.get(meta.MODEL)} vs {reference}  ({n} synthetic rows; "
                        f"{len(real['train'].x)} real train / {len(real['test'].x)} real test rows)")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in values.items():
        table.add_row(key, f"{value:.4f}")
    Console().print(table)
    console.print(f"written {written}")
