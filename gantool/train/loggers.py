"""Built-in training loggers, registered through the same hook as a plugin's
(`register_loggers`); the Trainer attaches the ones `--logger` names to its events."""

from __future__ import annotations

from gantool import hookimpl
from gantool.specs import LoggerSpec, lazy


@hookimpl
def register_loggers(register):
    register(LoggerSpec(
        name="tensorboard",
        summary="scalars and sample grids as TensorBoard event files in RUN/tensorboard (pip install tensorboard)",
        factory=lazy("gantool.train.tensorboard", "TensorBoardLogger"), requires=("tensorboard",),
    ))

