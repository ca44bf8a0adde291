"""An exported translator in ONNX Runtime: numpy in, numpy out, no torch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from gantool import UserError
from gantool import onnx_meta as meta
from gantool_cyclegan import PLUGIN


class Translator:
    def __init__(self, path: Path, provider: str = "auto"):
        from gantool import open_session

        self.session, self.note = open_session(path, provider, prefix=f"{PLUGIN}: ")
        inputs = self.session.get_inputs()
        if [i.name for i in inputs] != [meta.INPUT_IMAGE] or len(inputs[0].shape) != 4:
            found = ", ".join(f"{i.name} {i.shape}" for i in inputs)
            raise UserError(f"{PLUGIN}: {path} is not an image-to-image model (expected input 'image' "
                            f"[batch, C, H, W]; found {found})")
        _, channels, height, width = inputs[0].shape
        if not all(isinstance(v, int) for v in (channels, height, width)) or height != width:
            raise UserError(f"{PLUGIN}: {path}: input 'image' needs a fixed square size, found {inputs[0].shape}")
        self.channels, self.size = channels, height
        self.metadata = dict(self.session.get_modelmeta().custom_metadata_map)
        self.uint8 = self.session.get_outputs()[0].type == "tensor(uint8)"
        self.path = path

    def describe(self) -> str:
        direction = self.metadata.get(meta.DIRECTION, "translator")
        return f"{self.path.name} ({direction}, {self.channels}x{self.size}x{self.size}, {self.session.get_providers()[0]})"

    def __call__(self, images: np.ndarray) -> np.ndarray:
        """float [N, C, H, W] in [-1, 1] -> uint8 [N, H, W, C]."""
        from gantool import to_uint8

        out = self.session.run(None, {meta.INPUT_IMAGE: np.ascontiguousarray(images, dtype=np.float32)})[0]
        return out if self.uint8 else to_uint8(out)


def read_images(paths: list[Path], channels: int, size: int) -> np.ndarray:
    """Image files -> float [N, C, size, size] in [-1, 1] (resized, centre-cropped)."""
    from gantool import fit_pil

    arrays = []
    for path in paths:
        try:
            with Image.open(path) as img:
                img.load()
                arrays.append(fit_pil(img, size, channels))
        except (OSError, SyntaxError, ValueError) as exc:
            raise UserError(f"{PLUGIN}: cannot read image {path} ({type(exc).__name__})") from None
    return np.stack(arrays).astype(np.float32) / 127.5 - 1.0
