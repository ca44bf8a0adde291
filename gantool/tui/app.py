"""`gantool monitor`: the live dashboard for one run or a project of runs.

It only reads the run directory (metrics.jsonl, events.jsonl, status.json, samples/) and
writes commands to the run's `control` file, so it can watch a run in another process or on
another machine's shared disk, and quitting it never stops training.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Callable

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Header, Label, RichLog, Sparkline, Static

from gantool.run import RunView, find_runs, send
from gantool.tui.widgets import GraphicSampleImage, MetricChart, SampleImage

STATE_STYLE = {"running": "green", "paused": "yellow", "finished": "blue", "stopped": "cyan",
               "interrupted": "magenta", "aborted": "bold magenta", "failed": "bold red", "stale": "red"}
LIVE = ("running", "paused")  # states whose speed and ETA mean something
SMOOTHING = [0.0, 0.25, 0.5, 0.75, 0.95]
DISCOVER_EVERY = 4  # polls between looks for new runs in a project folder
# scalars a model logs to say where its training stands (progan's growing: the level, 4 px
# being 0, and the fade-in's alpha); the info line shows their latest values beside the step
PROGRESS_KEYS = ("level", "alpha")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(seconds)
    h, rem = divmod(seconds, 3600)
    return f"{h}:{rem // 60:02d}:{rem % 60:02d}" if h else f"{rem // 60}:{rem % 60:02d}"


def _progress(values: dict) -> str:
    """'  level 2  alpha 0.50': each progress scalar's latest value (a metrics line of its own,
    such as a periodic evaluation, lacks them), or '' for a model that logs none."""
    shown = [(key, values[key][-1]) for key in PROGRESS_KEYS if len(values.get(key, ()))]
    return "".join(f"  {key} {value:g}" if float(value).is_integer() else f"  {key} {value:.2f}" for key, value in shown)


class ConfirmStop(ModalScreen[bool]):
    BINDINGS = [Binding("y", "answer(True)", "yes"), Binding("n,escape", "answer(False)", "no")]
    DEFAULT_CSS = "ConfirmStop { align: center middle; } #ask { border: thick $error; padding: 1 2; width: 60; }"

    def __init__(self, run: str):
        super().__init__()
        self.run = run

    def compose(self) -> ComposeResult:
        yield Label(f"Stop training {self.run}? It saves a checkpoint first.  [b]y[/b]/[b]n[/b]", id="ask")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class MonitorApp(App):
    TITLE = "gantool monitor"
    CSS = """
    #runs { height: auto; max-height: 12; }
    #info { height: auto; padding: 0 1; }
    #left { width: 3fr; }
    #right { width: 2fr; }
    MetricChart, SampleImage, GraphicSampleImage, #events, #speed-box { border: round $primary; }
    #losses { height: 2fr; }
    #metrics { height: 1fr; }
    #speed-box { height: 5; }
    #sample { height: 1fr; }
    #events { height: 1fr; }
    """
    BINDINGS = [
        Binding("p", "pause", "pause/resume"),
        Binding("s", "command('sample')", "sample now"),
        Binding("c", "command('checkpoint')", "checkpoint"),
        Binding("x", "stop", "stop run"),
        Binding("l", "log_scale", "log scale"),
        Binding("plus,equals_sign", "smoothing(1)", "smooth +"),
        Binding("minus", "smoothing(-1)", "smooth -"),
        Binding("m", "next_metric", "next metric"),
        Binding("q,ctrl+c", "quit_monitor", "quit", priority=True),
    ]

    def __init__(self, path: Path, poll_s: float = 0.5, on_quit: Callable[[MonitorApp], bool] | None = None,
                 image_widget: type | None = None):
        super().__init__()
        self.image_widget = image_widget  # a textual-image widget class (graphics.choose), or half-blocks
        self.root = Path(path)
        self.poll_s = poll_s
        self.on_quit = on_quit  # --tui: decides whether quitting may happen yet
        self.views: dict[Path, RunView] = {}
        self.current: RunView | None = None
        self.project = False
        self.metric_index = 0
        self.smoothing_index = 0
        self._events_shown = 0
        self._ticks = 0
        self._shown_state: dict[Path, str] = {}

    # -- layout -----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="runs", cursor_type="row", zebra_stripes=True)
        yield Static(id="info")
        with Horizontal():
            with Vertical(id="left"):
                yield MetricChart("losses", id="losses")
                yield MetricChart("metrics", id="metrics")
                with Vertical(id="speed-box"):
                    yield Sparkline([], id="speed")
            with Vertical(id="right"):
                yield GraphicSampleImage(self.image_widget, id="sample") if self.image_widget else SampleImage(id="sample")
                yield RichLog(id="events", wrap=True, markup=True)
        yield Footer()

    def on_mount(self) -> None:
        runs = find_runs(self.root)
        self.project = not (len(runs) == 1 and runs[0] == self.root)
        table = self.query_one("#runs", DataTable)
        table.display = self.project
        table.add_columns("run", "model", "state", "step", "losses", "img/s", "ETA", "started")
        self.query_one("#speed-box").border_title = "img/s"
        self.query_one("#events").border_title = "events"
        self._sync_runs()
        if runs:
            self.select(runs[0])
        self.refresh_all()
        self.set_interval(self.poll_s, self.refresh_all)

    # -- data -------------------------------------------------------------------------------
    def view(self, path: Path) -> RunView:
        if path not in self.views:
            self.views[path] = RunView(path)
        return self.views[path]

    def _sync_runs(self) -> None:
        if not self.project:
            return
        table = self.query_one("#runs", DataTable)
        for path in find_runs(self.root):
            if str(path) not in table.rows:
                table.add_row(*["" for _ in range(8)], key=str(path))

    def select(self, path: Path) -> None:
        self.current = self.view(path)
        self._events_shown = 0
        self.query_one("#events", RichLog).clear()
        self.current.poll()
        self.sub_title = str(path)
        self._draw_current(force=True)

    def refresh_all(self) -> None:
        """Poll every shown run once; redraw only what changed on disk or changed state.

        A run whose trainer died changes no file, so the computed state (stale) is compared
        with the one last shown as well.
        """
        if not self.screen.query("#info"):  # the timer fired while the app closes: nothing to draw on
            return
        self._ticks += 1
        if self.project and self._ticks % DISCOVER_EVERY == 0:
            self._sync_runs()
        views = [self.view(Path(key.value)) for key in self.query_one("#runs", DataTable).rows] if self.project else []
        if self.current is not None and self.current not in views:
            views.append(self.current)
        for view in views:
            state = view.state
            if not view.poll() and self._shown_state.get(view.path) == view.state == state:
                if state == "stale" and view is self.current:
                    self._draw_info(view)  # nothing changes on disk, but the heartbeat's age grows
                continue
            self._shown_state[view.path] = view.state
            if self.project:
                table = self.query_one("#runs", DataTable)
                for column, value in zip(table.columns, self._row(view)):
                    table.update_cell(str(view.path), column, value)
            if view is self.current:
                self._draw_current(force=True)

    def _row(self, view: RunView) -> list:
        st, last = view.status, view.series.last
        losses = "  ".join(f"{k[5:]} {last[k]:.3f}" for k in ("loss_d", "loss_g") if k in last)
        started = next((e["time"] for e in view.events if e.get("event") == "started"), None)
        live = view.state in LIVE  # a dead or ended run has no speed and no ETA, whatever it last wrote
        return [view.name, st.get("model", view.config.get("model", "?")), Text(view.state, style=STATE_STYLE.get(view.state, "")),
                f"{st.get('step', 0)}/{st.get('total_steps', '?')}", losses,
                f"{st['img_per_s']:.0f}" if live and st.get("img_per_s") else "-", _duration(st.get("eta_s") if live else None),
                datetime.fromtimestamp(started).strftime("%m-%d %H:%M") if started else "-"]

    def _draw_current(self, force: bool) -> None:
        view = self.current
        if view is None or not force:
            return
        self._draw_info(view)
        self._draw_charts(view)

    def _draw_info(self, view: RunView) -> None:
        st = view.status
        state = view.state
        live = state in LIVE
        info = Text()
        info.append(f"{view.name}  ", style="bold")
        info.append(state, style=STATE_STYLE.get(state, ""))
        info.append(f"  step {st.get('step', 0)}/{st.get('total_steps', '?')}  epoch {st.get('epoch', '-')}")
        info.append(_progress(view.series.values))
        info.append(f"  {st['img_per_s']:.0f} img/s" if live and st.get("img_per_s") else "")
        info.append(f"  ETA {_duration(st.get('eta_s') if live else None)}  {st.get('device', '?')} {st.get('precision', '')}")
        info.append(f"  last checkpoint: {st.get('last_checkpoint') or '-'}")
        if state == "stale":
            age = view.heartbeat_age()
            info.append(f"\nno trainer is writing this run (last heartbeat {_duration(age)} ago): crashed or killed; "
                        f"continue with gantool train --resume {view.path}", style="red")
        if view.reason:
            info.append(f"\n{state}: {view.reason}", style=STATE_STYLE.get(state, "red"))
        self.query_one("#info", Static).update(info)

    def _draw_charts(self, view: RunView) -> None:
        self.query_one("#losses", MetricChart).show(view, view.series.losses())
        others = view.series.others()
        metric = others[self.metric_index % len(others)] if others else None
        charts = self.query_one("#metrics", MetricChart)
        charts.border_title = f"{metric}  (m: next of {len(others)})" if metric else "metrics"
        charts.show(view, [metric] if metric else [])
        if "img_per_s" in view.series.values:
            _, speed = view.series.view("img_per_s", 60)
            self.query_one("#speed", Sparkline).data = speed.tolist()
        self.query_one("#sample").show(view.latest_sample)
        log = self.query_one("#events", RichLog)
        for event in view.events[self._events_shown:]:
            stamp = datetime.fromtimestamp(event.get("time", 0)).strftime("%H:%M:%S")
            detail = event.get("reason") or event.get("path") or event.get("command") or ""
            style = STATE_STYLE.get(event.get("event", ""), "")
            log.write(Text.assemble((stamp + " ", "dim"), (f"{event.get('event')}", style), f" step {event.get('step')} {detail}"))
        self._events_shown = len(view.events)

    # -- actions ----------------------------------------------------------------------------
    def on_data_table_row_highlighted(self, message: DataTable.RowHighlighted) -> None:
        if message.row_key is not None and message.row_key.value:
            self.select(Path(message.row_key.value))

    def _send(self, command: str) -> None:
        if self.current is None:
            return
        if self.current.state not in ("running", "paused"):
            self.notify(f"{self.current.name} is {self.current.state}; nothing to send", severity="warning")
            return
        send(self.current.path, command)
        self.notify(f"sent '{command}' to {self.current.name}")

    def action_command(self, command: str) -> None:
        self._send(command)

    def action_pause(self) -> None:
        if self.current is not None:
            self._send("resume" if self.current.status.get("state") == "paused" else "pause")

    def action_stop(self) -> None:
        if self.current is None or self.current.state not in ("running", "paused"):
            self.notify("no running run selected", severity="warning")
            return

        def decided(yes: bool | None) -> None:
            if yes:
                self._send("stop")

        self.push_screen(ConfirmStop(self.current.name), decided)

    def action_log_scale(self) -> None:
        for chart in self.query(MetricChart):
            chart.log_scale = not chart.log_scale
            chart.redraw()

    def action_smoothing(self, delta: int) -> None:
        self.smoothing_index = min(len(SMOOTHING) - 1, max(0, self.smoothing_index + delta))
        for chart in self.query(MetricChart):
            chart.smoothing = SMOOTHING[self.smoothing_index]
            chart.redraw()
        self.notify(f"smoothing {SMOOTHING[self.smoothing_index]:.2f}", timeout=1)

    def action_next_metric(self) -> None:
        self.metric_index += 1
        self._draw_current(force=True)

    def action_quit_monitor(self) -> None:
        if self.on_quit is None or self.on_quit(self):
            self.exit()
