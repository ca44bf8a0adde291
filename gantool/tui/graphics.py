"""How the sample grid is drawn: a terminal graphics protocol when the terminal speaks one,
unicode half-blocks otherwise.

The protocols come from textual-image: Sixel (foot, WezTerm, xterm -ti vt340, mlterm, ...)
and Kitty's terminal graphics protocol with unicode placeholders (kitty). Detection sends
queries to the terminal and reads the answers, which only works before Textual takes the
terminal over: `choose()` must run before `App.run()`.
"""

from __future__ import annotations

import sys

from gantool.core.errors import UserError

MODES = ("auto", "sixel", "tgp", "halfblocks")


def choose(mode: str) -> type | None:
    """The textual-image widget class to draw samples with, or None for half-blocks."""
    if mode not in MODES:
        raise UserError(f"--image must be one of {', '.join(MODES)}, not {mode!r}")
    if mode == "halfblocks":
        return None
    if mode == "auto" and not (sys.__stdout__ and sys.__stdout__.isatty()):
        return None  # not a terminal: nothing to query, nothing to draw on
    try:
        from textual_image import renderable, widget  # queries the terminal on import
    except Exception:  # a terminal that answers garbage must not keep the dashboard from opening
        return None
    if mode == "sixel":
        return widget.SixelImage
    if mode == "tgp":
        return widget.TGPImage
    if renderable.Image is renderable.SixelImage:
        return widget.SixelImage
    if renderable.Image is renderable.TGPImage:
        return widget.TGPImage
    return None
