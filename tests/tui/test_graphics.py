"""Sample grids through a terminal graphics protocol (textual-image), chosen before Textual starts."""

from __future__ import annotations

import os

import pytest
from textual_image.widget import SixelImage, TGPImage

from gantool.core.errors import UserError
from gantool.tui.app import MonitorApp
from gantool.tui.graphics import choose
from gantool.tui.widgets import GraphicSampleImage, SampleImage
from tests.tui.test_app import make_run, sync


def test_choose_honours_the_mode_and_falls_back_off_a_terminal():
    assert choose("halfblocks") is None
    assert choose("auto") is None  # pytest's stdout is not a terminal: nothing to query
    assert choose("tgp") is TGPImage and choose("sixel") is SixelImage
    with pytest.raises(UserError, match="--image must be one of"):
        choose("ascii")


@pytest.mark.parametrize("widget_class", [TGPImage, SixelImage])
@sync
async def test_graphic_sample_image_shows_the_newest_grid(tmp_path, widget_class):
    run = make_run(tmp_path, "live", "running", pid=os.getpid())
    app = MonitorApp(run, poll_s=0.05, image_widget=widget_class)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.pause(0.2)
        box = app.query_one("#sample", GraphicSampleImage)
        assert not app.query(SampleImage)
        image = box.query_one(widget_class).image
        assert image is not None and image.size == (64, 64)  # make_run writes a 64 x 64 gradient
        assert box.border_subtitle == "step-0000020.png"
        await pilot.press("q")


@sync
async def test_half_blocks_remain_the_default_widget(tmp_path):
    run = make_run(tmp_path, "live", "running", pid=os.getpid())
    app = MonitorApp(run, poll_s=0.05)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.pause(0.2)
        assert app.query_one("#sample", SampleImage) and not app.query(GraphicSampleImage)
        await pilot.press("q")
