"""Reading a run directory while another process writes it (no Textual, no torch here).

JSONL files are followed with tail.FileTail: only complete lines are parsed, and a file
that shrinks or is replaced (resume trims metrics.jsonl) is read again from the start,
which the caller hears as `reset` and answers by dropping what it had.
"""

from __future__ import annotations

import json
import os
import time
from array import array
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gantool.run import lock
from gantool.run.layout import SAMPLE_GLOB, RunLayout
from gantool.run.tail import FileTail
from gantool.run.writer import writer_pid

NOT_SERIES = {"step", "epoch", "time", "elapsed"}
LOSS_PREFIX = "loss_"
MAX_RECORDS = 100_000  # parsed per read at most; more are thinned evenly (see JsonlTail)


class JsonlTail:
    """New JSON records of a JSONL file; lines that do not parse are counted in `bad_lines`.

    `max_records`: when one read brings more lines than this (opening a long run), only an
    even stride of them is parsed, plus every line with an unusual number of keys (the
    sparse metrics such as FID) and the last line; the charts are downsampled anyway."""

    def __init__(self, path: Path, max_records: int | None = None):
        self._tail = FileTail(path)
        self.path = self._tail.path
        self.max_records = max_records
        self.thinned = 0
        self.bad_lines = 0

    def read(self) -> tuple[list[dict[str, Any]], bool]:
        """New complete records, and whether the file was replaced (start over)."""
        lines, reset = self._tail.read_lines()
        lines = [line for line in lines if line.strip()]
        if self.max_records and len(lines) > self.max_records:
            lines = self._thin(lines)
        return self._parse(lines), reset

    def _thin(self, lines: list[bytes]) -> list[bytes]:
        keys = [line.count(b'":') for line in lines]
        usual = Counter(keys[:: max(1, len(keys) // 1000)]).most_common(1)[0][0]
        stride = -(-len(lines) // self.max_records)
        keep = [i for i, k in enumerate(keys) if k != usual or i % stride == 0]
        if keep[-1] != len(lines) - 1:
            keep.append(len(lines) - 1)
        self.thinned += len(lines) - len(keep)
        return [lines[i] for i in keep]

    def _parse(self, lines: list[bytes]) -> list[dict[str, Any]]:
        """All lines in one json.loads call (fast for a million lines), else line by line."""
        if not lines:
            return []
        try:
            parsed = json.loads(b"[" + b",".join(lines) + b"]")
        except ValueError:  # some line is malformed: find and skip it
            parsed = []
            for line in lines:
                try:
                    parsed.append(json.loads(line))
                except ValueError:
                    self.bad_lines += 1
        return [r for r in parsed if isinstance(r, dict)]


class Series:
    """Every numeric metric by name, as compact float arrays (a million lines stay small)."""

    def __init__(self) -> None:
        self.steps: dict[str, array] = {}
        self.values: dict[str, array] = {}
        self.last: dict[str, Any] = {}
        self.max_step = 0.0
        self.skipped = 0  # records whose step makes no sense (negative, NaN, going backwards)

    def clear(self) -> None:
        self.__init__()

    def add(self, records: list[dict[str, Any]]) -> None:
        """Append records column by column: list comprehensions, not a loop over every value.

        A trainer only ever appends steps that do not go back (resume replaces the file, and
        the reader starts over), so a record with a negative, NaN or earlier step is foreign
        and skipped rather than drawn as a line back in time."""
        records = self._ordered([r for r in records if type(r.get("step")) in (int, float)])
        if not records:
            return
        keys = set().union(*map(dict.keys, records)) - NOT_SERIES
        for key in keys:
            pairs = [(r["step"], r[key]) for r in records if key in r]
            if not {type(v) for _, v in pairs} <= {int, float}:  # drop text, bools, nulls
                pairs = [(s, v) for s, v in pairs if type(v) in (int, float)]
            if not pairs:
                continue
            if key not in self.values:
                self.steps[key], self.values[key] = array("d"), array("d")
            steps, values = zip(*pairs)
            self.steps[key].extend(steps)
            self.values[key].extend(values)
        self.last = records[-1]

    def _ordered(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        kept = []
        for record in records:
            step = record["step"]
            if step >= self.max_step:  # NaN compares False; max_step starts at 0
                kept.append(record)
                self.max_step = step
        self.skipped += len(records) - len(kept)
        return kept

    def names(self) -> list[str]:
        return sorted(self.values, key=lambda k: (not k.startswith(LOSS_PREFIX), k))

    def losses(self) -> list[str]:
        return [k for k in self.names() if k.startswith(LOSS_PREFIX)]

    def others(self) -> list[str]:
        return [k for k in self.names() if not k.startswith(LOSS_PREFIX) and k != "img_per_s"]

    def view(self, key: str, points: int, smoothing: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """At most `points` (step, value) pairs: bucket means, then an optional moving average."""
        xs = np.frombuffer(self.steps[key], dtype=np.float64)
        ys = np.frombuffer(self.values[key], dtype=np.float64)
        if len(xs) > points > 0:
            edges = np.linspace(0, len(xs), points + 1).astype(int)[:-1]
            counts = np.diff(np.append(edges, len(xs)))
            xs = np.add.reduceat(xs, edges) / counts
            ys = np.add.reduceat(ys, edges) / counts
        if smoothing > 0 and len(ys) > 2:  # trailing moving average; the head uses what it has
            window = max(1, int(len(ys) * smoothing * 0.2))
            total = np.cumsum(ys)
            smooth = total / np.arange(1, len(ys) + 1)
            smooth[window:] = (total[window:] - total[:-window]) / window
            ys = smooth
        return xs, ys


def read_series(run_dir: Path) -> Series:
    """A run's metrics as they are on disk now, read once (`gantool plot`)."""
    series = Series()
    records, _ = JsonlTail(RunLayout(run_dir).metrics).read()
    series.add(records)
    return series


@dataclass
class RunView:
    """Everything the dashboard shows of one run, refreshed by `poll()`."""

    path: Path
    series: Series = field(default_factory=Series)
    events: list[dict[str, Any]] = field(default_factory=list)
    status: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    latest_sample: Path | None = None

    def __post_init__(self) -> None:
        self.layout = RunLayout(self.path)
        self._metrics = JsonlTail(self.layout.metrics, max_records=MAX_RECORDS)
        self._events = JsonlTail(self.layout.events)
        self._status_mtime = 0.0

    @property
    def name(self) -> str:
        return f"{self.path.parent.name}/{self.path.name}"

    def poll(self) -> bool:
        """Read what changed on disk; True when anything did (cheap when nothing did)."""
        changed = False
        records, reset = self._metrics.read()
        if reset:
            self.series.clear()
        if records or reset:
            self.series.add(records)
            changed = True
        events, reset = self._events.read()
        if reset:
            self.events.clear()
        if events or reset:
            self.events.extend(events)
            for event in events:
                if event.get("event") == "sample" and event.get("path"):
                    self.latest_sample = self.path / event["path"]
            changed = True
        changed |= self._read_status()
        if not self.config and self.layout.config.exists():
            self._read_config()
        if self.latest_sample is None:
            samples = sorted(self.layout.samples.glob(SAMPLE_GLOB))
            self.latest_sample = samples[-1] if samples else None
        return changed

    def _read_status(self) -> bool:
        try:
            mtime = os.stat(self.layout.status).st_mtime
            if mtime == self._status_mtime:
                return False
            self.status = json.loads(self.layout.status.read_text())
            self._status_mtime = mtime
            return True
        except (FileNotFoundError, ValueError):
            return False

    def _read_config(self) -> None:
        import tomllib

        try:
            self.config = tomllib.loads(self.layout.config.read_text())
        except (OSError, ValueError):
            self.config = {}

    @property
    def state(self) -> str:
        """The state a user should see: a `running` run whose writer is gone is `stale`."""
        state = self.status.get("state", "unknown")
        # no heartbeat for a while, and no process holds the run's lock: a trainer suspended
        # with Ctrl-Z still holds it, and is alive, not crashed
        if state in ("running", "paused") and writer_pid(self.status) is None and lock.holder(self.path) is None:
            return "stale"
        return state

    @property
    def reason(self) -> str:
        return str(self.status.get("reason") or "")

    def heartbeat_age(self) -> float | None:
        beat = self.status.get("heartbeat")
        return time.time() - float(beat) if beat else None


PROVIDER_KEYS = {"model": "model_from", "loss": "loss_from", "dataset": "data_from"}


def recorded_providers(run_dir: Path | None) -> dict[str, str]:
    """kind -> "distribution version" that provided the run's model, loss and dataset, as
    config.toml's [versions] records them ({} for older runs or no run directory)."""
    import tomllib

    if run_dir is None:
        return {}
    try:
        versions = tomllib.loads(RunLayout(run_dir).config.read_text()).get("versions", {})
    except (OSError, ValueError):
        return {}
    return {kind: str(versions[key]) for kind, key in PROVIDER_KEYS.items() if key in versions}
