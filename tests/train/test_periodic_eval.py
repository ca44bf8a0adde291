"""--eval-every: metric lines (and events) at the cadence, from fixed latents and a fixed reference."""

from __future__ import annotations

import math

import pytest

from gantool.core.errors import UserError
from gantool.data.toy2d import load_ring
from gantool.specs import DataRequest
from tests.conftest import random_images, read_jsonl, train_checkpoint


def test_scores_are_logged_at_the_cadence(tmp_path):
    run = train_checkpoint(tmp_path, "dcgan", random_images(n=32), steps=4, eval_every=2, eval_n=16,
                           eval_metrics="fid,kid,is", model_options={"ngf": 8, "ndf": 8})
    lines = [r for r in read_jsonl(run / "metrics.jsonl") if "fid" in r]
    assert [r["step"] for r in lines] == [2, 4]
    assert all(math.isfinite(r["fid"]) and r["fid"] > 0 and r["is"] >= 1 and "kid" in r for r in lines)
    assert lines[0]["fid"] != lines[1]["fid"]  # the generator changed between them
    events = [e for e in read_jsonl(run / "events.jsonl") if e["event"] == "eval"]
    assert [e["step"] for e in events] == [2, 4]


def test_conditional_models_are_scored_with_cycling_labels(tmp_path):
    run = train_checkpoint(tmp_path, "cgan", random_images(n=32, classes=4), steps=2, eval_every=2, eval_n=12,
                           model_options={"ngf": 8, "ndf": 8})
    assert any("fid" in r for r in read_jsonl(run / "metrics.jsonl"))


def test_vector_data_is_refused_with_a_clear_error(tmp_path):
    with pytest.raises(UserError, match="scores images"):
        train_checkpoint(tmp_path, "toy", load_ring(None, DataRequest()), latent_dim=2, eval_every=2)
