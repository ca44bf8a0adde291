"""Named training events and the functions hung on them (Ultralytics' callback seam).

The loop fires an event at each stage; integrations (the console reporter, loggers such
as TensorBoard, a plugin's own) subscribe to the events instead of living in the loop.
A callback is `fn(trainer, **details)`; the details of each event are listed in EVENTS.
Callbacks run on rank 0 only, between steps, never inside the hot loop's step.
"""

from __future__ import annotations

from typing import Any, Callable

#: event -> the keyword details its callbacks receive
EVENTS: dict[str, tuple[str, ...]] = {
    "on_train_start": ("total_steps", "resumed"),
    "on_log": ("record",),  # a metrics line, after it is written to metrics.jsonl
    "on_sample": ("path",),  # a sample grid, after it is written
    "on_checkpoint": ("path",),
    "on_eval": ("values",),
    "on_train_end": ("state",),  # finished, stopped, interrupted, failed
}

Callback = Callable[..., None]


class Callbacks:
    def __init__(self) -> None:
        self._by_event: dict[str, list[Callback]] = {event: [] for event in EVENTS}

    def add(self, event: str, callback: Callback) -> None:
        if event not in EVENTS:
            raise ValueError(f"unknown training event {event!r}; one of {', '.join(EVENTS)}")
        self._by_event[event].append(callback)

    def fire(self, event: str, trainer: Any, **details: Any) -> None:
        for callback in self._by_event[event]:
            callback(trainer, **details)


def attach_logger(callbacks: Callbacks, logger: Any) -> None:
    """Feed a `gantool.protocols.Logger` from the events: metrics lines, sample grids, end."""
    numeric = (int, float)

    def on_log(trainer: Any, record: dict[str, Any]) -> None:
        values = {k: float(v) for k, v in record.items()
                  if k not in ("step", "epoch", "time") and isinstance(v, numeric) and not isinstance(v, bool)}
        logger.log_metrics(int(record["step"]), values)

    callbacks.add("on_log", on_log)
    callbacks.add("on_sample", lambda trainer, path: logger.log_image(trainer.step, "samples", path))
    callbacks.add("on_train_end", lambda trainer, state: logger.close())
