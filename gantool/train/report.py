"""What the user sees while training: a Rich progress bar on a terminal, lines otherwise."""

from __future__ import annotations

import sys
from typing import Any

from rich.console import Console

LOSS_KEYS = ("loss_d", "loss_g")


def summary(record: dict[str, Any]) -> str:
    parts = [f"{k} {record[k]:.4f}" for k in LOSS_KEYS if k in record]
    if "img_per_s" in record:
        parts.append(f"{record['img_per_s']:.0f} img/s")
    return "  ".join(parts)


class PlainReporter:
    """One line per log tick: readable in CI logs, files and pipes."""

    def __init__(self, console: Console | None = None):
        self.console = console or Console(highlight=False, soft_wrap=True)

    def start(self, total: int, done: int, title: str) -> None:
        self.total = total
        self.console.print(f"{title}: step {done}/{total}")

    def advance(self) -> None:
        pass

    def tick(self, record: dict[str, Any]) -> None:
        self.message(f"step {record['step']}/{self.total}  epoch {record['epoch']}  {summary(record)}")

    def message(self, text: str) -> None:
        self.console.print(text)
        self.console.file.flush()  # a piped stdout is block-buffered; `tail -f` wants lines

    def close(self) -> None:
        pass


class RichReporter(PlainReporter):
    """A live progress bar with the latest losses; messages print above it."""

    def __init__(self, console: Console | None = None):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        super().__init__(console)
        self.progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeRemainingColumn(), TextColumn("{task.fields[losses]}"), console=self.console,
        )

    def start(self, total: int, done: int, title: str) -> None:
        self.total = total
        self.task = self.progress.add_task(title, total=total, completed=done, losses="")
        self.progress.start()

    def advance(self) -> None:
        self.progress.advance(self.task)

    def tick(self, record: dict[str, Any]) -> None:
        self.progress.update(self.task, completed=record["step"], losses=summary(record))

    def message(self, text: str) -> None:
        self.progress.console.print(text)

    def close(self) -> None:
        self.progress.stop()


def default_reporter() -> PlainReporter:
    return RichReporter() if sys.stdout.isatty() else PlainReporter()


def quiet_reporter() -> PlainReporter:
    """For when something else (the dashboard) owns the terminal."""
    import io

    return PlainReporter(Console(file=io.StringIO()))
