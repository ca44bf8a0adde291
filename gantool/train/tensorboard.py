"""`--logger tensorboard`: every metrics line as scalars and every sample grid as an image,
written with torch.utils.tensorboard into RUN/tensorboard/ (`tensorboard --logdir runs`).

The `tensorboard` package is an optional extra (`pip install gantool[tensorboard]`); without
it the run is refused with one line before training starts. A resumed run appends to the
same folder: TensorBoard shows the steps after the checkpoint where the first part left off.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from gantool.core.errors import UserError

FOLDER = "tensorboard"


class TensorBoardLogger:
    def __init__(self, run_path: Path, cfg: Any = None):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise UserError("--logger tensorboard needs the tensorboard package: pip install tensorboard") from None
        self.writer = SummaryWriter(log_dir=str(Path(run_path) / FOLDER))

    def log_metrics(self, step: int, values: dict[str, float]) -> None:
        for key, value in values.items():
            self.writer.add_scalar(key, value, step)
        self.writer.flush()  # the monitor of TensorBoard reads the file while training goes on

    def log_image(self, step: int, tag: str, path: Path) -> None:
        from PIL import Image

        with Image.open(path) as image:
            pixels = np.asarray(image.convert("RGB"))
        self.writer.add_image(tag, pixels, step, dataformats="HWC")
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()
