"""The run's names and "the run's generator": one rule that sample and eval both follow."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper, save

from gantool.core.errors import UserError
from gantool.run import RunLayout, find_runs, generator_file
from gantool.run.layout import GENERATOR
from tests.cli.test_errors import assert_user_error
from tests.conftest import gantool


def tiny_generator(path):
    """A foreign ONNX generator: z [batch, 4] -> images [batch, 1, 2, 2] (no gantool metadata)."""
    shape = numpy_helper.from_array(np.array([-1, 1, 2, 2], dtype=np.int64), "shape")
    graph = helper.make_graph([helper.make_node("Reshape", ["z", "shape"], ["images"])], "g",
                              [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", 4])],
                              [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["batch", 1, 2, 2])], [shape])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9), str(path))
    return path


def touch(path):
    path.write_text("not a model")
    return path


def test_paths_of_a_run(tmp_path):
    run = RunLayout(tmp_path / "dcgan" / "exp")
    assert run.metrics.name == "metrics.jsonl" and run.events.name == "events.jsonl"
    assert run.status.name == "status.json" and run.config.name == "config.toml" and run.control.name == "control"
    assert run.sample(12) == run.path / "samples" / "step-0000012.png"
    assert run.checkpoint(12) == run.path / "checkpoints" / "step-0000012.pt"
    assert run.last_checkpoint == run.path / "checkpoints" / "last.pt"
    assert run.generator == run.path / "generator.onnx" and run.eval == run.path / "eval"
    assert not run.is_run() and find_runs(tmp_path) == []
    run.path.mkdir(parents=True)
    run.config.write_text('model = "dcgan"\n')
    assert run.is_run() and find_runs(tmp_path) == [run.path] and find_runs(run.path) == [run.path]


def test_generator_onnx_wins_over_newer_exports(tmp_path):
    tiny_generator(tmp_path / GENERATOR)
    os.utime(tmp_path / GENERATOR, (1, 1))
    touch(tmp_path / "generator-uint8.onnx")  # newer: eval used to pick the newest
    assert generator_file(tmp_path) == tmp_path / GENERATOR


def test_other_exports_are_candidates_never_guesses(tmp_path):
    only = touch(tmp_path / "generator-fp16.onnx")
    with pytest.raises(UserError, match=r"has no generator.onnx; give one of generator-fp16.onnx by path"):
        generator_file(tmp_path)
    assert generator_file(only) == only  # a file is taken as given


def test_translators_need_a_choice_and_the_error_names_them(tmp_path):
    touch(tmp_path / "generator-b2a.onnx")
    touch(tmp_path / "generator-a2b.onnx")
    with pytest.raises(UserError) as err:
        generator_file(tmp_path)
    message = str(err.value)
    assert "\n" not in message and "has no generator.onnx" in message
    assert "give one of generator-a2b.onnx, generator-b2a.onnx by path" in message
    assert f"gantool export {tmp_path} --onnx" in message


def test_no_generator_and_missing_paths(tmp_path):
    with pytest.raises(UserError, match=r"has no generator.onnx; export it first: gantool export .* --onnx"):
        generator_file(tmp_path)
    with pytest.raises(UserError, match="does not exist; give a generator .onnx or a run directory"):
        generator_file(tmp_path / "gone.onnx")


def test_eval_takes_the_generator_sample_takes(tmp_path):
    """Both commands, as a user runs them, resolve a run directory to the same file."""
    run = tmp_path / "run"
    run.mkdir()
    tiny_generator(run / GENERATOR)
    os.utime(run / GENERATOR, (1, 1))
    touch(run / "generator-uint8.onnx")  # newest, and not loadable: picking it would fail differently
    sampled = gantool("sample", str(run), "-n", "4", "-o", "s.npz", "--provider", "cpu", cwd=tmp_path)
    assert sampled.returncode == 0, sampled.stderr
    evaluated = gantool("eval", str(run), "-n", "4", "--provider", "cpu", cwd=tmp_path)
    assert_user_error(evaluated, f"{run / GENERATOR} does not say its image shape")

    (run / GENERATOR).unlink()
    touch(run / "generator-a2b.onnx")
    for command in ("sample", "eval"):
        assert_user_error(gantool(command, str(run), cwd=tmp_path), "has no generator.onnx",
                          "give one of generator-a2b.onnx, generator-uint8.onnx by path")


def test_importing_the_run_package_leaves_torch_alone():
    code = "import sys, gantool.run, gantool.run.checkpoint; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
