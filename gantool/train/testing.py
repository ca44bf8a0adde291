"""Helpers for tests of models that train: a quiet run through `gantool train`'s own path,
and looks at what it saved. gantool's tests and the bundled plugins' tests use them; they
are a test utility, not part of the plugin API (`gantool.__all__`), and may change."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from pathlib import Path
from typing import Any

import torch


def train_run(model: str, flags: dict[str, Any], sets: dict[str, Any] | None = None) -> Path:
    """Train `model` in this process as `gantool train MODEL` would (config layers, data,
    build, a new run folder) with `flags` (config keys) and `sets` (--set keys), quietly;
    returns the run folder. Fails the test unless the run finishes."""
    from rich.console import Console

    from gantool.plugins import registry
    from gantool.train.report import PlainReporter
    from gantool.train.session import new_run

    trainer, run, total, _ = new_run(registry(), model, None, flags, sets or {}, PlainReporter(Console(file=StringIO())))
    state = trainer.fit(run, total)
    assert state == "finished", f"{model} ended {state}"
    return run.path


def checkpoint_of(run: Path) -> dict[str, Any]:
    return torch.load(Path(run) / "checkpoints" / "last.pt", weights_only=True)


def metric_keys(run: Path) -> set[str]:
    """Every key of every line in the run's metrics.jsonl."""
    lines = (Path(run) / "metrics.jsonl").read_text().splitlines()
    return {key for line in lines for key in json.loads(line)}


def assert_same_state(a: Any, b: Any, where: str = "") -> None:
    """Checkpoint parts equal bit for bit (tensors, dicts, lists, numbers), naming the first
    difference: what an exact-resume test compares."""
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), f"differs at {where}"
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            assert_same_state(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, (list, tuple)):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same_state(x, y, f"{where}[{i}]")
    else:
        assert a == b, f"differs at {where}: {a} != {b}"


def largest_difference(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    """The largest absolute difference between two state dicts of the same network."""
    assert a.keys() == b.keys()
    return max((x.float() - y.float()).abs().max().item() if x.numel() else 0.0 for x, y in
               ((a[k], b[k]) for k in a))


@contextmanager
def one_thread() -> Iterator[None]:
    """Networks this small train many times faster on one intra-op thread: on a busy machine
    handing each small product to a second thread costs more than the product."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
