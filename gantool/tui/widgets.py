"""Dashboard widgets that redraw from a RunView when their size or data changes."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from rich.text import Text
from textual.containers import Container
from textual.widgets import Static

from gantool.run import RunView
from gantool.tui.render import chart, halfblocks


class MetricChart(Static):
    """A braille chart of some of a run's series, with smoothing and log scale."""

    def __init__(self, title: str, **kwargs):
        super().__init__(**kwargs)
        self.border_title = title
        self.keys: list[str] = []
        self.view: RunView | None = None
        self.smoothing = 0.0
        self.log_scale = False

    def show(self, view: RunView, keys: list[str]) -> None:
        self.view, self.keys = view, keys
        self.redraw()

    def redraw(self) -> None:
        width, height = self.content_size.width, self.content_size.height
        if self.view is None or width < 12 or height < 4:
            return
        series = [(k, *self.view.series.view(k, (width - 9) * 2, self.smoothing)) for k in self.keys
                  if k in self.view.series.values]
        self.update(chart(series, width, height - 1, self.log_scale) if series else Text("no metrics yet", style="dim"))

    def on_resize(self) -> None:
        self.redraw()


class SampleImage(Static):
    """The newest sample grid, drawn with half-blocks; redrawn only when it changes."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.border_title = "latest samples"
        self._shown: tuple[Path | None, int, int] | None = None
        self.path: Path | None = None

    def show(self, path: Path | None) -> None:
        self.path = path
        self.redraw()

    def redraw(self) -> None:
        key = (self.path, self.content_size.width, self.content_size.height)
        if key == self._shown or self.content_size.width < 4:
            return
        self._shown = key
        if self.path is None or not self.path.exists():
            self.update(Text("no sample grid yet", style="dim"))
            return
        try:
            self.update(halfblocks(self.path, self.content_size.width, self.content_size.height))
            self.border_subtitle = self.path.name
        except OSError:  # being replaced right now; the next poll draws it
            self._shown = None

    def on_resize(self) -> None:
        self.redraw()


class GraphicSampleImage(Container):
    """The newest sample grid in real pixels, through a terminal graphics protocol.

    `widget_class` is one of textual-image's image widgets (gantool.tui.graphics.choose).
    The PNG is read into memory at once, so a grid being replaced cannot be read half-written.
    """

    DEFAULT_CSS = "GraphicSampleImage > * { width: auto; height: 100%; }"

    def __init__(self, widget_class: type, **kwargs):
        super().__init__(**kwargs)
        self.border_title = "latest samples"
        self.widget_class = widget_class
        self.path: Path | None = None
        self._shown: tuple[Path, float] | None = None

    def compose(self):
        yield self.widget_class(None)

    def show(self, path: Path | None) -> None:
        self.path = path
        if path is None or not path.exists():
            return
        try:
            key = (path, path.stat().st_mtime)
            if key == self._shown:
                return
            with Image.open(path) as img:
                image = img.convert("RGB")
        except OSError:  # being replaced right now; the next poll draws it
            return
        self._shown = key
        self.query_one(self.widget_class).image = image
        self.border_subtitle = path.name
