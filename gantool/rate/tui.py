"""`gantool rate tui`: rate a study in the terminal, for raters on SSH.

It needs only the study's index.html (the items are read from the page, never from the
key) and writes the same answers JSON the page exports, after every answer, so quitting
and starting again resumes. Images are drawn like `gantool monitor`'s samples: a terminal
graphics protocol when the terminal speaks one (gantool/tui/graphics.py), half-blocks
otherwise; both enlarged with nearest-neighbour so pixels stay crisp.
"""

from __future__ import annotations

import datetime
import io
import json
import re
import secrets
import time
from pathlib import Path
from typing import Any

from PIL import Image
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal
from textual.widgets import Footer, Header, Static

from gantool.core.errors import UserError
from gantool.rate import answers as answers_file
from gantool.rate.page import QUESTIONS, read_items
from gantool.tui.render import halfblocks

UPSCALE = 8  # nearest-neighbour enlargement handed to the graphics protocols


def answers_path(study: Path, rater: str) -> Path:
    """answers-RATER.json beside the study's index.html."""
    folder = Path(study) if Path(study).is_dir() else Path(study).parent
    return folder / f"answers-{re.sub(r'[^A-Za-z0-9_-]+', '_', rater) or 'rater'}.json"


class Picture(Static):
    """One item's picture in half-blocks, redrawn when its size changes."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.png: bytes | None = None

    def show(self, png: bytes | None) -> None:
        self.png = png
        self.redraw()

    def redraw(self) -> None:
        width, height = self.content_size.width, self.content_size.height
        if self.png is None or width < 2 or height < 1:
            self.update(Text("(hidden)" if self.png is None else "", style="dim"))
            return
        self.update(halfblocks(io.BytesIO(self.png), width, height))

    def on_resize(self) -> None:
        self.redraw()


class GraphicPicture(Container):
    """One item's picture through a terminal graphics protocol (a textual-image widget)."""

    DEFAULT_CSS = "GraphicPicture > * { width: auto; height: 100%; }"

    def __init__(self, widget_class: type, **kwargs):
        super().__init__(**kwargs)
        self.widget_class = widget_class

    def compose(self) -> ComposeResult:
        yield self.widget_class(None)

    def show(self, png: bytes | None) -> None:
        widget = self.query_one(self.widget_class)
        if png is None:
            widget.display = False
            return
        with Image.open(io.BytesIO(png)) as img:
            image = img.convert("RGB")
        widget.image = image.resize((image.width * UPSCALE, image.height * UPSCALE), Image.Resampling.NEAREST)
        widget.display = True


class RateApp(App):
    TITLE = "gantool rate"
    CSS = """
    #question { height: auto; padding: 0 1; text-style: bold; }
    #stage { height: 1fr; }
    Picture, GraphicPicture { width: 1fr; height: 1fr; border: round $primary; content-align: center middle; }
    #status { height: auto; padding: 0 1; }
    """
    BINDINGS = [Binding("f", "answer(0)", "", show=False), Binding("j", "answer(1)", "", show=False),
                Binding("u,backspace", "undo", "undo"), Binding("q,ctrl+c", "quit", "quit (answers are saved)")]

    def __init__(self, data: dict[str, Any], rater: str, path: Path, image_widget: type | None = None):
        super().__init__()
        self.data, self.path, self.image_widget = data, Path(path), image_widget
        self.items, self.choices = data["items"], data["choices"]
        self.state = self._resume(rater)
        self.shown_at = time.monotonic()
        self.exposure_timer = None
        self.sub_title = f"study {data['study'][:8]} · rater {self.state['rater']}"

    def _resume(self, rater: str) -> dict[str, Any]:
        if not self.path.is_file():
            return {"rater": rater, "session": secrets.token_hex(8), "started": _now(), "finished": None, "answers": []}
        try:
            saved = json.loads(self.path.read_text())
        except (OSError, ValueError) as exc:
            raise UserError(f"{self.path} is not readable JSON ({exc}); give another --answers file") from None
        if saved.get("study") != self.data["study"]:
            raise UserError(f"{self.path} holds answers to study {saved.get('study')}, not this one "
                            f"({self.data['study']}); give another --answers file")
        return {k: saved[k] for k in ("rater", "session", "started", "finished", "answers")}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(QUESTIONS[self.data["protocol"]], id="question")
        count = len(self.items[0]["images"])
        with Horizontal(id="stage"):
            for k in range(count):
                yield GraphicPicture(self.image_widget, id=f"picture-{k}") if self.image_widget else Picture(id=f"picture-{k}")
        yield Static(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.show_item()

    @property
    def position(self) -> int:
        return len(self.state["answers"])

    def show_item(self) -> None:
        pictures = list(self.query("#stage > *"))
        keys = "   ".join(f"[b]{c['key'].upper()}[/b] {c['label']}" for c in self.choices)
        if self.position >= len(self.items):
            for picture in pictures:
                picture.show(None)
            self.query_one("#status", Static).update(
                f"Done: {self.position} answers saved to {self.path}.  [b]U[/b] goes back, [b]Q[/b] quits.")
            return
        item = self.items[self.position]
        for picture, png in zip(pictures, item["images"]):
            picture.show(png)
        side = "   (left | right)" if len(pictures) > 1 else ""
        self.query_one("#status", Static).update(f"item {self.position + 1} / {len(self.items)}{side}     {keys}     [b]U[/b] undo")
        self.shown_at = time.monotonic()
        if self.exposure_timer is not None:
            self.exposure_timer.stop()
        if self.data["exposure_ms"]:
            self.exposure_timer = self.set_timer(self.data["exposure_ms"] / 1000, self.hide_pictures)

    def hide_pictures(self) -> None:
        for picture in self.query("#stage > *"):
            picture.show(None)

    def action_answer(self, choice: int) -> None:
        if self.position >= len(self.items):
            return
        ms = round((time.monotonic() - self.shown_at) * 1000)
        self.state["answers"].append({"item": self.items[self.position]["id"], "answer": self.choices[choice]["value"],
                                      "ms": ms})
        if self.position == len(self.items):
            self.state["finished"] = _now()
        self.save()
        self.show_item()

    def action_undo(self) -> None:
        if self.state["answers"]:
            self.state["answers"].pop()
            self.state["finished"] = None
            self.save()
            self.show_item()

    def save(self) -> None:
        s = self.state
        answers_file.save(self.path, answers_file.document(
            self.data["study"], self.data["protocol"], s["rater"], s["session"], s["started"], s["finished"],
            s["answers"], len(self.items)))


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def run_tui(study: Path, rater: str, path: Path, image: str = "auto") -> None:
    """Open the rating app on a study folder or its index.html."""
    from gantool.tui.graphics import choose

    data = read_items(study)
    widget = choose(image)  # asks the terminal before Textual takes it over
    RateApp(data, rater, path, widget).run()
