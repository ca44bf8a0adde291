"""Every stabilizer and regularizer flag changes what ctgan trains, or is refused.

The loop (gantool/train/update.py) applies the stabilizers and the D regularizers to any
model's phases, and CTGAN's step shows its critic the rows through `ctx.view`; so each
flag it accepts must reach ctgan's networks. Each case trains ctgan 3 steps on a 40-row
CSV, through the same path as `gantool train` (config layers, the plugin's `csv` dataset,
build, run folder; in-process, to stay fast), with the flag and without it under the same
seed, and compares the critic's weights in checkpoints/last.pt. Training is deterministic
(a control test trains the baseline twice and gets equal weights), so a flag that silently
did nothing would make its case fail. The flags ctgan cannot honour (`--pack`,
`--minibatch-std` and `--label-smoothing`: its step says why; `--diffaugment`: rows are not
images) are refused with one line before any run folder exists, in-process and through
the real console script.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tabular_testing import gantool

from gantool.core.errors import UserError
from gantool.train.testing import checkpoint_of, largest_difference, metric_keys, one_thread, train_run

STEPS = 3
SETS = {"model.pac": 2, "latent_dim": 8}  # 2 rows per pack: a batch of 4 makes 2 packs
FLAGS = {"steps": STEPS, "batch_size": 4, "seed": 0, "log_every": STEPS, "sample_every": 0, "checkpoint_every": 0}
# ctgan's own step logs its pack-wise gradient penalty as gp_pac, so `gp` is the loop's alone
LOGGED_BY_THE_STEP: set[str] = set()

# flag (as the CLI spells it), config values, metrics it logs; the critic's weights must change
CASES = [
    ("--grad-clip", {"grad_clip": 1e-3}, ("grad_norm_d", "grad_norm_g")),
    ("--instance-noise", {"instance_noise": 0.5}, ()),
    ("--historical-averaging", {"historical_averaging": 1.0}, ()),
    ("--lr-d", {"lr_d": 1e-3}, ()),
    ("gp_lambda", {"gp_lambda": 10.0}, ("gp",)),
    ("r1_gamma", {"r1_gamma": 10.0, "r1_every": 1}, ("r1",)),
    ("dragan_lambda", {"dragan_lambda": 10.0}, ("dragan",)),
    ("clip_weights", {"clip_weights": 0.01}, ()),
]
REFUSED = [
    pytest.param("--pack", {"pack": 2}, "model 'ctgan' cannot use --pack (", id="pack"),
    pytest.param("--minibatch-std", {"minibatch_std": True}, "model 'ctgan' cannot use --minibatch-std (",
                 id="minibatch-std"),
    pytest.param("--label-smoothing", {"label_smoothing": 0.1}, "model 'ctgan' cannot use --label-smoothing (",
                 id="label-smoothing"),
    pytest.param("--loss", {"loss": "hinge"}, "model 'ctgan' cannot use --loss (", id="loss"),
    pytest.param("--diffaugment", {"diffaugment": "color"},
                 "--diffaugment augments images; model 'ctgan' trains on table data", id="diffaugment"),
]


@pytest.fixture(scope="module", autouse=True)
def single_thread():
    with one_thread():
        yield


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> dict[str, Any]:
    """A 40-row CSV (two continuous columns, one text category) written once, a project
    folder, and the runs trained so far (by name)."""
    root = tmp_path_factory.mktemp("ctgan-stabilizers")
    rng = np.random.default_rng(0)
    kind = rng.integers(0, 2, 40)
    size = rng.normal(3.0 + 2.0 * kind, 0.5)
    weight = rng.normal(10.0, 1.0, 40) + size
    lines = ["size,weight,kind"] + [f"{s:.3f},{w:.3f},{'big' if k else 'small'}" for s, w, k in zip(size, weight, kind)]
    csv = root / "table.csv"
    csv.write_text("\n".join(lines) + "\n")
    return {"csv": csv, "project": root / "runs", "runs": {}}


def train(shared: dict[str, Any], name: str, project: Path | None = None, **settings: Any) -> Path:
    """Train through gantool train's own path (new_run: config layers, data, build, run folder)."""
    flags = {**FLAGS, "data": f"csv:{shared['csv']}", "project": str(project or shared["project"]), "name": name,
             **settings}
    return train_run("ctgan", flags, SETS)


@pytest.fixture
def baseline(shared) -> Path:
    """The run without any flag, trained once per module (after the autouse env fixture)."""
    if "baseline" not in shared["runs"]:
        shared["runs"]["baseline"] = train(shared, "baseline")
    return shared["runs"]["baseline"]


def test_training_is_deterministic(shared, baseline):
    """The control: the same settings give the same weights, so every 'differs' below is the flag's."""
    again = checkpoint_of(train(shared, "baseline-again"))
    first = checkpoint_of(baseline)
    for net in ("generator", "discriminator"):
        assert largest_difference(first[net], again[net]) == 0.0, net


@pytest.mark.parametrize("flag, settings, metrics", CASES, ids=[c[0].lstrip("-") for c in CASES])
def test_flag_changes_the_trained_weights(shared, baseline, flag, settings, metrics):
    run = train(shared, flag.lstrip("-").replace("_", "-"), **settings)
    with_flag, without = checkpoint_of(run), checkpoint_of(baseline)
    assert largest_difference(with_flag["discriminator"], without["discriminator"]) > 0, \
        f"{flag} left the critic as trained without it"
    logged = metric_keys(run)
    for key in metrics:
        assert key in logged, f"{flag}: {key} not in metrics.jsonl"
        assert key in LOGGED_BY_THE_STEP or key not in metric_keys(baseline)


def test_ema_keeps_a_separate_average_and_leaves_training_alone(shared, baseline):
    state, plain = checkpoint_of(train(shared, "ema", ema=True)), checkpoint_of(baseline)
    assert plain["ema"] is None and state["ema"] is not None
    assert state["ema"].keys() == state["generator"].keys()
    assert largest_difference(state["ema"], state["generator"]) > 0  # the average lags the raw weights
    for net in ("generator", "discriminator"):  # the EMA only watches: training is the baseline's
        assert largest_difference(state[net], plain[net]) == 0.0, net


@pytest.mark.parametrize("flag, settings, message", REFUSED)
def test_refused_before_a_run_folder_exists(shared, tmp_path, flag, settings, message):
    with pytest.raises(UserError) as refused:
        train(shared, "refused", project=tmp_path / "runs", **settings)
    assert str(refused.value).startswith(message) and flag in str(refused.value)
    assert "\n" not in str(refused.value)
    assert not (tmp_path / "runs").exists()


def test_refused_flag_through_the_console_script(shared, tmp_path):
    out = gantool("train", "ctgan", "--data", f"csv:{shared['csv']}", "--set", "model.pac=2", "--batch-size", "4",
                  "--steps", "1", "--pack", "2", cwd=tmp_path)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: model 'ctgan' cannot use --pack (")
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "runs").exists()
