"""What steers a running trainer from outside: the control file (pause, resume, stop,
checkpoint, sample, written by `gantool monitor`) and signals (Ctrl-C, SIGTERM).

Polling is cheap (a stat() at most twice a second) and happens between steps. Under
--nproc the commands, and a signal seen by any process, reach every process at the same
step through `ControlSync`, so they all stop, pause or checkpoint together.
"""

from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from gantool.run import COMMANDS, ControlFile
from gantool.train.distributed import ControlSync, Dist


class Commands:
    """Polls the control file and turns signals into a stop request (`self.stop`)."""

    def __init__(self, control_path: Any, dist: Dist):
        self.dist = dist
        self.control = ControlFile(control_path)
        self.sync = ControlSync(dist, self.control.poll) if dist.enabled else None
        self.stop: str | None = None  # "stopped" (control) or "interrupted" (signal)
        self.received_signal: int | None = None  # SIGINT or SIGTERM that interrupted training
        self._signalled = False  # under --nproc a signal stops every process at the next exchange
        self.aborted = False  # a second Ctrl-C: stop now, whatever is being written

    def due(self, step: int) -> bool:
        return self.sync.due(step) if self.sync else self.control.due()

    def poll(self, step: int) -> list[str]:
        """New control commands; under --nproc the same ones on every process."""
        if not self.sync:
            return self.control.poll()
        commands, signalled = self.sync.exchange(step, self._signalled)
        if signalled and self.stop is None:
            self.stop = "interrupted"
        return commands

    def report_ignored(self, run: Any, reporter: Any, step: int) -> None:
        """Control-file lines that were no command: an event and a terminal line each, never obeyed."""
        for text in self.control.ignored:
            run.event("ignored", step, command=text)
            reporter.message(f"control: ignored {text} (commands: {', '.join(COMMANDS)})")
        self.control.ignored.clear()

    def paused(self, step: int, handle: Callable[[str], None], heartbeat: Callable[[], None]) -> None:
        """Wait for `resume` (or a stop), handling other commands meanwhile."""
        while self.stop is None:
            commands = self.poll(step)
            if "resume" in commands:
                return
            for command in commands:
                if command != "pause":  # already paused
                    handle(command)
            heartbeat()
            time.sleep(0.1)

    @contextmanager
    def signals(self) -> Iterator[None]:
        """First Ctrl-C or SIGTERM: finish the step, checkpoint, stop. Second Ctrl-C: abort."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def on_signal(signum, frame):
            self.received_signal = signum
            if self.dist.enabled:
                # the launcher forwards the terminal's Ctrl-C, so a process sees it twice;
                # its own timeout (then SIGKILL) is the hard stop
                self._signalled = True
                return
            if self.aborted:
                return  # the abort is being recorded; a third Ctrl-C must not cut that short
            if self.stop is not None and signum == signal.SIGINT:
                self.aborted = True
                raise KeyboardInterrupt  # out of whatever runs, e.g. torch.save: atomic_write drops its temp file
            self.stop = "interrupted"

        old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for s, handler in old.items():
                signal.signal(s, handler)
