"""Data kinds are registered, not hard-coded: a plugin that adds a kind of its own (here
`curve`: 1-D signals of 16 values) gets a training preview, an ONNX export and
`gantool sample` output in its own format without any change to core."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from rich.console import Console

from gantool import plugins
from gantool.config import RunConfig
from gantool.core.errors import UserError
from gantool.run import RunDir
from gantool.specs import DataArrays, DataKindSpec, DataRequest, DatasetSpec, ModelSpec, lazy
from gantool.train.report import PlainReporter
from gantool.train.trainer import Trainer

LENGTH = 16


class CurvePreview:
    """Draws each generated curve as a polyline; reports the mean peak-to-peak amplitude."""

    def __init__(self, data, num_classes, count):
        self.count = 8

    def draw(self, g, z, path: Path) -> dict[str, float]:
        curves = g(z).float().cpu().numpy()
        picture = Image.new("L", (4 * LENGTH, 16 * len(curves)), 255)
        pen = ImageDraw.Draw(picture)
        for row, curve in enumerate(curves):
            pen.line([(4 * i, 16 * row + 8 - 7 * float(v)) for i, v in enumerate(curve)], fill=0)
        picture.save(path)
        return {"curve_amplitude": float(np.ptp(curves, axis=1).mean())}


def write_curves(sampler, out, path, fmt, columns, z, labels) -> None:
    path.write_text("".join(" ".join(f"{v:.4f}" for v in curve) + "\n" for curve in out))


def load_curves(arg, request) -> DataArrays:
    rng = np.random.default_rng(0)
    phase = rng.uniform(0, 2 * np.pi, (256, 1))
    x = np.sin(np.linspace(0, 2 * np.pi, LENGTH)[None, :] + phase).astype(np.float32)
    return DataArrays(x=x, kind="curve", description="256 sine curves")


@pytest.fixture
def curve_plugin():
    """What a plugin's hooks would register: the kind, a dataset of it, and a model for it."""
    registry = plugins.registry()
    registry.add("data kind", DataKindSpec(name="curve", summary="1-D signals", preview=CurvePreview,
                                           write=write_curves, suffixes=(".txt",), default_output="curves.txt"),
                 "curve-plugin")
    registry.add("dataset", DatasetSpec(name="curves", summary="sine curves", load=load_curves, data_kind="curve"),
                 "curve-plugin")
    registry.add("model", ModelSpec(name="curvegan", summary="an MLP GAN for curves",
                                    build=lazy("gantool.models.toy", "build"), data_kind="curve",
                                    options=("hidden",)), "curve-plugin")
    return registry


def test_a_plugin_kind_trains_previews_exports_and_samples(tmp_path, curve_plugin):
    from gantool.export.generator import load
    from gantool.export.onnx_export import export
    from gantool.runtime import Sampler, outputs

    cfg = RunConfig(model="curvegan", data="curves", steps=6, batch_size=32, latent_dim=4, log_every=3,
                    sample_every=3, checkpoint_every=0, model_options={"hidden": 16})
    data = curve_plugin.open_dataset("curves", DataRequest(), model="curvegan")
    trainer = Trainer(cfg, curve_plugin.get("model", "curvegan"), curve_plugin.get("loss", "bce"), data,
                      PlainReporter(Console(file=StringIO())))
    run = RunDir.create(tmp_path, "curvegan", "exp")
    assert trainer.fit(run, 6) == "finished"
    assert Image.open(run.path / "samples" / "step-0000006.png").size == (4 * LENGTH, 16 * 8)
    lines = (run.path / "metrics.jsonl").read_text()
    assert '"curve_amplitude"' in lines  # the kind's preview metric is logged at the sample's step

    report = export(load(run.path), run.path / "generator.onnx")
    sampler = Sampler(report.path, provider="cpu")
    assert sampler.info.kind == "curve"
    destination = Path(outputs.kind_spec("curve").default_output)
    out_path = tmp_path / destination
    fmt = outputs.check_destination(out_path, "curve", force=False)
    z = sampler.latents(5, 0)
    outputs.write_samples(sampler, sampler.generate(z, None, 5), out_path, fmt, None, z, None)
    rows = [line.split() for line in out_path.read_text().splitlines()]
    assert len(rows) == 5 and all(len(row) == LENGTH for row in rows)
    with pytest.raises(UserError, match=r"cannot write curve samples to .*grid\.png: use \.txt"):
        outputs.check_destination(tmp_path / "grid.png", "curve", force=False)


def test_an_unregistered_kind_is_one_clear_error(tmp_path):
    from gantool.runtime import outputs

    with pytest.raises(UserError, match="unknown data kind 'curve'"):
        outputs.check_destination(tmp_path / "x.txt", "curve", force=False)
