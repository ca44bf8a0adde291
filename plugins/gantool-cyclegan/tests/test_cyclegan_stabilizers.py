"""Every stabilizer and regularizer flag changes what cyclegan trains, or is refused.

The loop (gantool/train/update.py) applies the stabilizers and the D regularizers to any
model's phases, and the model's step shows D its inputs through `ctx.view`; so each flag
must reach cyclegan's two generators and two discriminators. Each case trains the tiny
model 3 steps, through the same path as `gantool train` (config layers, the plugin's
`unpaired` dataset, build, run folder; in-process, to stay fast), with the flag and
without it under the same seed, and compares the weights in checkpoints/last.pt. Training
is deterministic (a control test trains the baseline twice and gets equal weights), so a
flag that silently did nothing would make its case fail. A flag the step cannot honour
(`--minibatch-std`) is refused with one line before any run folder exists, in-process
and through the real console script.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from cyclegan_testing import TINY, draw_shapes, gantool

from gantool.core.errors import UserError
from gantool.train.testing import checkpoint_of, largest_difference, metric_keys, one_thread, train_run

STEPS = 3
# cyclegan_testing.TINY as config layers: --set values here, the flags (batch size) in FLAGS
SETS = {"model.ngf": 4, "model.ndf": 4, "model.blocks": 1, "image_size": 16}
FLAGS = {"steps": STEPS, "batch_size": 4, "seed": 0, "log_every": STEPS, "sample_every": 0, "checkpoint_every": 0}

# flag (as the CLI spells it), config values, the network whose weights must change, metrics it logs
CASES = [
    ("--grad-clip", {"grad_clip": 1e-3}, "discriminator", ("grad_norm_d", "grad_norm_g")),
    ("--instance-noise", {"instance_noise": 0.5}, "discriminator", ()),
    ("--diffaugment", {"diffaugment": "color,translation,cutout"}, "discriminator", ()),
    # packing widens D's input, so D's weights change shape: G, trained against it, is compared
    ("--pack", {"pack": 2}, "generator", ()),
    ("--historical-averaging", {"historical_averaging": 1.0}, "discriminator", ()),
    ("--lr-d", {"lr_d": 1e-3}, "discriminator", ()),
    ("--label-smoothing", {"label_smoothing": 0.2}, "discriminator", ()),
    ("gp_lambda", {"gp_lambda": 10.0}, "discriminator", ("gp",)),
    ("r1_gamma", {"r1_gamma": 10.0, "r1_every": 1}, "discriminator", ("r1",)),
    ("dragan_lambda", {"dragan_lambda": 10.0}, "discriminator", ("dragan",)),
    ("clip_weights", {"clip_weights": 0.01}, "discriminator", ()),
]


@pytest.fixture(scope="module", autouse=True)
def single_thread():
    with one_thread():
        yield


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> dict[str, Any]:
    """Two small domains drawn once, a project folder, and the runs trained so far (by name)."""
    root = tmp_path_factory.mktemp("cyclegan-stabilizers")
    a = draw_shapes(root / "A", 8, (255, 255, 255), (0, 0, 0), seed=1)
    b = draw_shapes(root / "B", 8, (250, 220, 40), (30, 40, 160), seed=2)
    return {"domains": (a, b), "project": root / "runs", "runs": {}}


def train(shared: dict[str, Any], name: str, project: Path | None = None, **settings: Any) -> Path:
    """Train through gantool train's own path (new_run: config layers, data, build, run folder)."""
    a, b = shared["domains"]
    flags = {**FLAGS, "project": str(project or shared["project"]), "name": name, **settings}
    sets = {**SETS, "data.a": str(a), "data.b": str(b)}
    return train_run("cyclegan", flags, sets)


@pytest.fixture
def baseline(shared) -> Path:
    """The run without any flag, trained once per module (after the autouse env fixture)."""
    if "baseline" not in shared["runs"]:
        shared["runs"]["baseline"] = train(shared, "baseline")
    return shared["runs"]["baseline"]


def input_channels(state: dict[str, torch.Tensor]) -> int:
    """The input channels of a network's first convolution."""
    return next(t.shape[1] for t in state.values() if t.dim() == 4)


def test_training_is_deterministic(shared, baseline):
    """The control: the same settings give the same weights, so every 'differs' below is the flag's."""
    again = checkpoint_of(train(shared, "baseline-again"))
    first = checkpoint_of(baseline)
    for net in ("generator", "discriminator"):
        assert largest_difference(first[net], again[net]) == 0.0, net


@pytest.mark.parametrize("flag, settings, net, metrics", CASES, ids=[c[0].lstrip("-") for c in CASES])
def test_flag_changes_the_trained_weights(shared, baseline, flag, settings, net, metrics):
    run = train(shared, flag.lstrip("-").replace("_", "-"), **settings)
    with_flag, without = checkpoint_of(run), checkpoint_of(baseline)
    assert largest_difference(with_flag[net], without[net]) > 0, f"{flag} left the {net} as trained without it"
    logged = metric_keys(run)
    for key in metrics:
        assert key in logged, f"{flag}: {key} not in metrics.jsonl"
        assert key not in metric_keys(baseline)
    if flag == "--pack":  # D was built for 2 RGB images stacked on the channels
        assert input_channels(with_flag["discriminator"]) == 2 * input_channels(without["discriminator"]) == 6


def test_ema_keeps_a_separate_average_and_leaves_training_alone(shared, baseline):
    state, plain = checkpoint_of(train(shared, "ema", ema=True)), checkpoint_of(baseline)
    assert plain["ema"] is None and state["ema"] is not None
    assert state["ema"].keys() == state["generator"].keys()
    assert largest_difference(state["ema"], state["generator"]) > 0  # the average lags the raw weights
    for net in ("generator", "discriminator"):  # the EMA only watches: training is the baseline's
        assert largest_difference(state[net], plain[net]) == 0.0, net


@pytest.mark.parametrize("flag, settings", [("--minibatch-std", {"minibatch_std": True}), ("--n-critic", {"n_critic": 2})])
def test_refused_before_a_run_folder_exists(shared, tmp_path, flag, settings):
    with pytest.raises(UserError, match=rf"^model 'cyclegan' cannot use {flag} \(") as refused:
        train(shared, "refused", project=tmp_path / "runs", **settings)
    assert "\n" not in str(refused.value)
    assert not (tmp_path / "runs").exists()


def test_refused_flag_through_the_console_script(shared, tmp_path):
    a, b = shared["domains"]
    out = gantool("train", "cyclegan", "--data-a", str(a), "--data-b", str(b), *TINY, "--steps", "1",
                  "--minibatch-std", cwd=tmp_path)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: model 'cyclegan' cannot use --minibatch-std (")
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "runs").exists()
