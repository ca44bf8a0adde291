"""`gantool train --tui`: train in a worker thread while the dashboard runs in front.

q or Ctrl-C asks the trainer to stop (it saves a checkpoint), waits for it, then leaves.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from gantool.run import send
from gantool.tui.app import MonitorApp
from gantool.tui.graphics import choose


def train_with_dashboard(trainer: Any, run: Any, total: int, resumed: bool,
                         run_app: Callable[[MonitorApp], None] = MonitorApp.run) -> str:
    """Returns the trainer's final state; `run_app` lets tests drive the app headless."""
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["state"] = trainer.fit(run, total, resumed=resumed)
        except BaseException as exc:  # shown after the dashboard closes
            outcome["error"] = exc

    thread = threading.Thread(target=work, name="gantool-trainer", daemon=True)
    stopping = {"sent": False}

    def on_quit(app: MonitorApp) -> bool:
        if not thread.is_alive():
            return True
        if not stopping["sent"]:
            send(run.path, "stop")
            stopping["sent"] = True
            app.notify("stopping: the trainer saves a checkpoint, then the dashboard closes")
            app.set_interval(0.2, lambda: app.exit() if not thread.is_alive() else None)
        return False

    app = MonitorApp(run.path, on_quit=on_quit, image_widget=choose("auto"))  # detect before Textual starts
    thread.start()
    run_app(app)
    if thread.is_alive():  # the dashboard ended some other way: still stop cleanly
        send(run.path, "stop")
        thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["state"]
