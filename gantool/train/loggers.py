"""Built-in training loggers, registered through the same hook as a plugin's
(`register_loggers`); the Trainer attaches the ones `--logger` names to its events."""

from __future__ import annotations

from importlib.util import find_spec

from gantool import hookimpl
from gantool.core.errors import UserError
from gantool.specs import LoggerSpec, lazy


def logger_specs(names: str) -> list[LoggerSpec]:
    """The loggers `--logger a,b` names, each known and with its required packages present."""
    from gantool.plugins import registry

    specs = [registry().get("logger", name.strip()) for name in names.split(",") if name.strip()]
    for spec in specs:
        missing = [package for package in spec.requires if find_spec(package) is None]
        if missing:
            raise UserError(f"--logger {spec.name} needs the {' and '.join(missing)} package: "
                            f"pip install {' '.join(missing)}")
    return specs


@hookimpl
def register_loggers(register):
    register(LoggerSpec(
        name="tensorboard",
        summary="scalars and sample grids as TensorBoard event files in RUN/tensorboard (pip install tensorboard)",
        factory=lazy("gantool.train.tensorboard", "TensorBoardLogger"), requires=("tensorboard",),
    ))

