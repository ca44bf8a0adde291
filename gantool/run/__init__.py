"""The run directory `runs/<model>/<name>/`: the hand-off between every stage (DESIGN.md,
"Run directory contract"). Train writes it, the monitor and `gantool plot` read it while it
grows, export reads its checkpoints and writes its generator, sample and eval read that.

Torch-free at import: only `checkpoint.save`/`checkpoint.load` import torch, inside.

- layout: every file and folder name, `RunLayout`, the run's-generator rule, `find_runs`
- tail: `FileTail`, the one follower of appended lines (JSONL files and the control file)
- writer: `RunDir` (and `SilentRunDir` for DDP ranks other than 0), `writer_pid`
- reader: `RunView`, `Series`, `JsonlTail`, `read_series`
- control: `send` a command, `ControlFile` to poll them
- checkpoint: `find`, `load`, `save` (`from gantool.run import checkpoint`)
"""

from gantool.run.control import COMMANDS, ControlFile, send
from gantool.run.layout import RunLayout, find_runs, generator_file
from gantool.run.reader import JsonlTail, RunView, Series, read_series, recorded_providers
from gantool.run.tail import FileTail
from gantool.run.writer import RunDir, SilentRunDir, writer_pid

__all__ = ["COMMANDS", "ControlFile", "FileTail", "JsonlTail", "RunDir", "RunLayout", "RunView", "Series",
           "SilentRunDir", "find_runs", "generator_file", "read_series", "recorded_providers", "send", "writer_pid"]
