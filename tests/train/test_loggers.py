"""The logger seam: `--logger tensorboard` writes event files that TensorBoard's own reader
reads back, and a logger a plugin registers gets the same metrics lines and sample grids."""

from __future__ import annotations

from io import StringIO

import pytest
from rich.console import Console

from gantool import plugins
from gantool.config import RunConfig
from gantool.core.errors import UserError
from gantool.data.toy2d import load_ring
from gantool.run import RunDir
from gantool.specs import DataRequest, LoggerSpec
from gantool.train.report import PlainReporter
from gantool.train.trainer import Trainer
from tests.conftest import gantool, read_jsonl


def test_tensorboard_event_file_reads_back_with_tensorboards_reader(tmp_path):
    from tensorboard.backend.event_processing import event_accumulator

    result = gantool("train", "toy", "--data", "ring", "--steps", "30", "--log-every", "10", "--sample-every", "15",
                     "--logger", "tensorboard", "--set", "model.hidden=16", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    run = tmp_path / "runs" / "toy" / "exp"
    events = event_accumulator.EventAccumulator(str(run / "tensorboard"), size_guidance={"images": 0, "scalars": 0})
    events.Reload()
    logged = {r["step"]: r["loss_d"] for r in read_jsonl(run / "metrics.jsonl") if "loss_d" in r}
    scalars = {e.step: e.value for e in events.Scalars("loss_d")}
    assert sorted(scalars) == sorted(logged) == [10, 20, 30]
    for step, value in logged.items():
        assert scalars[step] == pytest.approx(value, rel=1e-5)
    assert "modes_covered" in events.Tags()["scalars"]  # the preview's metrics lines go through too
    assert [e.step for e in events.Images("samples")] == [15, 30]


def test_unknown_logger_is_refused_before_a_run_folder_exists(tmp_path):
    result = gantool("train", "toy", "--data", "ring", "--steps", "2", "--logger", "tensorbord", cwd=tmp_path)
    assert result.returncode == 2
    assert "unknown logger 'tensorbord'; did you mean 'tensorboard'?" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "runs").exists()


class Recorder:
    instances: list[Recorder] = []

    def __init__(self, run_path, cfg):
        self.run_path, self.metrics, self.images, self.closed = run_path, [], [], False
        Recorder.instances.append(self)

    def log_metrics(self, step, values):
        self.metrics.append((step, values))

    def log_image(self, step, tag, path):
        self.images.append((step, tag, path.name))

    def close(self):
        self.closed = True


def test_a_plugin_logger_gets_every_metrics_line_and_sample(tmp_path):
    registry = plugins.registry()
    registry.add("logger", LoggerSpec(name="recorder", summary="test", factory=Recorder), "test-plugin")
    cfg = RunConfig(model="toy", data="ring", steps=8, batch_size=32, log_every=4, sample_every=4,
                    checkpoint_every=0, sample_count=16, logger="recorder", model_options={"hidden": 16})
    trainer = Trainer(cfg, registry.get("model", "toy"), registry.get("loss", "bce"), load_ring(None, DataRequest()),
                      PlainReporter(Console(file=StringIO())))
    run = RunDir.create(tmp_path, "toy", "exp")
    assert trainer.fit(run, 8) == "finished"
    (logger,) = Recorder.instances
    assert logger.run_path == run.path and logger.closed
    losses = [(step, v["loss_d"]) for step, v in logger.metrics if "loss_d" in v]
    assert losses == [(r["step"], r["loss_d"]) for r in read_jsonl(run.path / "metrics.jsonl") if "loss_d" in r]
    assert logger.images == [(4, "samples", "step-0000004.png"), (8, "samples", "step-0000008.png")]
    with pytest.raises(UserError, match="unknown logger"):
        Trainer(RunConfig(**{**cfg.to_dict(), "logger": "nope"}), registry.get("model", "toy"),
                registry.get("loss", "bce"), load_ring(None, DataRequest()))
