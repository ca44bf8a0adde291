"""`gantool rate tui` under Textual's pilot: keys answer, undo and quit; the answers file is
the page's format, resumes where the rater stopped, and `report` reads it."""

from __future__ import annotations

import asyncio
import json

import pytest

from gantool.core.errors import UserError
from gantool.plugins import registry
from gantool.rate import report, study
from gantool.rate.make import make_study
from gantool.rate.page import read_items
from gantool.rate.study import StudySettings
from gantool.rate.tui import Picture, RateApp, answers_path
from tests.rate.conftest import tiny_generator


async def rate(data, path, keys: str, size=(100, 40)) -> tuple[list, str]:
    """Press `keys` ('<' is Backspace); the pictures shown (their PNG bytes) and the status line."""
    app = RateApp(data, "carol", path)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        for key in keys:
            await pilot.press({"<": "backspace"}.get(key, key))
        await pilot.pause()
        pictures = list(app.query("#stage > *"))
        assert all(isinstance(p, Picture) for p in pictures)  # half-blocks: the pilot's terminal has no graphics
        return [p.png for p in pictures], str(app.query_one("#status").render())


@pytest.fixture
def hype_study(tmp_path, mnist_mirror):
    make_study(registry(), [tiny_generator(tmp_path / "g.onnx")], "mnist", StudySettings(n=8, attention=1),
               tmp_path / "study")
    return tmp_path / "study"


def test_keys_answer_undo_and_resume_into_the_pages_answer_format(hype_study):
    data = read_items(hype_study / "index.html")  # the terminal reads the page, never the key
    path = answers_path(hype_study, "carol")
    shown, status = asyncio.run(rate(data, path, "fjf" + "u" + "jf" + "j<"))  # 3, undo, 3 more, Backspace: 4 answers
    assert "item 5 / 9" in status and shown == data["items"][4]["images"]
    saved = json.loads(path.read_text())
    assert [a["answer"] for a in saved["answers"]] == ["fake", "real", "real", "fake"]
    assert saved["format"] == "gantool-rate-answers/1" and saved["study"] == data["study"] and not saved["complete"]

    _, status = asyncio.run(rate(data, path, "fjjff"))  # a new start resumes at item 5 and finishes
    assert "Done: 9 answers saved" in status
    saved = json.loads(path.read_text())
    assert saved["complete"] and saved["finished"] and saved["rater"] == "carol" and saved["client"] == "terminal"
    given = ["fake", "real", "real", "fake", "fake", "real", "real", "fake", "fake"]
    assert [a["answer"] for a in saved["answers"]] == given
    assert [a["item"] for a in saved["answers"]] == [item["id"] for item in data["items"]]

    result = report.report(study.load(hype_study), [path], report.ReportSettings(draws=200))
    assert result.raters[0]["answers"] == dict(zip([i["id"] for i in data["items"]], given))


def test_an_answers_file_of_another_study_is_refused(hype_study, tmp_path):
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"study": "0123456789abcdef", "answers": []}))
    with pytest.raises(UserError, match="not this one"):
        RateApp(read_items(hype_study), "carol", other)


def test_2afc_shows_both_images_side_by_side(tmp_path, mnist_mirror):
    paths = [tiny_generator(tmp_path / f"{n}.onnx", seed=k) for k, n in enumerate("ab")]
    make_study(registry(), paths, "mnist", StudySettings(protocol="2afc", n=4, attention=1), tmp_path / "pairs")
    data = read_items(tmp_path / "pairs")
    shown, status = asyncio.run(rate(data, tmp_path / "answers.json", "f"))
    assert "left | right" in status and "item 2 / 5" in status and shown == data["items"][1]["images"]
    assert json.loads((tmp_path / "answers.json").read_text())["answers"][0]["answer"] == "left"


def test_the_exposure_time_hides_the_picture(tmp_path, mnist_mirror):
    make_study(registry(), [tiny_generator(tmp_path / "g.onnx")], "mnist", StudySettings(n=4, exposure_ms=1000),
               tmp_path / "timed")
    data = read_items(tmp_path / "timed")

    async def run():
        app = RateApp(data, "carol", tmp_path / "answers.json")
        async with app.run_test() as pilot:
            await pilot.press("j")  # answered (even if hidden already); the next picture starts its own second
            shown = app.query_one("#picture-0").png
            for _ in range(100):  # the second runs out after about 1 s; a busy machine may take longer
                await pilot.pause(0.1)
                if app.query_one("#picture-0").png is None:
                    break
            return shown, app.query_one("#picture-0").png

    shown, hidden = asyncio.run(run())
    assert shown == data["items"][1]["images"][0] and hidden is None
    assert json.loads((tmp_path / "answers.json").read_text())["answers"][0]["answer"] == "real"
